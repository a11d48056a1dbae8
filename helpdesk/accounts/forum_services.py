"""Writes for ForSID forums: the forums themselves (admins), their members and invitations (coordinators).

Deactivating a member runs what is registered in `extensions.membership_deactivated` inside the same
transaction; the tickets app registers one that returns the member's open tickets to the forum's queue, so
accounts never imports tickets (see docs/architecture.md: dependencies point one way).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time as dtime
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from helpdesk.categories.models import Category
from helpdesk.regions.codes import normalize_code
from helpdesk.regions.models import Region

from .access import can_deactivate_membership, can_manage_forum, forget_roles, is_admin
from .extensions import membership_deactivated
from .models import Forum, ForumMembership, ForumRegion, Invitation, User
from .services import resolve_language, save_new_user, tell_owner_of_attempt
from .validation import FieldErrors, check_email, check_password, check_username, email_owner

Role = ForumMembership.Role

INVITATION_TTL = timedelta(days=7)


# --- Forums (admins) -------------------------------------------------------------------------------------


def _unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = (slugify(name) or "forum")[:50]
    slug, n = base, 2
    others = Forum.objects.exclude(pk=exclude_pk) if exclude_pk else Forum.objects.all()
    while others.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_regions(codes: Iterable[str], forum: Forum | None, errors: FieldErrors) -> list[Region]:
    wanted: list[str] = []
    for raw in codes:
        code = normalize_code(str(raw))
        if not code:
            errors.add("region_codes", _("Kode wilayah %(code)s tidak valid.") % {"code": raw})
        elif code not in wanted:
            wanted.append(code)
    regions = {r.code: r for r in Region.objects.filter(code__in=wanted)}
    for code in wanted:
        if code not in regions:
            errors.add("region_codes", _("Kode wilayah %(code)s tidak dikenal.") % {"code": code})
    taken = ForumRegion.objects.filter(region_id__in=list(regions)).select_related("forum")
    if forum is not None and forum.pk:
        taken = taken.exclude(forum=forum)
    for coverage in taken:
        errors.add(
            "region_codes",
            _("Wilayah %(code)s sudah dicakup oleh %(forum)s.") % {"code": coverage.region_id, "forum": coverage.forum.name},
        )
    return [regions[code] for code in wanted if code in regions]


def _check_parent(parent: Forum | None, forum: Forum | None, errors: FieldErrors) -> None:
    if parent is None or forum is None or not forum.pk:
        return
    seen: set[int] = set()
    node: Forum | None = parent
    while node is not None and node.pk not in seen:
        if node.pk == forum.pk:
            errors.add("parent", _("Forum induk tidak boleh forum ini sendiri atau turunannya."))
            return
        seen.add(node.pk)
        node = node.parent


def _save_forum(*, actor: User, forum: Forum, data: dict[str, Any]) -> Forum:
    if not is_admin(actor):
        raise PermissionDenied
    errors = FieldErrors()
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            errors.add("name", _("Nama forum wajib diisi."))
        elif Forum.objects.filter(name__iexact=name).exclude(pk=forum.pk).exists():
            errors.add("name", _("Nama forum ini sudah dipakai."))
        forum.name = name[:120]
        if not forum.slug:
            forum.slug = _unique_slug(name)
    if "mode" in data:
        if data["mode"] not in Forum.Mode.values:
            errors.add("mode", _("Mode harus claim atau auto."))
        forum.mode = data["mode"]
    if "parent" in data:
        _check_parent(data["parent"], forum, errors)
        forum.parent = data["parent"]
    if "telegram_chat_id" in data:
        chat = data["telegram_chat_id"]
        if chat is not None and Forum.objects.filter(telegram_chat_id=chat).exclude(pk=forum.pk).exists():
            errors.add("telegram_chat_id", _("Grup Telegram ini sudah dipakai forum lain."))
        forum.telegram_chat_id = chat
    if "is_active" in data:
        forum.is_active = bool(data["is_active"])
    regions = _check_regions(data["region_codes"], forum, errors) if "region_codes" in data else None
    errors.raise_if_any()
    try:
        with transaction.atomic():
            forum.save()
            if regions is not None:
                codes = [r.code for r in regions]
                ForumRegion.objects.filter(forum=forum).exclude(region_id__in=codes).delete()
                have = set(ForumRegion.objects.filter(forum=forum).values_list("region_id", flat=True))
                ForumRegion.objects.bulk_create(
                    [ForumRegion(forum=forum, region=r) for r in regions if r.code not in have]
                )
    except IntegrityError:
        # Another admin claimed one of the nodes (or the chat, or the name) between our check and the save.
        raise ValidationError(
            {"region_codes": [_("Sebagian data baru saja dipakai forum lain. Periksa lagi dan simpan ulang.")]}
        ) from None
    return forum


def forum_create(*, actor: User, data: dict[str, Any]) -> Forum:
    """A new forum: `name` (required), `region_codes`, `parent`, `mode`, `telegram_chat_id`."""
    data = {"region_codes": [], **data}
    if "name" not in data:
        data["name"] = ""
    return _save_forum(actor=actor, forum=Forum(), data=data)


def forum_update(*, actor: User, forum: Forum, data: dict[str, Any]) -> Forum:
    """Change only the keys present in `data`; `region_codes` replaces the forum's whole coverage."""
    return _save_forum(actor=actor, forum=forum, data=data)


# --- Members (coordinators) --------------------------------------------------------------------------------


def _check_role(role: str, errors: FieldErrors) -> None:
    if role not in Role.values:
        errors.add("role", _("Peran harus volunteer atau coordinator."))


def membership_add(
    *, actor: User, forum: Forum, user: User, role: str = Role.VOLUNTEER, categories: Iterable[Category] = ()
) -> ForumMembership:
    """Add an existing account to a forum (or bring a former member back)."""
    if not can_manage_forum(actor, forum):
        raise PermissionDenied
    errors = FieldErrors()
    _check_role(role, errors)
    if not user.is_active:
        errors.add("username", _("Akun ini tidak aktif."))
    existing = ForumMembership.objects.filter(forum=forum, user=user).first()
    if existing is not None and existing.is_active:
        errors.add("username", _("%(user)s sudah menjadi anggota forum ini.") % {"user": user.username})
    errors.raise_if_any()
    with transaction.atomic():
        if existing is None:
            membership = ForumMembership.objects.create(forum=forum, user=user, role=role)
        else:
            membership = existing
            membership.role, membership.is_active, membership.joined_at = role, True, timezone.now()
            membership.save(update_fields=["role", "is_active", "joined_at"])
        membership.categories.set(list(categories))
    forget_roles(user)
    return membership


def membership_update(
    *,
    actor: User,
    membership: ForumMembership,
    role: str | None = None,
    categories: Iterable[Category] | None = None,
) -> ForumMembership:
    """Managers change a member's role or skills; members may change their own skills."""
    manager = can_manage_forum(actor, membership.forum_id)
    if not manager and not (actor.pk == membership.user_id and role is None):
        raise PermissionDenied
    if role is not None and role != membership.role and membership.role == Role.COORDINATOR and not is_admin(actor):
        raise PermissionDenied  # only an admin takes the coordinator role away
    errors = FieldErrors()
    if role is not None:
        _check_role(role, errors)
    errors.raise_if_any()
    with transaction.atomic():
        if role is not None and role != membership.role:
            membership.role = role
            membership.save(update_fields=["role"])
        if categories is not None:
            membership.categories.set(list(categories))
    forget_roles(membership.user)
    return membership


def membership_set_availability(
    *,
    actor: User,
    membership: ForumMembership,
    available: bool,
    work_start: dtime | None = None,
    work_end: dtime | None = None,
    max_open_tickets: int | None = None,
) -> ForumMembership:
    """A volunteer's availability in one forum: on/off, optional working hours, how many open tickets at most."""
    if actor.pk != membership.user_id and not can_manage_forum(actor, membership.forum_id):
        raise PermissionDenied
    errors = FieldErrors()
    if (work_start is None) != (work_end is None):
        errors.add("work_end", _("Isi jam mulai dan jam selesai, atau kosongkan keduanya."))
    elif work_start is not None and work_start == work_end:
        errors.add("work_end", _("Jam selesai harus berbeda dari jam mulai."))
    if max_open_tickets is not None and not 1 <= max_open_tickets <= 100:
        errors.add("max_open_tickets", _("Isi angka 1 sampai 100."))
    errors.raise_if_any()
    membership.available = available
    membership.work_start, membership.work_end = work_start, work_end
    fields = ["available", "work_start", "work_end"]
    if max_open_tickets is not None:
        membership.max_open_tickets = max_open_tickets
        fields.append("max_open_tickets")
    membership.save(update_fields=fields)
    return membership


def membership_deactivate(*, actor: User, membership: ForumMembership) -> ForumMembership:
    """Take a volunteer out of a forum. Their open tickets go back to the queue (see extensions.membership_deactivated)."""
    if not can_deactivate_membership(actor, membership):
        raise PermissionDenied
    with transaction.atomic():
        changed = ForumMembership.objects.filter(pk=membership.pk, is_active=True).update(is_active=False)
        membership.is_active = False
        if changed:
            for callback in membership_deactivated.values():
                callback(membership)
    forget_roles(membership.user)
    return membership


# --- Invitations -----------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('accounts:invite-accept', args=[token])}"


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str  # shown once; only its hash is stored

    @property
    def url(self) -> str:
        return invitation_url(self.token)


def invitation_create(
    *, actor: User, forum: Forum, role: str = Role.VOLUNTEER, categories: Iterable[Category] = (), email: str = ""
) -> NewInvitation:
    """A single-use link to join `forum` with `role`, valid for 7 days."""
    if not can_manage_forum(actor, forum):
        raise PermissionDenied
    errors = FieldErrors()
    _check_role(role, errors)
    errors.raise_if_any()
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            forum=forum,
            role=role,
            token_hash=_token_hash(token),
            email=(email or "").strip(),
            created_by=actor,
            created_at=now,
            expires_at=now + INVITATION_TTL,
        )
        invitation.categories.set(list(categories))
    return NewInvitation(invitation, token)


def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    if not can_manage_forum(actor, invitation.forum_id):
        raise PermissionDenied
    Invitation.objects.filter(pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    invitation.refresh_from_db()
    return invitation


def invitation_problem(invitation: Invitation | None) -> str | None:
    """Why this invitation cannot be used now, in words for its holder; None when it can."""
    if invitation is None:
        return _("Undangan tidak dikenal. Periksa tautannya, atau minta undangan baru kepada koordinator.")
    if invitation.used_at is not None:
        return _("Undangan ini sudah dipakai. Minta undangan baru kepada koordinator.")
    if invitation.revoked_at is not None:
        return _("Undangan ini sudah dibatalkan. Minta undangan baru kepada koordinator.")
    if invitation.expires_at <= timezone.now():
        return _("Undangan ini sudah kedaluwarsa. Minta undangan baru kepada koordinator.")
    if not invitation.forum.is_active:
        return _("Forum ini tidak aktif lagi.")
    return None


def invitation_find(token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    return Invitation.objects.select_related("forum").filter(token_hash=_token_hash(token)).first()


def invitation_accept(
    *,
    token: str,
    user: User | None = None,
    username: str = "",
    password: str = "",
    email: str = "",
    name: str = "",
    categories: Iterable[Category] | None = None,
    available: bool = True,
    work_start: dtime | None = None,
    work_end: dtime | None = None,
    language: str | None = None,
) -> ForumMembership:
    """Use an invitation: with `user` (signed in) join as that account, else create the account first."""
    errors = FieldErrors()
    invitation = invitation_find(token)
    problem = invitation_problem(invitation)
    if problem:
        errors.add("token", problem)
    new_user: User | None = None
    owner: User | None = None
    if user is None:
        username = check_username(username, errors)
        email = check_email(email, errors)
        owner = email_owner(email)  # never confirmed to the person typing it: its holder is mailed instead
        new_user = User(username=username, email="" if owner else email, name=(name or "").strip()[:150],
                        language=resolve_language(language))
        check_password(password, new_user, errors)
    if (work_start is None) != (work_end is None):
        errors.add("work_end", _("Isi jam mulai dan jam selesai, atau kosongkan keduanya."))
    errors.raise_if_any()
    assert invitation is not None
    try:
        with transaction.atomic():
            # Compare-and-set: of two people using one link at once, only one gets in.
            claimed = Invitation.objects.filter(
                pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
            ).update(used_at=timezone.now())
            if not claimed:
                raise ValidationError({"token": [_("Undangan ini sudah dipakai. Minta undangan baru kepada koordinator.")]})
            if new_user is not None:
                new_user.set_password(password)
                owner = save_new_user(new_user) or owner
                if owner is not None:
                    tell_owner_of_attempt(owner)
                member = new_user
            else:
                assert user is not None
                member = user
            Invitation.objects.filter(pk=invitation.pk).update(used_by=member)
            membership = _join(invitation, member, categories, available, work_start, work_end)
    except IntegrityError:
        raise ValidationError({"username": [_("Nama pengguna ini sudah dipakai. Pilih nama lain.")]}) from None
    forget_roles(member)
    return membership


def _join(
    invitation: Invitation,
    member: User,
    categories: Iterable[Category] | None,
    available: bool,
    work_start: dtime | None,
    work_end: dtime | None,
) -> ForumMembership:
    membership = ForumMembership.objects.filter(forum=invitation.forum, user=member).first()
    role = invitation.role
    if membership is None:
        membership = ForumMembership(forum=invitation.forum, user=member)
    elif membership.is_active and membership.role == Role.COORDINATOR:
        role = Role.COORDINATOR  # an invitation never demotes a coordinator
    membership.role = role
    membership.is_active = True
    membership.available = available
    membership.work_start, membership.work_end = work_start, work_end
    membership.save()
    chosen = list(categories) if categories is not None else list(invitation.categories.all())
    membership.categories.set(chosen)
    return membership
