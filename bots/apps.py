from django.apps import AppConfig


class BotsConfig(AppConfig):
    name = "bots"
    label = "bots"
    verbose_name = "Jembatan Telegram"

    def ready(self) -> None:
        # Outbox handlers, periodic jobs and the built-in commands register themselves on import.
        from . import builtin, intake, sender  # noqa: F401
