from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "helpdesk.community"
    label = "forum"
    verbose_name = "Forum komunitas"

    def ready(self) -> None:
        from . import hooks  # noqa: F401 - registers the ticket-event listeners, rules, panels, search source and jobs
