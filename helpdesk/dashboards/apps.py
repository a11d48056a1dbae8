from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "helpdesk.dashboards"
    label = "dashboards"
    verbose_name = "Dasbor dan adopsi SID"

    def ready(self) -> None:
        from . import jobs  # noqa: F401 - registers the periodic adoption recompute
