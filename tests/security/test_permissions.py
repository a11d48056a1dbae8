"""The permission crawler: every URL pattern of the project against every role, from one table.

Each row of `TABLE` is a URL pattern (as `django.urls` writes it, prefixes joined), the method the crawler sends
and the outcome per role: a status, or `login` for a redirect to a sign-in page. The parameters are filled with
real objects (tests/security/conftest.py): `ticket` routes name a private ticket of Desa A (ForSID Lombok Timur),
forum routes a public question, `forum_id` ForSID Lombok Timur. POSTs carry no body: a role that may act gets
past the access check to a 400 or a redirect, one that may not gets 403/404. Each request is rolled back.

Roles: `anon`ymous, `op` (operator of Desa A, the ticket's reporter), `op2` (operator of another desa), `vol`
(volunteer of ForSID Lombok Timur), `vol2` (volunteer of ForSID Bima), `coord` (coordinator of Lombok Timur),
`plan` (planner: dashboards only), `admin` (superuser). `*` is every role not named.

The admin site's model views are one row per kind of view (`admin/<model>/...`): only staff get in, whatever the
model. A new URL pattern without a row fails `test_every_url_pattern_has_a_row`: classify it here.

`SECURITY_TABLE_DUMP=1` prints the observed table, to classify new rows (then check every outcome by hand).
"""

from __future__ import annotations

import os

import pytest

from .conftest import ROLES, Objects
from .crawl import compact, parse_row, patterns, probe, url_of

# An admin page of one object: 302 back to the list when the model has no row to name.
OBJECT = "*=login admin=200|302"

TABLE: dict[str, tuple[str, str]] = {
    "": ("GET", "*=200"),
    "healthz": ("GET", "*=200"),
    "readyz": ("GET", "*=200"),
    "metrics": ("GET", "*=403"),  # the scraper's token (METRICS_TOKEN, set in conftest.py), never a session
    "api/v1/schema/": ("GET", "*=200"),
    "api/v1/docs/": ("GET", "*=200"),
    "api/v1/me/": ("GET", "*=200 anon=401"),
    "api/v1/auth/token/": ("POST", "*=400"),
    "api/v1/auth/sign-out-everywhere/": ("POST", "*=204 anon=401"),
    "api/v1/accounts/register/": ("POST", "*=400"),
    "api/v1/accounts/pending/": ("GET", "*=403 anon=401 coord=200 admin=200"),
    "api/v1/accounts/accept-invite/": ("POST", "*=400"),
    "api/v1/accounts/<int:user_id>/verify/": ("POST", "*=403 anon=401 coord=200 admin=200"),
    "api/v1/accounts/<int:user_id>/reject/": ("POST", "*=403 anon=401 coord=200 admin=200"),
    "api/v1/accounts/<int:user_id>/deactivate/": ("POST", "*=403 anon=401 coord=409 admin=409"),
    "api/v1/forums/": ("GET", "*=200 anon=401"),
    "api/v1/forums/<int:forum_id>/": ("GET", "*=403 anon=401 vol=200 coord=200 admin=200"),
    "api/v1/forums/<int:forum_id>/members/": ("GET", "*=403 anon=401 vol=200 coord=200 admin=200"),
    "api/v1/forums/<int:forum_id>/members/<int:user_id>/": ("PATCH", "*=403 anon=401 coord=200 admin=200"),
    "api/v1/forums/<int:forum_id>/members/<int:user_id>/deactivate/": ("POST", "*=403 anon=401 coord=200 admin=200"),
    "api/v1/forums/<int:forum_id>/invitations/": ("GET", "*=403 anon=401 coord=200 admin=200"),
    "api/v1/forums/<int:forum_id>/invitations/<int:invitation_id>/revoke/": ("POST", "*=403 anon=401 coord=200 admin=200"),
    "api/v1/regions/": ("GET", "*=200"),
    "api/v1/regions/<str:code>/": ("GET", "*=200"),
    "api/v1/categories/": ("GET", "*=200"),
    "api/v1/tickets/": ("GET", "*=200 anon=401"),
    "api/v1/tickets/<int:ticket_id>/": ("GET", "*=404 op=200 vol=200 coord=200 admin=200"),
    "api/v1/tickets/<int:ticket_id>/messages/": ("POST", "*=400 anon=401 op2=404 vol2=404 plan=404"),
    "api/v1/tickets/<int:ticket_id>/claim/": ("POST", "*=404 anon=401 op=403 vol=200 coord=409 admin=403"),
    "api/v1/tickets/<int:ticket_id>/resolve/": ("POST", "*=200 anon=401 op2=404 vol2=404 plan=404"),
    "api/v1/tickets/<int:ticket_id>/close/": ("POST", "*=404 anon=401 op=409 vol=200 coord=200 admin=200"),
    "api/v1/tickets/<int:ticket_id>/reopen/": ("POST", "*=409 anon=401 op2=404 vol2=404 plan=404"),
    "api/v1/tickets/<int:ticket_id>/duplicate/": ("POST", "*=400 anon=401 op2=404 vol2=404 plan=404"),
    "api/v1/tickets/<int:ticket_id>/rate/": ("POST", "*=400 anon=401 op2=404 vol2=404 plan=404"),
    "api/v1/tickets/<int:ticket_id>/attachments/": ("POST", "*=400 anon=401 op2=404 vol2=404 plan=404"),
    "api/v1/attachments/<int:attachment_id>/": ("GET", "*=404 op=200 vol=200 coord=200 admin=200"),
    "api/v1/tickets/bulk/": ("POST", "*=400 anon=401"),
    "api/v1/tickets/<int:ticket_id>/merge/": ("POST", "*=400 anon=401 op2=404 vol2=404 plan=404"),
    "api/v1/tickets/<int:ticket_id>/watch/": ("POST", "*=200 anon=401 op2=404 vol2=404 plan=404"),
    "api/v1/canned-replies/": ("GET", "*=200 anon=401"),
    "api/v1/forums/<int:forum_id>/csat/": ("GET", "*=403 anon=401 coord=200 admin=200"),
    "api/v1/sla/policies/<str:key>/": ("GET", "*=200 anon=401"),
    "api/v1/sla/holidays/": ("GET", "*=200 anon=401"),
    "api/v1/forum/questions/": ("GET", "*=200"),
    "api/v1/forum/questions/<int:ticket_id>/": ("GET", "*=200"),
    "api/v1/forum/questions/<int:ticket_id>/comments/": ("POST", "*=400 anon=401"),
    "api/v1/forum/questions/<int:pk>/flag/": ("POST", "*=400 anon=401"),
    "api/v1/forum/questions/<int:pk>/hide/": ("POST", "*=403 anon=401 coord=200 admin=200"),
    "api/v1/forum/questions/<int:pk>/unhide/": ("POST", "*=403 anon=401 coord=409 admin=409"),
    "api/v1/forum/questions/<int:ticket_id>/lock/": ("POST", "*=400 anon=401"),
    "api/v1/forum/questions/<int:ticket_id>/move/": ("POST", "*=400 anon=401"),
    "api/v1/forum/questions/<int:ticket_id>/duplicate/": ("POST", "*=400 anon=401"),
    "api/v1/forum/questions/<int:ticket_id>/history/": ("GET", "*=403 anon=401 op2=200 coord=200 admin=200"),
    "api/v1/tickets/<int:ticket_id>/accept/": ("POST", "*=400 anon=401"),
    "api/v1/messages/<int:message_id>/vote/": ("POST", "*=400 anon=401"),
    "api/v1/messages/<int:pk>/flag/": ("POST", "*=400 anon=401"),
    "api/v1/messages/<int:pk>/hide/": ("POST", "*=403 anon=401 coord=200 admin=200"),
    "api/v1/messages/<int:pk>/unhide/": ("POST", "*=403 anon=401 coord=409 admin=409"),
    "api/v1/messages/<int:message_id>/": ("PATCH", "*=400 anon=401"),
    "api/v1/forum/comments/<int:pk>/flag/": ("POST", "*=400 anon=401"),
    "api/v1/forum/comments/<int:pk>/hide/": ("POST", "*=403 anon=401 coord=200 admin=200"),
    "api/v1/forum/comments/<int:pk>/unhide/": ("POST", "*=403 anon=401 coord=409 admin=409"),
    "api/v1/forum/comments/<int:comment_id>/": ("PATCH", "*=400 anon=401"),
    "api/v1/forum/moderation/": ("GET", "*=403 anon=401 coord=200 admin=200"),
    "api/v1/forum/flags/<int:flag_id>/review/": ("POST", "*=403 anon=401 coord=400 admin=400"),
    "api/v1/forum/proposals/": ("POST", "*=400 anon=401"),
    "api/v1/forum/proposals/<int:proposal_id>/accept/": ("POST", "*=404 anon=401 op=200 vol=403 coord=403 admin=403"),
    "api/v1/forum/proposals/<int:proposal_id>/decline/": ("POST", "*=404 anon=401 op=200 vol=403 coord=403 admin=403"),
    "api/v1/forum/users/<str:username>/": ("GET", "*=200"),
    "api/v1/forum/leaderboard/": ("GET", "*=200"),
    "api/v1/kb/search/": ("GET", "*=400"),
    "api/v1/kb/suggest/": ("GET", "*=400"),
    "api/v1/kb/entries/<int:entry_id>/": ("GET", "*=200"),
    "api/v1/realtime/ticket/": ("POST", "*=201 anon=401"),
    "api/v1/notifications/": ("GET", "*=200 anon=401"),
    "api/v1/notifications/read/": ("POST", "*=400 anon=401"),
    "api/v1/me/export/": ("GET", "*=200 anon=401"),  # one's own data only (test_personal_data.py)
    "api/v1/me/erase/": ("POST", "*=400 anon=401"),  # needs the password (test_erasure.py)
    "api/v1/me/telegram-link/": ("POST", "*=409 anon=401"),  # 409: no TELEGRAM_BOT_TOKEN in the suite, no link
    "api/v1/forums/<int:forum_id>/telegram-code/": ("POST", "*=403 anon=401 coord=409 admin=409"),
    # Dashboards: planners, coordinators (their regions; Desa A is in Lombok Timur) and admins; open data for all.
    "api/v1/stats/": ("GET", "*=403 anon=401 coord=200 plan=200 admin=200"),
    "api/v1/stats/adoption/": ("GET", "*=403 anon=401 coord=200 plan=200 admin=200"),
    "api/v1/open/stats/": ("GET", "*=200"),
    "daftar/": ("GET", "*=200"),
    "daftar/selesai/": ("GET", "*=200 anon=login"),
    "masuk/": ("GET", "*=200"),
    "admin/login/": ("GET", "*=403 anon=login admin=302"),  # signed in without admin rights: told so
    "keluar/": ("GET", "*=200"),
    "keluar/semua/": ("POST", "*=login"),
    "sandi/lupa/": ("GET", "*=200"),
    "sandi/lupa/terkirim/": ("GET", "*=200"),
    "sandi/atur/<uidb64>/<token>/": ("GET", "*=302 op=200"),  # op_a's link; signing in voids it
    "sandi/atur/selesai/": ("GET", "*=200"),
    "sandi/ganti/": ("GET", "*=200 anon=login"),
    "profil/": ("GET", "*=200 anon=login"),
    "profil/email/<str:token>/": ("GET", "*=302 anon=login"),
    "profil/forum/<int:forum_id>/": ("POST", "*=302 anon=login vol=400 coord=400"),
    "verifikasi-operator/": ("GET", "*=403 anon=login coord=200 admin=200"),
    "verifikasi-operator/<int:user_id>/": ("POST", "*=403 anon=login coord=302 admin=302"),
    "forsid/": ("GET", "*=200 anon=login"),
    "forsid/<int:forum_id>/": ("GET", "*=403 anon=login vol=200 coord=200 admin=200"),
    "forsid/<int:forum_id>/anggota/": ("POST", "*=403 anon=login coord=400 admin=400"),
    "forsid/<int:forum_id>/anggota/<int:user_id>/nonaktifkan/": ("POST", "*=403 anon=login coord=302 admin=302"),
    "forsid/<int:forum_id>/undangan/": ("GET", "*=403 anon=login coord=200 admin=200"),
    "forsid/<int:forum_id>/undangan/<int:invitation_id>/batalkan/": ("POST", "*=403 anon=login coord=302 admin=302"),
    "undangan/<str:token>/": ("GET", "*=200"),
    "tiket/": ("GET", "*=200 anon=login"),
    "tiket/baru/": ("GET", "*=403 anon=login op=200 op2=200"),
    # Signed out, a private ticket's link asks for sign-in (and comes back); signed in without access: 404 (issue 15).
    "tiket/id/<int:ticket_id>/": ("GET", "*=404 anon=login op=302 vol=302 coord=302 admin=302"),
    "tiket/<str:number>/": ("GET", "*=404 anon=login op=200 vol=200 coord=200 admin=200"),
    # The crawler posts an empty reply: refused whole and the page shown again with 400 (issue 15).
    "tiket/<str:number>/balas/": ("POST", "*=400 anon=login op2=404 vol2=404 plan=404"),
    "tiket/<str:number>/lampiran/": ("POST", "*=302 anon=login op2=404 vol2=404 plan=404"),
    "tiket/<str:number>/aksi/<slug:action>/": ("POST", "*=302 anon=login op2=404 vol2=404 plan=404"),
    "antrian/": ("GET", "*=200 anon=login op=403 op2=403 plan=403"),
    "antrian/massal/": ("POST", "*=302 anon=login"),
    "forsid/<int:forum_id>/kepuasan/": ("GET", "*=403 anon=login coord=200 admin=200"),
    "forum/<int:forum_id>/kepuasan/": ("GET", "*=302"),
    "lampiran/<int:attachment_id>/": ("GET", "*=404 op=200 vol=200 coord=200 admin=200"),
    "forum/": ("GET", "*=200"),
    "forum/tanya/": ("GET", "*=403 anon=login op=200 op2=200"),
    "forum/pertanyaan/<str:number>/": ("GET", "*=200"),
    "forum/pertanyaan/<str:number>/jawab/": ("POST", "*=302 anon=login"),
    "forum/pertanyaan/<str:number>/sunting/": ("GET", "*=200 anon=login op=403 vol2=403 plan=403"),
    "forum/pertanyaan/<str:number>/riwayat/": ("GET", "*=403 anon=login op2=200 coord=200 admin=200"),
    "forum/pertanyaan/<str:number>/alat/": ("GET", "*=404 anon=login"),
    "forum/pertanyaan/<str:number>/aksi/<slug:action>/": ("POST", "*=302 anon=login"),
    "forum/pengguna/<str:username>/": ("GET", "*=200"),
    "forum/peringkat/": ("GET", "*=200"),
    "forum/moderasi/": ("GET", "*=403 anon=login coord=200 admin=200"),
    "forum/usulan/<int:proposal_id>/": ("GET", "*=200 anon=login op2=404 vol2=404 plan=404"),
    "kb/": ("GET", "*=200"),
    "kb/cari/": ("GET", "*=200"),
    "cari/": ("GET", "*=200"),  # the one search box (issue 15 item 7); tickets only through the ticket access door
    "kb/baru/": ("GET", "*=200 anon=login op=403 op2=403 plan=403"),
    "kb/tinjau/": ("GET", "*=403 anon=login coord=200 admin=200"),
    "kb/pencarian/": ("GET", "*=403 anon=login coord=200 admin=200"),  # reviewers, as kb/tinjau/
    "kb/pencarian/sinonim/": ("POST", "*=403 anon=login coord=302 admin=302"),
    "kb/pencarian/nilai/": ("POST", "*=403 anon=login coord=302 admin=302"),
    "kb/pengaturan/<int:forum_id>/": ("GET", "*=403 anon=login coord=200 admin=200"),
    "kb/<int:entry_id>/": ("GET", "*=302"),
    "kb/<int:entry_id>/ubah/": ("GET", "*=403 anon=login coord=200 admin=200"),
    "kb/<int:entry_id>/aksi/<slug:action>/": ("POST", "*=302 anon=login"),
    "kb/<int:entry_id>/suara/": ("POST", "*=302"),
    "kb/<int:entry_id>/<slug:slug>/": ("GET", "*=200"),
    "dasbor/": ("GET", "*=403 anon=login coord=302 plan=302 admin=302"),  # to their region, or the one province
    "dasbor/<str:code>/": ("GET", "*=403 anon=login coord=200 plan=200 admin=200"),
    "dasbor/<str:code>/laporan/": ("GET", "*=403 anon=login coord=200 plan=200 admin=200"),
    "dasbor/desa/<str:code>/adopsi/": ("GET", "*=403 anon=login coord=200 admin=200"),  # planners only read
    "notifikasi/": ("GET", "*=200 anon=login"),
    "notifikasi/baca/": ("POST", "*=302 anon=login"),
    "telegram/webhook/": ("POST", "*=404"),
    # Changing one's own reply within 10 minutes (issue 20): `message_id` is the volunteer's answer on the public
    # question, which everyone may read and only its author may change.
    "pesan/<int:message_id>/ubah/": ("GET", "*=403 anon=login vol=200"),
    "profil/data-saya/": ("GET", "*=200 anon=login"),
    "profil/hapus/": ("POST", "*=302 anon=login"),  # a wrong password: back to the profile
    "profil/telegram/": ("POST", "*=302 anon=login"),  # 302: refused without a token, back to the profile
    "forsid/<int:forum_id>/telegram/": ("POST", "*=403 anon=login coord=302 admin=302"),
    "forsid/<int:forum_id>/telegram/pengaturan/": ("GET", "*=403 anon=login coord=200 admin=200"),
    # A team's canned replies: its coordinators and admins manage them (issue 15).
    "forsid/<int:forum_id>/balasan/": ("GET", "*=403 anon=login coord=200 admin=200"),
    "forsid/<int:forum_id>/balasan/<int:reply_id>/": ("GET", "*=403 anon=login coord=200 admin=200"),
    "forsid/<int:forum_id>/balasan/<int:reply_id>/hapus/": ("POST", "*=403 anon=login coord=302 admin=302"),
    "favicon.ico": ("GET", "*=302"),  # a permanent redirect to the project's own icon under /static/
    "i18n/setlang/": ("POST", "*=302"),
    "admin/": ("GET", "*=login admin=200"),
    "admin/logout/": ("POST", "*=302 admin=200"),
    "admin/password_change/": ("GET", "*=login admin=200"),
    "admin/password_change/done/": ("GET", "*=login admin=200"),
    "admin/autocomplete/": ("GET", "*=login admin=403"),
    "admin/jsi18n/": ("GET", "*=login admin=200"),
    "admin/r/<path:content_type_id>/<path:object_id>/": ("GET", "*=login admin=302"),
    "admin/<model>/": ("GET", "*=login admin=200"),
    "admin/<model>/add/": ("GET", "*=login admin=200|403"),  # 403: a log the admin only reads
    "admin/<model>/<path:object_id>/history/": ("GET", OBJECT),
    "admin/<model>/<path:object_id>/delete/": ("GET", OBJECT),
    "admin/<model>/<path:object_id>/change/": ("GET", OBJECT),
    "admin/<model>/<path:object_id>/": ("GET", "*=login admin=302"),  # to .../change/
    "admin/accounts/user/<id>/password/": ("GET", "*=login admin=200"),
    "admin/^(?P<app_label>auth|authtoken|core|regions|categories|accounts|search|notifications|tickets|forum|kb|dashboards|bots)/$": ("GET", "*=login admin=200"),
    "admin/(?P<url>.*)$": ("GET", "*=login admin=404"),
}

DUMP = os.environ.get("SECURITY_TABLE_DUMP") == "1"


def test_every_url_pattern_has_a_row() -> None:
    keys = {p.key for p in patterns()}
    missing = sorted(keys - set(TABLE))
    stale = sorted(set(TABLE) - keys)
    assert not missing or DUMP, f"URL patterns without a row in the permission table: {missing}"
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"


@pytest.mark.django_db
def test_every_url_as_every_role(objects: Objects) -> None:
    wrong: list[str] = []
    dump: dict[str, tuple[str, str]] = {}
    checked = 0
    for p in patterns():
        method, row = TABLE.get(p.key, ("GET", ""))
        url = url_of(objects, p)
        observed = {role: probe(objects, role, method, url) for role in ROLES}
        checked += len(ROLES)
        if DUMP and p.key not in TABLE and "405" in observed.values():
            method = "POST"
            observed = {role: probe(objects, role, method, url) for role in ROLES}
        if DUMP:
            dump.setdefault(p.key, (method, compact(observed)))
            continue
        expected = parse_row(row, ROLES)
        for role in ROLES:
            if observed[role] not in expected[role].split("|"):
                wrong.append(f"{method} {url} ({p.key}) as {role}: expected {expected[role]}, got {observed[role]}")
    if DUMP:
        for key, (method, row) in dump.items():
            print(f'    "{key}": ("{method}", "{row}"),')
        pytest.skip("table dumped")
    assert not wrong, "\n".join(wrong)
    assert checked >= 8 * 300


# Websocket streams: subscribed (`ok`) or refused (`no`); anonymous connections are closed before subscribing.
STREAMS: dict[str, str] = {
    "ticket:{ticket}": "*=ok anon=closed op2=no vol2=no plan=no",  # private: its desa, its forum, admin
    "ticket:{question}": "*=ok anon=closed",  # public
    "queue:{forum}": "*=no anon=closed vol=ok coord=ok admin=ok",
    "user:{op}": "*=no anon=closed op=ok",
}


def _stream(template: str, o: Objects) -> str:
    return template.format(ticket=o.ticket.pk, question=o.question.pk, forum=o.world.lotim.pk, op=o.world.op_a.pk)


async def _subscribe_as(o: Objects, role: str, stream: str) -> str:
    from channels.db import database_sync_to_async

    from tests.realtime.conftest import TIMEOUT, next_frame, open_ws

    from .conftest import user_for

    user = user_for(o, role)
    comm = await open_ws(await database_sync_to_async(lambda: user and type(user).objects.get(pk=user.pk))())
    try:
        if user is None:
            first = await next_frame(comm)
            closed = await comm.receive_output(timeout=TIMEOUT)
            assert first["code"] == "not_authenticated" and closed["type"] == "websocket.close", (first, closed)
            return "closed"
        await comm.send_json_to({"action": "subscribe", "stream": stream})
        answer = await next_frame(comm)
        assert answer.get("stream") == stream, answer
        return "ok" if answer["type"] == "subscribed" else "no"
    finally:
        await comm.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_every_stream_as_every_role(objects: Objects, live: None) -> None:
    wrong: list[str] = []
    for template, row in STREAMS.items():
        stream = _stream(template, objects)
        expected = parse_row(row, ROLES)
        observed = {role: await _subscribe_as(objects, role, stream) for role in ROLES}
        if DUMP:
            print(f'    "{template}": "{compact(observed)}",')
            continue
        wrong += [f"{stream} as {role}: expected {expected[role]}, got {observed[role]}"
                  for role in ROLES if observed[role] != expected[role]]
    assert not wrong, "\n".join(wrong)


# A dashboard's region is part of its permission: a coordinator sees the regions of their forums and what lies
# below them, nothing beside (the table's rows name Lombok Timur, the coordinator's own region).
SCOPED = {
    "/dasbor/52.06/": "403",  # Bima, another forum's region
    "/dasbor/52.06/laporan/": "403",
    "/dasbor/desa/52.06.01.2001/adopsi/": "403",
    "/api/v1/stats/?region=52.06": "403",
    "/api/v1/stats/adoption/?region=52.06": "403",
    "/api/v1/stats/": "200",  # no region: their own (scoped_filters), never the whole country
    "/dasbor/52.03.01/": "200",  # a kecamatan of Lombok Timur
}


@pytest.mark.django_db
def test_a_coordinator_sees_only_the_dashboards_of_their_regions(objects: Objects) -> None:
    observed = {url: probe(objects, "coord", "GET", url) for url in SCOPED}
    assert observed == SCOPED
    # The planner and the admin see the whole country (the planner reads, and edits no desa's adoption).
    assert {probe(objects, role, "GET", url) for role in ("plan", "admin") for url in SCOPED
            if "adopsi" not in url} == {"200"}
    assert probe(objects, "admin", "GET", "/dasbor/desa/52.06.01.2001/adopsi/") == "200"
