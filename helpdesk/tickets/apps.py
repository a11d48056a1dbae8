from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "helpdesk.tickets"
    label = "tickets"
    verbose_name = "Tiket"

    def ready(self) -> None:
        from . import hooks  # noqa: F401
