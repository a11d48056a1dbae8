from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "helpdesk.realtime"
    label = "realtime"
    verbose_name = "Waktu nyata (websocket)"

    def ready(self) -> None:
        # The periodic purge and the built-in `user:{id}` stream register themselves on import.
        from . import streams, tasks  # noqa: F401
