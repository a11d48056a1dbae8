from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "helpdesk.kb"
    label = "kb"
    verbose_name = "Basis pengetahuan"

    def ready(self) -> None:
        from . import hooks, learning, searchlog  # noqa: F401 - the periodic jobs; hooks registers the search source, the ticket panel, the ticket-form step and the answer finder
