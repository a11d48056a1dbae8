# Fixtures of other test packages that these tests reuse: the tickets' world (attachments, outbox) and the
# fake Telegram Bot API (the bridge's SIGTERM test).
from tests.bots.conftest import fake  # noqa: F401
from tests.tickets.conftest import world  # noqa: F401
