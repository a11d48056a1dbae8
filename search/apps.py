from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    label = "search"
    verbose_name = _("Pencarian")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the outbox handler that indexes on an engine after commit, the periodic check that builds a
        # missing index (bootstrap), and the startup check of the engine's mapping version.
        from helpdesk.core.health import register_check

        from . import bootstrap, checks, indexing  # noqa: F401
        from .health import check_search

        register_check("search", check_search)
