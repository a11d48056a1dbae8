from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from helpdesk.tickets import presenters, services
from helpdesk.tickets.models import Ticket
from tests.tickets.conftest import World, as_user

GOOD = {
    "title": "Tidak bisa login ke Layanan Mandiri",
    "description": "Warga **tidak bisa** masuk, muncul pesan `PIN salah`.",
    "category": "layanan-mandiri",
    "priority": "tinggi",
    "opensid_version": "v2410.0.0",
    "hosting": "vps",
}


def test_create_returns_the_contract_fields(world: World, api: APIClient) -> None:
    response = as_user(api, world.op_a).post("/api/v1/tickets/", GOOD, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    for key in ("id", "number", "status", "forum", "region_code", "first_response_due", "url"):
        assert key in body
    assert body["status"] == "baru" and body["status_display"] == "Baru"
    assert body["region_code"] == "52.03.01.2001"
    assert body["forum"] == world.lotim.pk
    assert body["url"].endswith(f"/tiket/{body['number']}/")
    assert body["priority_display"] == "Tinggi"


def test_the_display_labels_are_the_choices_labels_in_the_active_language(world: World) -> None:
    ticket = services.ticket_create(reporter=world.op_a, **GOOD)
    odd = Ticket(pk=ticket.pk, number=ticket.number, title=ticket.title, category=ticket.category, forum=ticket.forum,
                 desa=ticket.desa, reporter=ticket.reporter, status="lama", priority="x", hosting="y", visibility="z")
    for language in ("id", "en"):
        with translation.override(language):
            for shown in (ticket, odd):  # an unknown value shows as itself, as with get_FOO_display()
                body = presenters.ticket_summary(shown)
                for field in ("status", "priority", "hosting", "visibility"):
                    assert body[f"{field}_display"] == getattr(shown, f"get_{field}_display")()
            english = presenters.ticket_summary(ticket)["priority_display"]
    assert english != "Tinggi"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": "x" * 70_000}, "description"),
        ({"category": "tidak-ada"}, "category"),
        ({"priority": "segera"}, "priority"),
        ({"hosting": "awan"}, "hosting"),
        ({"visibility": "rahasia"}, "visibility"),
    ],
)
def test_bad_input_is_400_with_fields_and_saves_nothing(world: World, api: APIClient, change: dict[str, Any], field: str) -> None:
    response = as_user(api, world.op_a).post("/api/v1/tickets/", {**GOOD, **change}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["fields"] and body["code"] == "invalid" and body["detail"]
    assert not Ticket.objects.exists()


def test_malformed_json_is_400(world: World, api: APIClient) -> None:
    response = as_user(api, world.op_a).post("/api/v1/tickets/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_unauthenticated_create_is_401(api: APIClient, world: World) -> None:
    assert api.post("/api/v1/tickets/", GOOD, format="json").status_code == 401


def test_markdown_is_sanitised_everywhere(world: World, api: APIClient) -> None:
    evil = "<script>alert(1)</script> [klik](javascript:alert(1)) <img src=x onerror=alert(1)>"
    client = as_user(api, world.op_a)
    created = client.post("/api/v1/tickets/", {**GOOD, "description": evil}, format="json").json()
    reply = client.post(f"/api/v1/tickets/{created['id']}/messages/", {"body": evil}, format="json").json()
    for html in (client.get(f"/api/v1/tickets/{created['id']}/").json()["description_html"], reply["body_html"]):
        # Raw HTML shows as text; the javascript: link is not a link.
        assert "<script" not in html and 'href="javascript' not in html and "<img" not in html
        assert "&lt;script&gt;" in html
    from django.test import Client

    web = Client()
    web.force_login(world.op_a)
    page = web.get(created["url"].replace("http://testserver", "")).content.decode()
    assert "<script>alert" not in page and 'href="javascript' not in page


def test_illegal_transition_is_409_in_indonesian(world: World, api: APIClient) -> None:
    ticket = world.ticket()
    response = as_user(api, world.vol_lotim).post(f"/api/v1/tickets/{ticket.pk}/resolve/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert "Tidak bisa menyelesaikan tiket yang berstatus baru" in response.json()["detail"]


def test_the_full_flow_through_the_api(world: World) -> None:
    operator, volunteer = as_user(APIClient(), world.op_a), as_user(APIClient(), world.vol_lotim)
    ticket = operator.post("/api/v1/tickets/", GOOD, format="json").json()
    claimed = volunteer.post(f"/api/v1/tickets/{ticket['id']}/claim/")
    assert claimed.status_code == 200 and claimed.json()["assignee"]["username"] == "vol_lotim"
    answer = volunteer.post(f"/api/v1/tickets/{ticket['id']}/messages/", {"body": "Reset PIN di menu Layanan Mandiri."}, format="json").json()
    assert operator.get(f"/api/v1/tickets/{ticket['id']}/").json()["status"] == "menunggu"
    solved = operator.post(f"/api/v1/tickets/{ticket['id']}/resolve/", {"message": answer["id"]}, format="json")
    assert solved.json()["status"] == "selesai" and solved.json()["accepted_message"] == answer["id"]
    rated = operator.post(f"/api/v1/tickets/{ticket['id']}/rate/", {"score": 5, "comment": "Cepat sekali!"}, format="json")
    assert rated.status_code == 200 and rated.json()["score"] == 5
    assert operator.post(f"/api/v1/tickets/{ticket['id']}/rate/", {"score": 9}, format="json").status_code == 400
    assert volunteer.post(f"/api/v1/tickets/{ticket['id']}/rate/", {"score": 1}, format="json").status_code == 403
    reopened = operator.post(f"/api/v1/tickets/{ticket['id']}/reopen/")
    assert reopened.json()["status"] == "ditangani"


def test_volunteer_can_triage_and_operator_cannot(world: World) -> None:
    ticket = world.ticket()
    volunteer = as_user(APIClient(), world.vol_lotim)
    response = volunteer.patch(f"/api/v1/tickets/{ticket.pk}/", {"priority": "darurat", "category": "database-backup",
                                                               "assignee": world.vol2_lotim.pk}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["priority"], body["category"], body["assignee"]["username"], body["status"]) == (
        "darurat", "database-backup", "vol2_lotim", "ditangani")
    outsider = volunteer.patch(f"/api/v1/tickets/{ticket.pk}/", {"assignee": world.vol_bima.pk}, format="json")
    assert outsider.status_code == 400 and "assignee" in outsider.json()["fields"]
    assert as_user(APIClient(), world.op_a).patch(f"/api/v1/tickets/{ticket.pk}/", {"priority": "rendah"}, format="json").status_code == 403


def test_duplicate_endpoint(world: World) -> None:
    original, copy = world.ticket(), world.ticket(reporter=world.op_b)
    volunteer = as_user(APIClient(), world.vol_lotim)
    response = volunteer.post(f"/api/v1/tickets/{copy.pk}/duplicate/", {"of": original.pk}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "duplikat"
    assert response.json()["duplicate_of"] == original.pk
    assert volunteer.post(f"/api/v1/tickets/{original.pk}/duplicate/", {"of": original.pk}, format="json").status_code == 400


def _make_tickets(world: World, n: int) -> None:
    for i in range(n):
        reporter = [world.op_a, world.op_b, world.op_bima][i % 3]
        ticket = world.ticket(reporter=reporter, title=f"Masalah nomor {i}")
        if i % 2:
            services.ticket_claim(ticket=ticket, actor=world.vol_lotim if reporter != world.op_bima else world.vol_bima)


@pytest.mark.parametrize("user_name", ["op_a", "vol_lotim", "admin"])  # anonymous: 401 (the contract's "signed in")
def test_the_list_costs_the_same_number_of_queries_at_any_length(world: World, user_name: str) -> None:
    from helpdesk.accounts.models import User

    client = APIClient()

    def fetch() -> Any:
        # a fresh user object per request, as the session middleware would give
        client.force_authenticate(User.objects.get(username=getattr(world, user_name).username))
        return client.get("/api/v1/tickets/?limit=100")

    _make_tickets(world, 3)
    with CaptureQueriesContext(connection) as small:
        assert fetch().status_code == 200
    _make_tickets(world, 30)
    with CaptureQueriesContext(connection) as large:
        response = fetch()
    assert len(large) == len(small) <= 8, [q["sql"] for q in large.captured_queries]
    assert len(response.json()["results"]) >= 3


def test_cursor_pagination_walks_every_ticket_once(world: World) -> None:
    _make_tickets(world, 12)
    client = as_user(APIClient(), world.admin)
    seen: list[int] = []
    url = "/api/v1/tickets/?limit=5"
    while url:
        body = client.get(url).json()
        seen += [t["id"] for t in body["results"]]
        url = f"/api/v1/tickets/?limit=5&cursor={body['next']}" if body["next"] else ""
    assert seen == sorted(set(seen), reverse=True) and len(seen) == 12
    assert client.get("/api/v1/tickets/?cursor=rusak!!").status_code == 400


def test_filters(world: World) -> None:
    _make_tickets(world, 6)
    client = as_user(APIClient(), world.admin)
    bima = client.get("/api/v1/tickets/?region=52.06").json()["results"]
    assert bima and all(t["region_code"].startswith("52.06.") for t in bima)
    unclaimed = client.get("/api/v1/tickets/?assignee=none").json()["results"]
    assert unclaimed and all(t["assignee"] is None for t in unclaimed)
    mine = as_user(APIClient(), world.vol_lotim).get("/api/v1/tickets/?assignee=me").json()["results"]
    assert mine and all(t["assignee"]["username"] == "vol_lotim" for t in mine)
    number = Ticket.objects.order_by("pk").first().number  # type: ignore[union-attr]
    assert [t["number"] for t in client.get(f"/api/v1/tickets/?q={number}").json()["results"]] == [number]
    assert client.get("/api/v1/tickets/?status=ditangani").json()["results"][0]["status"] == "ditangani"


def test_ticket_creation_is_rate_limited(world: World, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "ticket_create": (2, 3600)}
    client = as_user(APIClient(), world.op_a2)
    codes = [client.post("/api/v1/tickets/", GOOD, format="json").status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert Ticket.objects.filter(reporter=world.op_a2).count() == 2


def test_detail_with_many_messages_is_a_fixed_number_of_queries(world: World) -> None:
    ticket = world.ticket()
    client = as_user(APIClient(), world.vol_lotim)
    services.message_create(ticket=ticket, author=world.vol_lotim, body="satu")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/v1/tickets/{ticket.pk}/")
    for i in range(20):
        services.message_create(ticket=ticket, author=world.op_a if i % 2 else world.vol_lotim, body=f"pesan {i}")
    with CaptureQueriesContext(connection) as many:
        client.get(f"/api/v1/tickets/{ticket.pk}/")
    assert len(many) == len(few)


def test_hand_built_representations_match_the_documented_serializers(world: World) -> None:
    from helpdesk.tickets.api import MessageOut, TicketDetailOut, TicketOut

    ticket = world.ticket()
    services.message_create(ticket=ticket, author=world.vol_lotim, body="jawaban")
    client = as_user(APIClient(), world.vol_lotim)
    listed = client.get("/api/v1/tickets/").json()["results"][0]
    detail = client.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert set(listed) == set(TicketOut().fields)
    assert set(detail) == set(TicketDetailOut().fields)
    assert set(detail["messages"][0]) == set(MessageOut().fields)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200


def test_a_public_ticket_from_the_api_is_masked_like_a_forum_question(world: World, api: APIClient) -> None:
    personal = {**GOOD, "visibility": "public", "title": "Gagal cetak surat, NIK 5203011204850001",
                "description": "Warga dengan KK 5203010101090001 minta dihubungi di 081234567890."}
    response = as_user(api, world.op_a).post("/api/v1/tickets/", personal, format="json")
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(pk=response.json()["id"])
    stored = f"{ticket.title}\n{ticket.description}\n{ticket.description_html}"
    for value in ("5203011204850001", "5203010101090001", "081234567890"):
        assert value not in stored and value not in str(response.json())
    assert "[NIK_1]" in ticket.title
    public = APIClient().get(f"/api/v1/forum/questions/{ticket.pk}/")
    assert public.status_code in (200, 404)
    assert "5203011204850001" not in public.content.decode()
    private = as_user(api, world.op_a).post("/api/v1/tickets/", {**personal, "visibility": "private"}, format="json")
    assert "5203011204850001" in Ticket.objects.get(pk=private.json()["id"]).title  # private tickets keep it
