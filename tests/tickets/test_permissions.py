"""Who sees what: desa boundaries, forum boundaries, and internal notes through every endpoint."""

from __future__ import annotations

from django.test import Client
from rest_framework.test import APIClient

from helpdesk.core.uploads import check_upload
from helpdesk.tickets import services
from tests.tickets.conftest import World, as_user, png_bytes


def _ticket_with_internal_note(world: World):  # type: ignore[no-untyped-def]
    ticket = world.ticket()
    services.message_create(ticket=ticket, author=world.vol_lotim, body="Balasan publik untuk desa")
    note = services.message_create(ticket=ticket, author=world.vol_lotim, body="RAHASIA-catatan-relawan", internal=True)
    import io

    checked = check_upload("catatan.png", io.BytesIO(png_bytes()))
    secret_file = services.attachment_add(ticket=ticket, actor=world.vol_lotim, checked=checked, message=note)
    public_file = services.attachment_add(
        ticket=ticket, actor=world.op_a, checked=check_upload("layar.png", io.BytesIO(png_bytes()))
    )
    return ticket, secret_file, public_file


def test_desa_b_cannot_see_desa_a_private_ticket_or_its_files(world: World, api: APIClient) -> None:
    ticket, _secret, public_file = _ticket_with_internal_note(world)
    client = as_user(api, world.op_b)
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
    assert client.get(f"/api/v1/attachments/{public_file.pk}/").status_code == 404
    assert ticket.pk not in [t["id"] for t in client.get("/api/v1/tickets/").json()["results"]]
    assert client.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "halo"}, format="json").status_code == 404


def test_same_desa_operator_sees_it(world: World, api: APIClient) -> None:
    ticket, _secret, public_file = _ticket_with_internal_note(world)
    client = as_user(api, world.op_a2)
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    assert client.get(f"/api/v1/attachments/{public_file.pk}/").status_code == 200


def test_lombok_timur_volunteer_cannot_see_a_bima_ticket(world: World, api: APIClient) -> None:
    bima_ticket = world.ticket(reporter=world.op_bima)
    client = as_user(api, world.vol_lotim)
    assert client.get(f"/api/v1/tickets/{bima_ticket.pk}/").status_code == 404
    assert client.post(f"/api/v1/tickets/{bima_ticket.pk}/claim/").status_code == 404
    assert bima_ticket.pk not in [t["id"] for t in client.get("/api/v1/tickets/").json()["results"]]
    assert as_user(APIClient(), world.vol_bima).get(f"/api/v1/tickets/{bima_ticket.pk}/").status_code == 200


def test_internal_notes_never_reach_operators(world: World, api: APIClient) -> None:
    ticket, secret_file, _public = _ticket_with_internal_note(world)
    client = as_user(api, world.op_a)
    detail = client.get(f"/api/v1/tickets/{ticket.pk}/")
    assert "RAHASIA" not in detail.content.decode()
    assert all(not m["internal"] for m in detail.json()["messages"])
    assert secret_file.pk not in [a["id"] for m in detail.json()["messages"] for a in m["attachments"]]
    assert secret_file.pk not in [a["id"] for a in detail.json()["attachments"]]
    assert client.get(f"/api/v1/attachments/{secret_file.pk}/").status_code == 404
    assert "RAHASIA" not in client.get("/api/v1/tickets/").content.decode()
    web = Client()
    web.force_login(world.op_a)
    page = web.get(ticket.get_absolute_url())
    assert page.status_code == 200 and "RAHASIA" not in page.content.decode()
    assert web.get(f"/lampiran/{secret_file.pk}/").status_code == 404
    # The volunteer sees the note and its file.
    volunteer = as_user(APIClient(), world.vol_lotim).get(f"/api/v1/tickets/{ticket.pk}/")
    assert "RAHASIA" in volunteer.content.decode()


def test_anonymous_sees_public_tickets_only(world: World) -> None:
    private = world.ticket()
    public = world.ticket(visibility="public", title="Bagaimana cara backup database?")
    client = APIClient()
    ids = [q["id"] for q in client.get("/api/v1/forum/questions/").json()["results"]]
    assert public.pk in ids and private.pk not in ids
    assert client.get("/api/v1/tickets/").status_code == 401  # the list itself is for signed-in people
    assert client.get(f"/api/v1/tickets/{public.pk}/").status_code == 200
    assert client.get(f"/api/v1/tickets/{private.pk}/").status_code == 404
    assert Client().get(public.get_absolute_url()).status_code == 200
    # Issue 15: a private ticket's link opened while signed out asks to sign in and comes back, as a
    # number that does not exist does (so nothing leaks); signed in without access it stays 404.
    signed_out = Client().get(private.get_absolute_url())
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"] == f"/masuk/?next={private.get_absolute_url()}"
    assert Client().get("/tiket/NTB-999999/").headers["Location"] == "/masuk/?next=/tiket/NTB-999999/"
    outsider = Client()
    outsider.force_login(world.op_b)
    assert outsider.get(private.get_absolute_url()).status_code == 404


def test_pending_operator_cannot_file(world: World, api: APIClient) -> None:
    from helpdesk.accounts.models import User

    world.op_b.operator_status = User.OperatorStatus.PENDING
    world.op_b.save()
    response = as_user(api, world.op_b).post(
        "/api/v1/tickets/", {"title": "x", "category": "lainnya"}, format="json"
    )
    assert response.status_code == 403
    assert "diverifikasi" in response.json()["detail"]


def test_community_may_answer_public_questions_but_not_private_ones(world: World, api: APIClient) -> None:
    public = world.ticket(visibility="public")
    private = world.ticket()
    client = as_user(api, world.op_bima)
    assert client.post(f"/api/v1/tickets/{public.pk}/messages/", {"body": "Saya pernah, caranya..."}, format="json").status_code == 201
    assert client.post(f"/api/v1/tickets/{private.pk}/messages/", {"body": "x"}, format="json").status_code == 404
    assert client.post(f"/api/v1/tickets/{public.pk}/messages/", {"body": "x", "internal": True}, format="json").status_code == 403
