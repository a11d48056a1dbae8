from tests.tickets.conftest import world  # noqa: F401  (the tickets' fixture, for the attachment and outbox tests)
