"""Flags → the review queue of the coordinators covering the asker's region → hide; moderators' other tools
(edit with history, lock, move), every action logged; flag floods rate-limited."""

from __future__ import annotations

from django.test import Client, override_settings

from helpdesk.community.models import Flag, ModerationAction, Reputation, Revision
from helpdesk.notifications.models import Notification
from helpdesk.tickets.models import Message, Ticket
from search import SearchQuery, get_backend
from tests.community.conftest import DESA_B, World, answer, client_for, give_points, question
from tests.factories import OperatorFactory, volunteer


def _search(text: str) -> list[str]:
    return [h.doc_id for h in get_backend().search(SearchQuery(text=text, doc_types=("question",))).hits]


def test_flag_review_hide_and_the_post_is_gone_from_pages_api_and_search(world: World) -> None:
    q = question(world)
    spam = answer(q, world.op_bima, "Jual pulsa murah kuota unlimited hubungi sekarang")
    give_points(world.op_bima, 40)
    assert str(q.pk) in _search("pulsa murah kuota")

    flagged = client_for(world.op_b).post(f"/api/v1/messages/{spam.pk}/flag/", {"reason": "spam", "note": "iklan"},
                                          format="json")
    assert flagged.status_code == 201, flagged.json()
    second = client_for(world.op_a).post(f"/api/v1/messages/{spam.pk}/flag/", {"reason": "rude"}, format="json")
    assert second.status_code == 201
    # Lombok Timur's coordinators review it (the asker's desa is in Lombok Timur), not Bima's, even though the
    # author is from Bima.
    assert Flag.objects.filter(forum=world.lotim).count() == 2
    assert Notification.objects.filter(user=world.coord_lotim, type="forum_flag").count() == 1
    coordinator_bima = volunteer(world.bima, role="coordinator", username="coord_bima")
    assert client_for(coordinator_bima).get("/api/v1/forum/moderation/").json()["results"] == []
    assert client_for(world.vol_lotim).get("/api/v1/forum/moderation/").status_code == 403
    queue = client_for(world.coord_lotim).get("/api/v1/forum/moderation/").json()["results"]
    assert len(queue) == 1 and queue[0]["message"] == spam.pk and len(queue[0]["flags"]) == 2

    flag_id = queue[0]["flags"][0]["id"]
    assert client_for(coordinator_bima).post(f"/api/v1/forum/flags/{flag_id}/review/", {"decision": "uphold"},
                                             format="json").status_code == 403
    reviewed = client_for(world.coord_lotim).post(f"/api/v1/forum/flags/{flag_id}/review/",
                                                  {"decision": "uphold", "reason": "iklan pulsa"}, format="json")
    assert reviewed.status_code == 200 and reviewed.json()["decided"] == 2
    assert Message.objects.get(pk=spam.pk).is_hidden
    assert set(Flag.objects.values_list("state", flat=True)) == {"upheld"}
    assert client_for(world.coord_lotim).post(f"/api/v1/forum/flags/{flag_id}/review/", {"decision": "dismiss"},
                                              format="json").status_code == 409

    # Gone for the public: question page, forum API, tickets API, search. Still there for the forum's volunteers.
    assert "pulsa murah" not in Client().get(f"/forum/pertanyaan/{q.number}/").content.decode()
    assert "pulsa murah" not in Client().get(f"/tiket/{q.number}/").content.decode()
    assert [a["id"] for a in client_for(None).get(f"/api/v1/forum/questions/{q.pk}/").json()["answers"]] == []
    assert [m["id"] for m in client_for(world.op_b).get(f"/api/v1/tickets/{q.pk}/").json()["messages"]] == []
    assert client_for(world.op_b).post(f"/api/v1/messages/{spam.pk}/vote/", {"value": 1}, format="json").status_code == 404
    assert str(q.pk) not in _search("pulsa murah kuota")
    seen = client_for(world.vol_lotim).get(f"/api/v1/forum/questions/{q.pk}/").json()["answers"]
    assert [(a["id"], a["hidden"]) for a in seen] == [(spam.pk, True)]

    # Spam costs its author points; the reviews and the hide are logged.
    assert Reputation.objects.get(user=world.op_bima).points == 40 - 25
    actions = list(ModerationAction.objects.filter(ticket=q).values_list("action", flat=True))
    assert set(actions) == {"flag_upheld", "hide"}


def test_a_dismissed_flag_leaves_the_post(world: World) -> None:
    q = question(world)
    a = answer(q, world.op_b)
    flag = client_for(world.op_bima).post(f"/api/v1/messages/{a.pk}/flag/", {"reason": "off_topic"}, format="json").json()
    response = client_for(world.coord_lotim).post(f"/api/v1/forum/flags/{flag['id']}/review/", {"decision": "dismiss"},
                                                  format="json")
    assert response.status_code == 200
    assert not Message.objects.get(pk=a.pk).is_hidden
    assert ModerationAction.objects.get(ticket=q).action == "flag_dismissed"
    assert not Reputation.objects.filter(user=world.op_b, points__lt=0).exists()


def test_bad_flags(world: World) -> None:
    q = question(world)
    a = answer(q, world.op_b)
    own = client_for(world.op_b).post(f"/api/v1/messages/{a.pk}/flag/", {"reason": "spam"}, format="json")
    assert own.status_code == 400
    unknown = client_for(world.op_bima).post(f"/api/v1/messages/{a.pk}/flag/", {"reason": "jelek"}, format="json")
    assert unknown.status_code == 400 and "reason" in unknown.json()["fields"]
    client_for(world.op_bima).post(f"/api/v1/messages/{a.pk}/flag/", {"reason": "spam"}, format="json")
    twice = client_for(world.op_bima).post(f"/api/v1/messages/{a.pk}/flag/", {"reason": "rude"}, format="json")
    assert twice.status_code == 409 and twice.json()["code"] == "already_flagged"
    assert client_for(None).post(f"/api/v1/messages/{a.pk}/flag/", {"reason": "spam"}, format="json").status_code == 401
    assert Flag.objects.count() == 1


@override_settings(RATE_LIMITS={
    "forum_flag": (3, 3600), "forum_vote": (100, 3600), "forum_comment": (100, 3600),
    "forum_new_account_post": (1000, 86400), "message_create": (1000, 3600), "ticket_create": (1000, 3600),
    "attachment_create": (100, 3600),
})
def test_a_flood_of_flags_from_one_account_is_rate_limited(world: World) -> None:
    q = question(world)
    answers = [answer(q, world.vol_bima, f"Jawaban {i}") for i in range(6)]
    statuses = [
        client_for(world.op_b).post(f"/api/v1/messages/{a.pk}/flag/", {"reason": "spam"}, format="json").status_code
        for a in answers
    ]
    assert statuses == [201, 201, 201, 429, 429, 429]
    assert Flag.objects.count() == 3


def test_flagging_a_question_and_hiding_it_makes_it_private_and_unhide_brings_it_back(world: World) -> None:
    q = question(world, title="Promo hosting murah meriah")
    response = client_for(world.op_b).post(f"/api/v1/forum/questions/{q.pk}/flag/", {"reason": "spam"}, format="json")
    assert response.status_code == 201
    flag_id = response.json()["id"]
    client_for(world.coord_lotim).post(f"/api/v1/forum/flags/{flag_id}/review/", {"decision": "uphold"}, format="json")
    q.refresh_from_db()
    assert q.visibility == "private"
    assert client_for(None).get(f"/api/v1/forum/questions/{q.pk}/").status_code == 404
    assert client_for(None).get("/api/v1/forum/questions/").json()["results"] == []
    assert Client().get(f"/forum/pertanyaan/{q.number}/").status_code == 404
    assert str(q.pk) not in _search("promo hosting murah")
    # Its reporter still sees their ticket; the moderator brings it back.
    assert client_for(world.op_a).get(f"/api/v1/tickets/{q.pk}/").status_code == 200
    hidden = Client()
    hidden.force_login(world.coord_lotim)
    assert q.number in hidden.get("/forum/moderasi/").content.decode()
    back = client_for(world.coord_lotim).post(f"/api/v1/forum/questions/{q.pk}/unhide/", {}, format="json")
    assert back.status_code == 200
    q.refresh_from_db()
    assert q.visibility == "public" and str(q.pk) in _search("promo hosting murah")


def test_unhide_never_publishes_a_ticket_that_was_never_public(world: World) -> None:
    private = world.ticket()
    response = client_for(world.coord_lotim).post(f"/api/v1/forum/questions/{private.pk}/unhide/", {}, format="json")
    assert response.status_code == 409
    private.refresh_from_db()
    assert private.visibility == "private"


def test_moderators_edit_with_history_lock_and_move_and_every_action_is_logged(world: World) -> None:
    q = question(world, description="Hubungi saya di 081234567890 ya")
    a = answer(q, world.op_b, "Coba ini, NIK saya 5203011204850001")
    coordinator = client_for(world.coord_lotim)

    edited = coordinator.patch(f"/api/v1/messages/{a.pk}/", {"body": "Coba ini.", "reason": "data pribadi"},
                               format="json")
    assert edited.status_code == 200, edited.json()
    message = Message.objects.get(pk=a.pk)
    assert message.body == "Coba ini." and message.edited_at is not None
    revision = Revision.objects.get(message=a)
    assert "5203011204850001" in revision.body and revision.editor == world.coord_lotim
    history = coordinator.get(f"/api/v1/forum/questions/{q.pk}/history/?message={a.pk}").json()["results"]
    assert history[0]["body"] == "Coba ini, NIK saya 5203011204850001"
    assert client_for(world.op_bima).get(f"/api/v1/forum/questions/{q.pk}/history/?message={a.pk}").status_code == 403
    assert client_for(world.op_b).get(f"/api/v1/forum/questions/{q.pk}/history/?message={a.pk}").status_code == 200

    question_edit = coordinator.patch(f"/api/v1/forum/questions/{q.pk}/",
                                      {"title": "Cara impor penduduk dari Excel?", "description": "Gagal di baris 20."},
                                      format="json")
    assert question_edit.status_code == 200 and question_edit.json()["title"] == "Cara impor penduduk dari Excel?"

    locked = coordinator.post(f"/api/v1/forum/questions/{q.pk}/lock/", {"locked": True, "reason": "ramai"},
                              format="json")
    assert locked.status_code == 200 and locked.json()["is_locked"] is True
    refused = client_for(world.op_bima).post(f"/api/v1/tickets/{q.pk}/messages/", {"body": "ikut jawab"}, format="json")
    assert refused.status_code == 403
    asker = client_for(world.op_a).post(f"/api/v1/tickets/{q.pk}/messages/", {"body": "Terima kasih"}, format="json")
    assert asker.status_code == 201  # the asker and the volunteers go on; the community is closed out

    moved = coordinator.post(f"/api/v1/forum/questions/{q.pk}/move/", {"category": "database-backup"}, format="json")
    assert moved.status_code == 200 and moved.json()["category"] == "database-backup"

    actions = list(ModerationAction.objects.filter(ticket=q).order_by("at", "pk").values_list("action", flat=True))
    assert actions == ["edit", "edit", "lock", "move"]
    assert all(a.actor_id == world.coord_lotim.pk for a in ModerationAction.objects.filter(ticket=q))


def test_non_moderators_cannot_use_moderator_tools(world: World) -> None:
    q = question(world)
    a = answer(q, world.op_b)
    for user in (world.vol_lotim, world.op_bima, world.op_a):
        client = client_for(user)
        assert client.post(f"/api/v1/messages/{a.pk}/hide/", {}, format="json").status_code == 403
        assert client.post(f"/api/v1/forum/questions/{q.pk}/lock/", {"locked": True}, format="json").status_code == 403
        assert client.post(f"/api/v1/forum/questions/{q.pk}/move/", {"category": "lainnya"},
                           format="json").status_code == 403
    assert not ModerationAction.objects.exists()
    assert not Ticket.objects.get(pk=q.pk).is_locked


def test_editing_other_peoples_posts_needs_the_level_and_authors_edit_their_own(world: World) -> None:
    q = question(world)
    a = answer(q, world.op_b, "Jawaban awal")
    editor = OperatorFactory(username="penyunting", desa_code=DESA_B)
    assert client_for(editor).patch(f"/api/v1/messages/{a.pk}/", {"body": "Diubah"}, format="json").status_code == 403
    own = client_for(world.op_b).patch(f"/api/v1/messages/{a.pk}/", {"body": "Jawaban diperbaiki"}, format="json")
    assert own.status_code == 200
    assert not ModerationAction.objects.exists()  # editing one's own post is not a moderator action
    give_points(editor, 400)
    assert client_for(editor).patch(f"/api/v1/messages/{a.pk}/", {"body": "Dirapikan"}, format="json").status_code == 200
    assert Revision.objects.filter(message=a).count() == 2
    assert ModerationAction.objects.get().action == "edit"


def test_comments_can_be_flagged_hidden_and_edited(world: World) -> None:
    q = question(world)
    comment = client_for(world.op_a).post(f"/api/v1/forum/questions/{q.pk}/comments/", {"body": "Tambahan: versi 2410"},
                                          format="json").json()
    flag = client_for(world.op_b).post(f"/api/v1/forum/comments/{comment['id']}/flag/", {"reason": "off_topic"},
                                       format="json")
    assert flag.status_code == 201
    client_for(world.coord_lotim).post(f"/api/v1/forum/flags/{flag.json()['id']}/review/", {"decision": "uphold"},
                                       format="json")
    assert client_for(None).get(f"/api/v1/forum/questions/{q.pk}/").json()["comments"] == []
    shown = client_for(world.coord_lotim).post(f"/api/v1/forum/comments/{comment['id']}/unhide/", {}, format="json")
    assert shown.status_code == 200
    assert len(client_for(None).get(f"/api/v1/forum/questions/{q.pk}/").json()["comments"]) == 1


def test_the_admin_reviews_flags_through_the_service(world: World) -> None:
    q = question(world)
    a = answer(q, world.op_bima, "iklan")
    client_for(world.op_b).post(f"/api/v1/messages/{a.pk}/flag/", {"reason": "spam"}, format="json")
    client_for(world.op_a).post(f"/api/v1/messages/{a.pk}/flag/", {"reason": "spam"}, format="json")
    admin = Client()
    admin.force_login(world.admin)
    assert admin.get("/admin/forum/flag/").status_code == 200
    response = admin.post("/admin/forum/flag/", {"action": "uphold", "_selected_action": list(
        Flag.objects.values_list("pk", flat=True))}, follow=True)
    assert "2 laporan ditinjau" in response.content.decode()
    assert Message.objects.get(pk=a.pk).is_hidden
    assert ModerationAction.objects.filter(action="hide", actor=world.admin).count() == 1
    for path in ("/admin/forum/moderationaction/", "/admin/forum/reputationevent/", "/admin/forum/reputation/",
                 "/admin/forum/revision/", "/admin/forum/comment/", "/admin/forum/vote/", "/admin/forum/publicproposal/"):
        assert admin.get(path).status_code == 200, path


def test_reputation_rebuild_command(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    give_points(world.op_b, 30)
    Reputation.objects.filter(user=world.op_b).update(points=1)
    out = StringIO()
    call_command("reputation_rebuild", stdout=out)
    assert "1 pengguna" in out.getvalue() and Reputation.objects.get(user=world.op_b).points == 30


def test_the_author_of_a_locked_question_is_told_it_is_locked(world: World) -> None:
    from helpdesk.community import services

    q = question(world)
    a = answer(q, world.op_b, "Jawaban awal")
    services.question_lock(actor=world.coord_lotim, ticket=Ticket.objects.get(pk=q.pk), locked=True)
    refused = client_for(world.op_b).patch(f"/api/v1/messages/{a.pk}/", {"body": "Jawaban diperbaiki"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Pertanyaan ini dikunci moderator, jadi tulisannya tidak bisa disunting."
    assert Message.objects.get(pk=a.pk).body == "Jawaban awal"
