"""Every write to the knowledge base. Each checks access itself, masks personal data before saving, moves the
entry through `lifecycle`, and updates the search index in the same transaction (`indexing.sync_entries`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.accounts.access import can_manage_forum, forum_for_region, forums_of, is_admin, root_forum
from helpdesk.accounts.models import Forum, ForumMembership, User
from helpdesk.categories.models import Category
from helpdesk.core.markdown import render_markdown
from helpdesk.notifications.services import notify, notify_many
from helpdesk.regions.models import Region
from helpdesk.tickets import events
from helpdesk.tickets.extensions import Contribution
from helpdesk.tickets.models import Message, Ticket

from . import access, lifecycle
from .indexing import sync_entries
from .masking import Finding, MaskResult, Profile, findings_from_json, findings_to_json, mask_entry_text
from .models import Entry, EntrySource, EntryStatus, EntryVote, ForumKbSettings, make_slug
from .validation import MAX_TITLE, clean_tags, clean_text, clean_versions

MASKED_FIELDS = ("title", "question", "answer")


@dataclass(frozen=True)
class EntryInput:
    title: str
    question: str = ""
    answer: str = ""
    category: str = ""
    tags: Sequence[str] | str = ()
    versions: Sequence[str] | str = ()
    origin_region: str = ""


@dataclass
class Saved:
    entry: Entry
    # Personal data found in this save that the editor had not seen yet (masked, and listed for review).
    new_findings: list[Finding] = field(default_factory=list)
    # What happened to a requested submission: "published", "review", or "held" (new findings to check first).
    outcome: str = "draft"


# --- helpers -----------------------------------------------------------------------------------------------


def ticket_people(ticket: Ticket) -> list[str]:
    """Names and usernames of every account on the ticket: reporter, assignee, watchers, whoever wrote in it."""
    ids = {ticket.reporter_id}
    if ticket.assignee_id:
        ids.add(ticket.assignee_id)
    ids.update(ticket.watchers.values_list("pk", flat=True))
    ids.update(Message.objects.filter(ticket=ticket, author__isnull=False).values_list("author_id", flat=True))
    people: list[str] = []
    for name, first, last, username in User.objects.filter(pk__in=ids).values_list(
        "name", "first_name", "last_name", "username"
    ):
        people += [n for n in (name, f"{first} {last}".strip(), username) if n]
    return people


def _category(slug: str) -> Category | None:
    if not slug:
        return None
    category = Category.objects.filter(slug=slug, is_active=True).first()
    if category is None:
        raise ValidationError({"category": _("Kategori tidak dikenal.")})
    return category


def _region(code: str) -> Region | None:
    code = (code or "").strip()
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationError({"origin_region": _("Kode wilayah tidak dikenal.")})
    return region


def _check_region(actor: User, region: Region | None) -> Region | None:
    """A volunteer files entries for the regions of their own forums (and below); admins for any region."""
    if region is None or is_admin(actor):
        return region
    forum = forum_for_region(region.code)
    allowed = forums_of(actor) | (access.reviewed_forum_ids(actor) or set())
    if forum is None or forum.pk not in allowed:
        raise ValidationError({"origin_region": _("Wilayah ini di luar forum Anda.")})
    return region


def review_forum_for(region: Region | None, actor: User | None, ticket: Ticket | None) -> Forum | None:
    """Whose coordinators approve: the forum covering the origin region, else the ticket's, else the author's."""
    if region is not None:
        forum = forum_for_region(region.code)
        if forum is not None:
            return forum
    if ticket is not None:
        return ticket.forum
    mine = sorted(forums_of(actor)) if actor is not None else []
    if mine:
        return Forum.objects.filter(pk=mine[0]).first()
    return root_forum()


def _render(entry: Entry) -> None:
    entry.question_html = render_markdown(entry.question)
    entry.answer_html = render_markdown(entry.answer)
    entry.slug = make_slug(entry.title)


def _apply_text(entry: Entry, masked: MaskResult) -> None:
    entry.title = masked.fields["title"][:MAX_TITLE]
    entry.question = masked.fields["question"]
    entry.answer = masked.fields["answer"]
    entry.mask_findings = findings_to_json(masked.findings)
    _render(entry)


def _clean(data: EntryInput) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    checks = {
        "title": lambda: clean_text(data.title, field="title", max_length=MAX_TITLE, required=True),
        "question": lambda: clean_text(data.question, field="question"),
        "answer": lambda: clean_text(data.answer, field="answer", required=True),
        "tags": lambda: clean_tags(data.tags),
        "versions": lambda: clean_versions(data.versions),
        "category": lambda: _category(data.category),
        "origin_region": lambda: _region(data.origin_region),
    }
    for name, check in checks.items():
        try:
            out[name] = check()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return out


def mask_for(entry_fields: dict[str, str], *, previous: Sequence[Finding] = (), ticket: Ticket | None = None,
             profile: Profile = "review") -> MaskResult:
    names = ticket_people(ticket) if ticket is not None else []
    return mask_entry_text(
        {k: entry_fields.get(k, "") for k in MASKED_FIELDS}, previous=previous, names=names, profile=profile
    )


# --- create and edit -----------------------------------------------------------------------------------------


@transaction.atomic
def entry_create(
    *,
    actor: User,
    data: EntryInput,
    source_ticket: Ticket | None = None,
    previous_findings: Sequence[Finding] = (),
    submit: bool = False,
) -> Saved:
    """A new entry, written by a volunteer or prefilled from a solved ticket. `previous_findings` are the findings
    the editor was shown (with their keep/mask choice); anything else found now is new. With `submit`, the entry
    is published (reviewers, trusted volunteers) or sent for review, unless new personal data was found."""
    if source_ticket is not None:
        if not access.can_publish_from_ticket(actor, source_ticket):
            raise PermissionDenied(_("Hanya relawan forum tiket ini yang bisa menerbitkannya, setelah tiket selesai."))
    elif not access.can_write(actor):
        raise PermissionDenied(_("Hanya relawan ForSID yang bisa menulis entri basis pengetahuan."))
    cleaned = _clean(data)
    # A ticket's entry comes from its desa, whatever the form says; a volunteer's from a region of their forums.
    region = source_ticket.desa if source_ticket is not None else _check_region(actor, cleaned["origin_region"])
    masked = mask_for(cleaned, previous=previous_findings, ticket=source_ticket)
    now = timezone.now()
    entry = Entry(
        category=cleaned["category"] or (source_ticket.category if source_ticket is not None else None),
        tags=cleaned["tags"],
        versions=cleaned["versions"],
        source=EntrySource.TICKET if source_ticket is not None else EntrySource.MANUAL,
        source_ticket=source_ticket,
        origin_region=region,
        forum=review_forum_for(region, actor, source_ticket),
        author=actor,
        editor=actor,
        solved_at=(source_ticket.resolved_at or source_ticket.closed_at) if source_ticket is not None else None,
        created_at=now,
        updated_at=now,
    )
    _apply_text(entry, masked)
    entry.save()
    saved = Saved(entry, masked.new)
    if submit:
        saved.outcome = "held" if masked.new else _submit(entry, actor)
    return saved


@transaction.atomic
def entry_update(*, entry: Entry, actor: User, data: EntryInput, keep: Iterable[str] = (), submit: bool = False) -> Saved:
    """Edit an entry. `keep` lists the placeholders the editor unchecked (their original values stay visible)."""
    entry = _locked(entry)
    if not access.can_edit(actor, entry):
        raise PermissionDenied(_("Anda tidak boleh mengubah entri ini."))
    cleaned = _clean(data)
    keep = set(keep)
    previous = [
        Finding(f.kind, f.value, f.placeholder, f.origin, masked=f.placeholder not in keep)
        for f in findings_from_json(entry.mask_findings)
    ]
    ticket = entry.source_ticket
    masked = mask_for(cleaned, previous=previous, ticket=ticket)
    _apply_text(entry, masked)
    entry.category = cleaned["category"]
    entry.tags = cleaned["tags"]
    entry.versions = cleaned["versions"]
    region = cleaned["origin_region"]
    if entry.source == EntrySource.MANUAL and (region.code if region else None) != entry.origin_region_id:
        entry.origin_region = _check_region(actor, region)
        entry.forum = review_forum_for(entry.origin_region, entry.author, None)
    entry.editor = actor
    entry.updated_at = timezone.now()
    entry.save()
    saved = Saved(entry, masked.new)
    if submit and lifecycle.state_of(entry) == lifecycle.DRAFT:
        saved.outcome = "held" if masked.new else _submit(entry, actor)
    sync_entries([entry.pk])
    return saved


def _locked(entry: Entry) -> Entry:
    return Entry.objects.select_for_update(of=("self",)).select_related("source_ticket", "forum", "author").get(pk=entry.pk)


# --- the lifecycle ---------------------------------------------------------------------------------------


def _submit(entry: Entry, actor: User) -> str:
    """Publish when `actor` may, else put the entry in the review queue and tell the coordinators."""
    if access.can_publish(actor, entry):
        _transition(entry, "publish", actor)
        return "published"
    _transition(entry, "submit", actor)
    _notify_reviewers(entry, actor)
    return "review"


@transaction.atomic
def entry_submit(*, entry: Entry, actor: User) -> str:
    entry = _locked(entry)
    if not access.can_edit(actor, entry):
        raise PermissionDenied(_("Anda tidak boleh mengajukan entri ini."))
    return _submit(entry, actor)


@transaction.atomic
def entry_approve(*, entry: Entry, actor: User) -> Entry:
    entry = _locked(entry)
    _require_reviewer(actor, entry)
    _transition(entry, "approve", actor)
    if entry.author_id and entry.author_id != actor.pk and entry.author is not None:
        notify(user=entry.author, event="kb_reviewed", url=entry.get_absolute_url(),
               text=_("Entri Anda terbit di basis pengetahuan: %(t)s") % {"t": entry.title})
    return entry


@transaction.atomic
def entry_reject(*, entry: Entry, actor: User, note: str = "") -> Entry:
    entry = _locked(entry)
    _require_reviewer(actor, entry)
    entry.review_note = clean_text(note, field="note", max_length=4000)
    _transition(entry, "reject", actor)
    if entry.author_id and entry.author_id != actor.pk and entry.author is not None:
        notify(user=entry.author, event="kb_reviewed", url=f"/kb/{entry.pk}/ubah/",
               text=_("Entri Anda dikembalikan untuk diperbaiki: %(t)s") % {"t": entry.title})
    return entry


@transaction.atomic
def entry_publish(*, entry: Entry, actor: User) -> Entry:
    entry = _locked(entry)
    if not access.can_publish(actor, entry):
        raise PermissionDenied(_("Entri ini perlu persetujuan koordinator."))
    _transition(entry, "publish", actor)
    return entry


@transaction.atomic
def entry_archive(*, entry: Entry, actor: User) -> Entry:
    entry = _locked(entry)
    if not (access.can_review(actor, entry) or (access.is_author(actor, entry) and entry.status != EntryStatus.PUBLISHED)):
        raise PermissionDenied(_("Anda tidak boleh mengarsipkan entri ini."))
    _transition(entry, "archive", actor)
    return entry


@transaction.atomic
def entry_restore(*, entry: Entry, actor: User) -> Entry:
    entry = _locked(entry)
    _require_reviewer(actor, entry)
    _transition(entry, "restore", actor)
    return entry


def _require_reviewer(actor: User, entry: Entry) -> None:
    if not access.can_review(actor, entry):
        raise PermissionDenied(_("Hanya koordinator forum entri ini (atau admin) yang bisa meninjaunya."))


def _transition(entry: Entry, action: str, actor: User) -> None:
    was_published = entry.status == EntryStatus.PUBLISHED
    state = lifecycle.next_state(action, entry)
    lifecycle.apply_state(entry, state)
    now = timezone.now()
    if state == lifecycle.REVIEW:
        entry.review_requested_at = now
        entry.review_note = ""
    if action in ("approve", "reject", "publish"):
        entry.reviewed_by = actor
    if state == lifecycle.PUBLISHED:
        entry.published_at = entry.published_at or now
    entry.updated_at = now
    entry.save(update_fields=["status", "review_requested_at", "review_note", "reviewed_by", "published_at",
                              "updated_at"])
    sync_entries([entry.pk])
    if state == lifecycle.PUBLISHED and not was_published:
        _credit(entry, publish=True)
    elif was_published and state != lifecycle.PUBLISHED:
        _credit(entry, publish=False)


def _credited_people(entry: Entry) -> list[User]:
    people: list[User] = []
    if entry.author is not None:
        people.append(entry.author)
    ticket = entry.source_ticket
    if ticket is not None and ticket.accepted_message_id:
        answer = Message.objects.select_related("author").filter(pk=ticket.accepted_message_id).first()
        if answer is not None and answer.author is not None and answer.author.pk not in {p.pk for p in people}:
            people.append(answer.author)
    return people


def _credit(entry: Entry, *, publish: bool) -> None:
    """Credit for the entry's author and for whoever wrote the accepted answer it came from: a contribution on
    `tickets.events`, which the community forum turns into reputation (kb never imports the forum)."""
    for person in _credited_people(entry):
        contribution = Contribution(
            kind="kb_entry", piece_id=entry.pk, user=person, forum_id=entry.forum_id,
            region_code=entry.origin_region_id or "", ticket_id=entry.source_ticket_id,
        )
        events.contribution_changed(contribution, withdrawn=not publish)


def _notify_reviewers(entry: Entry, actor: User) -> None:
    """The coordinators of the entry's forum; when it has none, those of the nearest forum above it."""
    seen: set[int] = set()
    forum: Forum | None = entry.forum
    coordinators: list[User] = []
    while forum is not None and forum.pk not in seen and not coordinators:
        seen.add(forum.pk)
        coordinators = list(
            User.objects.filter(
                memberships__forum=forum, memberships__role=ForumMembership.Role.COORDINATOR,
                memberships__is_active=True, is_active=True,
            ).exclude(pk=actor.pk).distinct()
        )
        forum = forum.parent
    notify_many(coordinators, event="kb_review_request", url="/kb/tinjau/",
                text=_("Entri basis pengetahuan menunggu persetujuan: %(t)s") % {"t": entry.title})


# --- votes and views -----------------------------------------------------------------------------------------


@transaction.atomic
def entry_vote(*, entry: Entry, helpful: bool, user: User | None = None, session_key: str = "") -> Entry:
    """One vote per account (or per browser session without one); voting again changes the vote."""
    if entry.status != EntryStatus.PUBLISHED:
        raise PermissionDenied
    signed_in = user is not None and user.is_authenticated
    if not signed_in and not session_key:
        raise ValidationError(_("Sesi peramban diperlukan untuk memberi suara."))
    who: dict[str, Any] = {"user": user, "session_key": ""} if signed_in else {"user": None, "session_key": session_key}
    vote = EntryVote.objects.select_for_update().filter(entry=entry, **who).first()
    yes = no = 0
    if vote is None:
        try:
            with transaction.atomic():
                EntryVote.objects.create(entry=entry, helpful=helpful, **who)
        except IntegrityError:  # the same person voted twice at once: the other request counted it
            return entry
        yes, no = (1, 0) if helpful else (0, 1)
    elif vote.helpful != helpful:
        vote.helpful = helpful
        vote.at = timezone.now()
        vote.save(update_fields=["helpful", "at"])
        yes, no = (1, -1) if helpful else (-1, 1)
    if yes or no:
        Entry.objects.filter(pk=entry.pk).update(
            helpful_yes=F("helpful_yes") + yes, helpful_no=F("helpful_no") + no,
            helpful_score=F("helpful_score") + yes - no,
        )
        entry.refresh_from_db(fields=["helpful_yes", "helpful_no", "helpful_score"])
        sync_entries([entry.pk])  # helpful votes are a ranking boost
    return entry


def entry_viewed(entry: Entry) -> None:
    Entry.objects.filter(pk=entry.pk).update(views=F("views") + 1)


# --- settings --------------------------------------------------------------------------------------------------


@transaction.atomic
def forum_settings_update(*, forum: Forum, actor: User, auto_publish: bool, trusted: Iterable[int]) -> ForumKbSettings:
    if not can_manage_forum(actor, forum):
        raise PermissionDenied
    settings_row, _created = ForumKbSettings.objects.get_or_create(forum=forum)
    settings_row.auto_publish_trusted = auto_publish
    settings_row.save(update_fields=["auto_publish_trusted"])
    members = set(
        ForumMembership.objects.filter(forum=forum, is_active=True, user_id__in=list(trusted)).values_list(
            "user_id", flat=True
        )
    )
    settings_row.trusted.set(members)
    return settings_row

