from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "helpdesk.notifications"
    label = "notifications"
    verbose_name = "Notifikasi"

    def ready(self) -> None:
        from . import hooks, tasks  # noqa: F401
