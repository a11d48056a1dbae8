"""Private content never reaches public pages, the API or search; a private ticket becomes public only with its
reporter's consent, with personal data masked; what people write never renders as script."""

from __future__ import annotations

import json
import re

from django.test import Client

from helpdesk.community.models import ModerationAction, PublicProposal, Revision
from helpdesk.notifications.models import Notification
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.models import Message, Ticket
from search import SearchQuery, get_backend
from tests.community.conftest import World, answer, client_for, fresh, question, trust

SECRET = "Kata sandi admin desa: rahasia-sekali-123"


def _everything_public(text: str) -> list[str]:
    """Every public surface, as an anonymous reader and as an operator of another desa."""
    places = []
    for client in (client_for(None), client_for(None)):
        places += [
            client.get("/api/v1/forum/questions/").content.decode(),
            client.get("/api/v1/forum/questions/?filter=unanswered").content.decode(),
            client.get(f"/api/v1/forum/questions/?q={text}").content.decode(),
        ]
    for path in ("/forum/", "/forum/?tampil=belum-dijawab", f"/forum/?q={text}", "/forum/peringkat/"):
        places.append(Client().get(path).content.decode())
    hits = get_backend().search(SearchQuery(text=text)).hits
    places.append(" ".join(h.title + h.snippet for h in hits))
    return places


def test_private_tickets_and_internal_notes_never_show(world: World) -> None:
    private = world.ticket(title="Sandi admin bocor", description=SECRET)
    ticket_services.message_create(ticket=private, author=fresh(world.vol_lotim), body="Balasan privat rahasia-sekali-123")
    q = question(world)
    ticket_services.message_create(ticket=Ticket.objects.get(pk=q.pk), author=fresh(world.vol_lotim),
                                   body="Catatan internal: rahasia-sekali-123", internal=True)
    for place in _everything_public("kata sandi admin desa"):
        assert "rahasia-sekali-123" not in place
        assert "Sandi admin bocor" not in place
    assert client_for(None).get(f"/api/v1/forum/questions/{private.pk}/").status_code == 404
    assert client_for(world.op_bima).get(f"/api/v1/forum/questions/{private.pk}/").status_code == 404
    assert Client().get(f"/forum/pertanyaan/{private.number}/").status_code == 404
    # Its own people are sent to the ticket page.
    own = Client()
    own.force_login(world.op_a)
    assert own.get(f"/forum/pertanyaan/{private.number}/")["Location"] == private.get_absolute_url()
    detail = client_for(world.op_bima).get(f"/api/v1/forum/questions/{q.pk}/").content.decode()
    assert "Catatan internal" not in detail
    for hit in get_backend().search(SearchQuery(text="catatan internal rahasia")).hits:
        assert "rahasia" not in hit.snippet


def test_a_volunteer_proposes_and_the_reporter_consents_personal_data_is_masked(world: World) -> None:
    ticket = world.ticket(title="Data Budi Santoso NIK 5203011204850001 tidak muncul",
                          description="Hubungi saya di 081234567890. KK 5203012345678901.")
    reply = ticket_services.message_create(ticket=ticket, author=fresh(world.vol_lotim),
                                           body="Coba cari NIK 5203011204850001 di menu Penduduk.")
    note = ticket_services.message_create(ticket=Ticket.objects.get(pk=ticket.pk), author=fresh(world.vol_lotim),
                                          body="internal 081234567890", internal=True)

    assert client_for(world.op_b).post("/api/v1/forum/proposals/", {"ticket": ticket.pk},
                                       format="json").status_code == 404
    assert client_for(world.op_a).post("/api/v1/forum/proposals/", {"ticket": ticket.pk},
                                       format="json").status_code == 403
    proposed = client_for(world.vol_lotim).post("/api/v1/forum/proposals/",
                                                {"ticket": ticket.pk, "note": "Bisa membantu desa lain"}, format="json")
    assert proposed.status_code == 201, proposed.json()
    pid = proposed.json()["id"]
    assert client_for(world.vol_lotim).post("/api/v1/forum/proposals/", {"ticket": ticket.pk},
                                            format="json").status_code == 409
    assert Notification.objects.filter(user=world.op_a, type="forum_publish_request", url=f"/forum/usulan/{pid}/").exists()
    ticket.refresh_from_db()
    assert ticket.visibility == "private"  # nothing public before consent
    assert client_for(world.vol_lotim).post(f"/api/v1/forum/proposals/{pid}/accept/").status_code == 403
    assert client_for(world.op_a2).post(f"/api/v1/forum/proposals/{pid}/accept/").status_code == 403

    preview = Client()
    preview.force_login(world.op_a)
    page = preview.get(f"/forum/usulan/{pid}/").content.decode()
    assert "[NIK_1]" in page and "Setuju, jadikan publik" in page

    consented = client_for(world.op_a).post(f"/api/v1/forum/proposals/{pid}/accept/")
    assert consented.status_code == 200 and consented.json()["state"] == "accepted"
    ticket.refresh_from_db()
    assert ticket.visibility == "public"
    for text in (ticket.title, ticket.description, Message.objects.get(pk=reply.pk).body):
        assert "5203011204850001" not in text and "081234567890" not in text and "5203012345678901" not in text
    assert "[NIK_1]" in ticket.title and "[PHONE_1]" in ticket.description
    assert Message.objects.get(pk=note.pk).body == "internal 081234567890"  # internal notes stay as they were
    public = client_for(None).get(f"/api/v1/forum/questions/{ticket.pk}/").content.decode()
    assert "5203011204850001" not in public and "081234567890" not in public
    assert "081234567890" not in Client().get(f"/forum/pertanyaan/{ticket.number}/").content.decode()
    for hit in get_backend().search(SearchQuery(text="tidak muncul penduduk", doc_types=("question",))).hits:
        assert "5203011204850001" not in hit.snippet + hit.title
    # The originals are kept where only moderators and authors look.
    assert Revision.objects.filter(ticket=ticket).count() == 2
    assert client_for(world.op_bima).get(f"/api/v1/forum/questions/{ticket.pk}/history/").status_code == 403
    assert ModerationAction.objects.filter(ticket=ticket, action="publish").exists()
    assert client_for(world.op_a).post(f"/api/v1/forum/proposals/{pid}/decline/").status_code == 409


def test_a_declined_proposal_keeps_the_ticket_private(world: World) -> None:
    ticket = world.ticket()
    pid = client_for(world.vol_lotim).post("/api/v1/forum/proposals/", {"ticket": ticket.pk}, format="json").json()["id"]
    browser = Client()
    browser.force_login(world.op_a)
    response = browser.post(f"/forum/usulan/{pid}/", {"decision": "tolak"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.visibility == "private"
    assert PublicProposal.objects.get(pk=pid).state == "declined"


def test_scripts_and_javascript_links_never_render(world: World) -> None:
    trust(world.op_a)  # links are allowed to them: the renderer is what must stop these
    q = question(world, title="<script>alert(1)</script> judul",
                 description="<script>alert('x')</script> [klik](javascript:alert(1)) <img src=x onerror=alert(1)>")
    answer(q, world.vol_lotim, "[unduh](javascript:alert(2)) <script>document.cookie</script> <a href=\"javascript:x\">a</a>")
    client_for(world.op_a).post(f"/api/v1/forum/questions/{q.pk}/comments/",
                                {"body": "<script>alert(3)</script>[x](javascript:alert(3))"}, format="json")
    html = Client().get(f"/forum/pertanyaan/{q.number}/").content.decode()
    # The text may be shown (escaped, in the meta description or the JSON-LD data), but never as a link or markup.
    assert not re.search(r"<[a-z][^<>]*\s(href|src|action|formaction)\s*=\s*[\"']?\s*javascript:", html, re.I)
    assert "<img src=x" not in html and "onerror=alert(1)>" not in html
    scripts = re.findall(r"<script[^>]*>", html)
    assert all('type="application/ld+json"' in s or "src=" in s for s in scripts), scripts
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert ld is not None and "</script" not in ld.group(1).lower()
    data = json.loads(ld.group(1))
    assert data["@type"] == "QAPage" and data["mainEntity"]["name"].startswith("<script>")
    api = client_for(None).get(f"/api/v1/forum/questions/{q.pk}/").json()
    for rendered in (api["description_html"], api["answers"][0]["body_html"], api["comments"][0]["body_html"]):
        assert "<script" not in rendered and "<a " not in rendered and "<img" not in rendered


def test_public_pages_are_readable_without_an_account(world: World) -> None:
    q = question(world)
    answer(q, world.op_b)
    anonymous = Client()
    for path in ("/forum/", f"/forum/pertanyaan/{q.number}/", f"/forum/pengguna/{world.op_b.username}/",
                 "/forum/peringkat/", "/forum/?tampil=terjawab", "/forum/?q=impor"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
    assert anonymous.get("/forum/tanya/").status_code == 302  # asking needs a sign-in
    assert anonymous.get("/forum/moderasi/").status_code == 302
    page = anonymous.get(f"/forum/pertanyaan/{q.number}/").content.decode()
    assert "Masuk untuk menjawab" in page and "<form method=\"post\" action=\"/forum/pertanyaan/" not in page
