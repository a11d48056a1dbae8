"""Every write of the community forum. Each service checks `community/access.py` itself, runs in one transaction,
and leaves its side effects (notifications, search sync, reputation) in that transaction.

Ticket state changes go through the ticket services (`ticket_resolve`, `ticket_mark_duplicate`,
`ticket_update`, `ticket_create`), so the lifecycle, the audit trail and the events seam stay the same whether
a question is solved on the forum, on the ticket page or in Telegram.

Callers use this package's names (`services.vote_cast(...)`); the modules behind it each hold one job:

| module | holds |
|---|---|
| `common.py` | the shared steps: input cleaning, rate limits, the moderation log, the audit trail, the row lock, `question_url` |
| `questions.py` | `question_ask`, `answer_accept`, `comment_create` |
| `votes.py` | `vote_cast`, `vote_retract` (`Score`) |
| `flags.py` | `flag_create`, `flag_review` |
| `moderation.py` | `post_hide`, `post_unhide`, `question_lock`, `question_move`, `question_close_duplicate`, `post_edit` |
| `proposals.py` | `proposal_create`, `proposal_decide` |
"""

from .common import MAX_COMMENT_CHARS, MAX_REASON_CHARS, question_url, rate
from .flags import REVIEW_DECISIONS, flag_create, flag_review
from .moderation import (
    post_edit,
    post_hide,
    post_unhide,
    question_close_duplicate,
    question_lock,
    question_move,
)
from .proposals import proposal_create, proposal_decide
from .questions import Asked, answer_accept, comment_create, question_ask
from .votes import Score, vote_cast, vote_retract

__all__ = [
    "MAX_COMMENT_CHARS",
    "MAX_REASON_CHARS",
    "REVIEW_DECISIONS",
    "Asked",
    "Score",
    "answer_accept",
    "comment_create",
    "flag_create",
    "flag_review",
    "post_edit",
    "post_hide",
    "post_unhide",
    "proposal_create",
    "proposal_decide",
    "question_ask",
    "question_close_duplicate",
    "question_lock",
    "question_move",
    "question_url",
    "rate",
    "vote_cast",
    "vote_retract",
]
