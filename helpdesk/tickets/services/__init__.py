"""Every change to a ticket goes through here: checks, the state machine, the audit trail, one transaction.

Services take the acting user and ask `access.py` themselves, so the web, the API and Telegram cannot
differ in what they allow. Rows are locked (`select_for_update`, a no-op on SQLite where IMMEDIATE
transactions already serialise writers) so that concurrent actions on one ticket never lose an update.

Callers use this package's names (`services.ticket_claim(...)`); the modules behind it each hold one job:

| module | holds |
|---|---|
| `common.py` | the shared steps: input checks, the audit trail, the row lock, status moves, change events |
| `intake.py` | `ticket_create` and the ticket number |
| `messages.py` | `message_create` (replies, internal notes), `attachment_add` |
| `editing.py` | `message_edit`: the author changes a reply or a note within `access.MESSAGE_EDIT_WINDOW` |
| `transitions.py` | claim, resolve, close, reopen, update, rate, watch, the bulk actions |
| `merging.py` | `ticket_mark_duplicate`, `ticket_merge` |
| `housekeeping.py` | `release_tickets_of` (a volunteer leaves), `auto_close_solved` (the scheduled job) |
"""

from .editing import message_edit
from .housekeeping import AUTO_CLOSE_AFTER, auto_close_solved, release_tickets_of
from .intake import MAX_TITLE_CHARS, next_number, ticket_create
from .merging import ticket_mark_duplicate, ticket_merge
from .messages import attachment_add, message_create
from .transitions import (
    BULK_ACTIONS,
    ticket_claim,
    ticket_close,
    ticket_rate,
    ticket_reopen,
    ticket_resolve,
    ticket_update,
    ticket_watch,
    tickets_bulk,
)

__all__ = [
    "AUTO_CLOSE_AFTER",
    "BULK_ACTIONS",
    "MAX_TITLE_CHARS",
    "attachment_add",
    "auto_close_solved",
    "message_create",
    "message_edit",
    "next_number",
    "release_tickets_of",
    "ticket_claim",
    "ticket_close",
    "ticket_create",
    "ticket_mark_duplicate",
    "ticket_merge",
    "ticket_rate",
    "ticket_reopen",
    "ticket_resolve",
    "ticket_update",
    "ticket_watch",
    "tickets_bulk",
]
