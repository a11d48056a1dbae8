from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "helpdesk.core"
    label = "core"
    verbose_name = "Inti (outbox, jadwal, kesehatan)"

    def ready(self) -> None:
        # Handlers register themselves on import; the core's own ones live in tasks.py.
        from . import checks, tasks  # noqa: F401
