"""Making a private ticket public: a volunteer proposes, the reporter decides, the masked copy is published."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.models import User
from helpdesk.core.errors import DomainError
from helpdesk.core.markdown import render_markdown
from helpdesk.core.pii import mask
from helpdesk.notifications.services import notify
from helpdesk.tickets.models import (
    Message,
    Ticket,
    Visibility,
)

from .. import access
from ..models import (
    ModerationAction,
    PublicProposal,
    Revision,
)
from .common import (
    clean,
    lock_ticket,
    log_action,
    ticket_event,
)
from .moderation import set_visibility


def proposal_create(*, actor: User, ticket: Ticket, note: str = "") -> PublicProposal:
    if not access.can_propose_public(actor, ticket):
        raise PermissionDenied(_("Hanya relawan forum tiket ini yang bisa mengusulkan tiket privat menjadi publik."))
    note = clean("note", note, required=False, max_chars=500)
    with transaction.atomic():
        try:
            with transaction.atomic():
                proposal = PublicProposal.objects.create(ticket=ticket, proposed_by=actor, note=note)
        except IntegrityError:
            raise DomainError(_("Usulan untuk tiket ini masih menunggu jawaban pelapor."), code="pending") from None
        ticket_event(ticket, actor, "public_proposed", note=note)
        notify(
            user=ticket.reporter,
            event="forum_publish_request",
            text=_("%(name)s mengusulkan tiket %(n)s dijadikan pertanyaan publik di forum. Setujui atau tolak.")
            % {"name": actor.display_name, "n": ticket.number},
            url=f"/forum/usulan/{proposal.pk}/",
            ticket_id=ticket.pk,
            group_key=f"ticket:{ticket.pk}",
        )
    return proposal


def proposal_decide(*, actor: User, proposal: PublicProposal, accept: bool) -> PublicProposal:
    """Only the reporter consents. On consent, personal data is masked in the title, the description and every
    public reply (the originals stay in the edit history, which only moderators and authors can read), and the
    ticket becomes a public question."""
    ticket = proposal.ticket
    if actor.pk != ticket.reporter_id:
        raise PermissionDenied(_("Hanya pelapor tiket yang bisa menyetujui atau menolak usulan ini."))
    with transaction.atomic():
        decided = PublicProposal.objects.filter(pk=proposal.pk, state=PublicProposal.State.PENDING).update(
            state=PublicProposal.State.ACCEPTED if accept else PublicProposal.State.DECLINED,
            decided_by=actor, decided_at=timezone.now(),
        )
        if not decided:
            raise DomainError(_("Usulan ini sudah diputuskan."), code="already_decided")
        if accept:
            _publish(lock_ticket(ticket), actor)
        else:
            ticket_event(ticket, actor, "public_declined")
    proposal.refresh_from_db()
    return proposal


def _publish(ticket: Ticket, actor: User) -> None:
    title, masked_title = mask(ticket.title)
    description, masked_body = mask(ticket.description)
    masked = set(masked_title) | set(masked_body)
    if masked:
        Revision.objects.create(ticket=ticket, editor=actor, title=ticket.title, body=ticket.description,
                                reason=_("data pribadi disamarkan sebelum menjadi publik"))
        ticket.title, ticket.description, ticket.description_html = title[:200], description, render_markdown(description)
        ticket.save(update_fields=["title", "description", "description_html"])
    for message in Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY):
        body, kinds = mask(message.body)
        if kinds:
            masked |= set(kinds)
            Revision.objects.create(ticket=ticket, message=message, editor=actor, body=message.body,
                                    reason=_("data pribadi disamarkan sebelum menjadi publik"))
            Message.objects.filter(pk=message.pk).update(body=body, body_html=render_markdown(body))
    log_action(ticket, actor, ModerationAction.Action.PUBLISH, masked=sorted(masked))
    set_visibility(ticket, actor, Visibility.PUBLIC, note=_("disetujui pelapor; data pribadi disamarkan"))
