"""The permission crawler's machinery: every URL pattern of the project, its parameters filled with real objects,
and one request per role, each rolled back so that no role's request changes what the next one sees."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.admin.options import ModelAdmin
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver

from .conftest import Objects, email_token, reset_path, user_for, web


@dataclass(frozen=True)
class Pattern:
    route: str  # the pattern as written, prefixes joined: "api/v1/tickets/<int:ticket_id>/"
    key: str  # the table's key: the route, with an admin model's "app/model/" written "<model>/"
    model_admin: ModelAdmin[Any] | None


ADMIN_MODEL = re.compile(r"^admin/([a-z_]+)/([a-z_]+)/")


def patterns() -> list[Pattern]:
    """Every URL pattern of the project, resolvers walked recursively."""
    found: list[Pattern] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, prefix + str(p.pattern))
                continue
            assert isinstance(p, URLPattern)
            route = prefix + str(p.pattern)
            # The admin site wraps each model's views, keeping the ModelAdmin as `model_admin`.
            model_admin = getattr(p.callback, "model_admin", None)
            if not isinstance(model_admin, ModelAdmin):
                model_admin = None
            key = ADMIN_MODEL.sub("admin/<model>/", route) if model_admin is not None else route
            found.append(Pattern(route, key, model_admin))

    walk(get_resolver(), "")
    return found


def _values(o: Objects, route: str) -> dict[str, str]:
    """The parameters of `route`, from real objects. A forum route names the public question, a ticket route the
    private ticket; an operator to review is the pending one, a member of a forum a volunteer of it."""
    w = o.world
    forum_route = route.startswith(("forum/pertanyaan", "api/v1/forum/", "api/v1/messages/", "api/v1/tickets/<int:ticket_id>/accept"))
    ticket = o.question if forum_route else o.ticket
    uidb64, reset_token = reset_path(w.op_a)
    values = {
        "ticket_id": str(ticket.pk),
        "number": ticket.number,
        "attachment_id": str(o.attachment.pk),
        "message_id": str(o.answer.pk),
        "comment_id": str(o.comment.pk),
        "flag_id": str(o.flag.pk),
        "proposal_id": str(o.proposal.pk),
        "invitation_id": str(o.invitation.pk),
        "forum_id": str(w.lotim.pk),
        "reply_id": str(o.canned.pk),
        "user_id": str(o.pending.pk) if "accounts/" in route or "verifikasi" in route else str(w.vol2_lotim.pk),
        "username": w.op_b.username,
        # A dashboard opens on Lombok Timur (the coordinator's region: its desas' tiles and bars name regions);
        # the adoption form and the regions API on Desa A.
        "code": "52.03" if route.startswith("dasbor/<str:code>/") else "52.03.01.2001",
        "key": str(w.lotim.pk),
        "entry_id": str(o.entry.pk),
        "slug": o.entry.slug or "entri",
        "uidb64": uidb64,
        "token": o.invitation_token if route.startswith("undangan/") else reset_token,
        "url": "tidak-ada/",
        "id": str(w.op_a.pk),
    }
    if route.startswith("profil/email/"):
        values["token"] = email_token(w.op_a)
    if route.startswith("api/v1/messages/<int:pk>"):
        values["pk"] = str(o.answer.pk)
    elif route.startswith("api/v1/forum/comments/"):
        values["pk"] = str(o.comment.pk)
    else:
        values["pk"] = str(o.question.pk)
    if route.startswith("tiket/"):
        values["action"] = "ambil"
    elif route.startswith("forum/"):
        values["action"] = "kunci"
    elif route.startswith("kb/"):
        values["action"] = "arsipkan"
    return values


def _admin_object(p: Pattern) -> str:
    assert p.model_admin is not None
    first = p.model_admin.model._default_manager.order_by("pk").first()
    return str(first.pk) if first is not None else "999999999"


def url_of(o: Objects, p: Pattern) -> str:
    if p.route == "admin/(?P<url>.*)$":
        return "/admin/tidak-ada/"
    if p.route.startswith("admin/^(?P<app_label>"):
        return "/admin/tickets/"
    if p.model_admin is not None:
        meta = p.model_admin.model._meta
        route = p.route.replace("<path:object_id>", _admin_object(p)).replace("<id>", _admin_object(p))
        assert route.startswith(f"admin/{meta.app_label}/{meta.model_name}/"), route
        return "/" + route
    if p.route.startswith("admin/r/"):
        from django.contrib.contenttypes.models import ContentType

        ct = ContentType.objects.get_for_model(apps.get_model("tickets", "Ticket"))
        return f"/admin/r/{ct.pk}/{o.ticket.pk}/"
    values = _values(o, p.route)

    def fill(m: re.Match[str]) -> str:
        return values[m.group(2)]

    path = re.sub(r"<(?:(\w+):)?(\w+)>", fill, p.route)
    assert "<" not in path and "(" not in path, path
    return "/" + path


class _Rollback(Exception):
    pass


def outcome(response: HttpResponse) -> str:
    """A response as an outcome class: the status, with a redirect to a sign-in page written `login`."""
    status = response.status_code
    if status in (301, 302, 303):
        location = response.headers.get("Location", "")
        if location.startswith(("/masuk/", "/admin/login/")):
            return "login"
        return "302"
    return str(status)


def probe(o: Objects, role: str, method: str, url: str) -> str:
    """One request as `role`, rolled back afterwards; the rate limits' counters are cleared before it."""
    cache.clear()
    result = ""
    try:
        with transaction.atomic():  # signing in too: it moves last_login, which password reset links hang on
            client = web(user_for(o, role))
            client.raise_request_exception = False
            response = client.generic(method, url)
            result = outcome(response)
            raise _Rollback
    except _Rollback:
        pass
    return result


def parse_row(row: str, roles: tuple[str, ...]) -> dict[str, str]:
    """`"*=200 anon=login op2=404"` → an outcome per role (`*` is every role not named)."""
    named = dict(part.split("=", 1) for part in row.split())
    default = named.pop("*", None)
    unknown = set(named) - set(roles)
    assert not unknown, f"unknown roles {unknown} in {row!r}"
    expected = {role: named.get(role, default) for role in roles}
    missing = [role for role, value in expected.items() if value is None]
    assert not missing, f"no outcome for {missing} in {row!r}"
    return {role: str(value) for role, value in expected.items()}


def compact(observed: dict[str, str]) -> str:
    """The shortest row for `observed`: the most common outcome as `*`, the others by role."""
    counts: dict[str, int] = {}
    for value in observed.values():
        counts[value] = counts.get(value, 0) + 1
    common = max(counts, key=lambda v: counts[v])
    rest = " ".join(f"{role}={value}" for role, value in observed.items() if value != common)
    return f"*={common}" + (f" {rest}" if rest else "")
