from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "helpdesk.accounts"
    label = "accounts"
    verbose_name = "Akun dan forum"

    def ready(self) -> None:
        # Registers the "accounts.email" outbox handler.
        from . import tasks  # noqa: F401
