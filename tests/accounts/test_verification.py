"""Verifying operators: who may, what is recorded, who is told, which transitions are allowed."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from helpdesk.accounts import selectors, services
from helpdesk.accounts.access import can_verify_operator, is_verified_operator
from helpdesk.accounts.models import OperatorReview, User

from .conftest import World, drain_outbox


def test_the_coordinator_of_the_covering_forum_verifies_and_the_operator_is_told(world: World) -> None:
    response = world.client(world.coord_lotim).post(
        f"/api/v1/accounts/{world.pending.pk}/verify/", {"note": "Sudah dicek ke kepala desa"}, format="json"
    )
    assert response.status_code == 200, response.content
    review = OperatorReview.objects.get(operator=world.pending)
    assert response.json() == {"id": world.pending.pk, "status": "verified", "review": review.pk}
    assert (review.reviewer, review.decision, review.note) == (world.coord_lotim, "verified", "Sudah dicek ke kepala desa")
    world.pending.refresh_from_db()
    assert is_verified_operator(world.pending)
    assert mail.outbox == []  # never inside the request
    drain_outbox()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [world.pending.email]
    assert "diverifikasi" in mail.outbox[0].subject and "Sudah dicek ke kepala desa" in mail.outbox[0].body


def test_the_mail_speaks_the_operators_language(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.template import loader
    from django.utils import translation

    from helpdesk.accounts import tasks

    seen: list[str] = []

    def render(name: str, context: dict[str, object]) -> str:
        seen.append(translation.get_language())
        return loader.render_to_string(name, context)

    monkeypatch.setattr(tasks, "render_to_string", render)
    User.objects.filter(pk=world.pending.pk).update(language="en")
    world.client(world.coord_lotim).post(f"/api/v1/accounts/{world.pending.pk}/reject/", {"note": "Bukan operator"})
    drain_outbox()
    assert len(mail.outbox) == 1 and seen == ["en", "en"]
    with translation.override("en"):
        assert mail.outbox[0].subject == translation.gettext("Pendaftaran operator Anda belum dapat diterima")


def test_rejection_is_recorded_and_told(world: World) -> None:
    response = world.client(world.admin).post(f"/api/v1/accounts/{world.pending.pk}/reject/", {"note": "Data tidak cocok"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert OperatorReview.objects.filter(operator=world.pending, decision="rejected", reviewer=world.admin).exists()
    drain_outbox()
    assert "Data tidak cocok" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("who", "whom", "status"),
    [
        ("coord_lotim", "pending", 200),
        ("coord_ntb", "pending", 200),  # a parent forum's coordinator may verify below it
        ("coord_ntb", "pending_sumbawa", 200),
        ("admin", "pending_bali", 200),
        ("coord_bima", "pending", 403),  # coordinator of forum B acting on forum A's operator
        ("coord_lotim", "pending_bima", 403),
        ("coord_lotim", "pending_sumbawa", 403),  # NTB's, not Lombok Timur's
        ("coord_ntb", "pending_bali", 403),  # the core team's
        ("vol_lotim", "pending", 403),
        ("operator", "pending", 403),
        ("planner", "pending", 403),
        ("outsider", "pending", 403),
    ],
)
def test_who_may_verify_whom(world: World, who: str, whom: str, status: int) -> None:
    operator = getattr(world, whom)
    response = world.client(getattr(world, who)).post(f"/api/v1/accounts/{operator.pk}/verify/")
    assert response.status_code == status, response.content
    operator.refresh_from_db()
    assert operator.operator_status == ("verified" if status == 200 else "pending")
    if status == 403:
        assert set(response.json()) == {"detail", "code"} and response.json()["code"] == "permission_denied"


def test_anonymous_gets_401_and_unknown_ids_404(world: World) -> None:
    anonymous = world.client(None).post(f"/api/v1/accounts/{world.pending.pk}/verify/")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    assert world.client(world.admin).post("/api/v1/accounts/999999/verify/").status_code == 404
    # an account that is not an operator is not something to verify
    assert world.client(world.admin).post(f"/api/v1/accounts/{world.vol_lotim.pk}/verify/").status_code == 404


def test_illegal_transitions_are_409(world: World) -> None:
    client = world.client(world.coord_lotim)
    assert client.post(f"/api/v1/accounts/{world.operator.pk}/verify/").status_code == 409
    assert client.post(f"/api/v1/accounts/{world.operator.pk}/reject/").status_code == 409
    assert client.post(f"/api/v1/accounts/{world.pending.pk}/deactivate/").status_code == 409
    assert client.post(f"/api/v1/accounts/{world.operator.pk}/deactivate/").status_code == 200
    assert client.post(f"/api/v1/accounts/{world.operator.pk}/verify/").status_code == 200  # reactivated
    assert OperatorReview.objects.filter(operator=world.operator).count() == 2


def test_a_rejected_operator_can_still_be_verified_later(world: World) -> None:
    services.operator_reject(actor=world.coord_lotim, operator=world.pending)
    services.operator_verify(actor=world.coord_lotim, operator=world.pending)
    world.pending.refresh_from_db()
    assert world.pending.operator_status == "verified"


def test_pending_list_is_what_the_caller_may_verify(world: World) -> None:
    def names(user: User) -> set[str]:
        return {row["username"] for row in world.client(user).get("/api/v1/accounts/pending/").json()}

    assert names(world.coord_lotim) == {"op_pijot"}
    assert names(world.coord_bima) == {"op_paruga"}
    assert names(world.coord_ntb) == {"op_pijot", "op_paruga", "op_sumbawa"}
    assert names(world.admin) == {"op_pijot", "op_paruga", "op_sumbawa", "op_bali"}
    assert world.client(world.vol_lotim).get("/api/v1/accounts/pending/").status_code == 403
    assert world.client(None).get("/api/v1/accounts/pending/").status_code == 401


def test_pending_list_agrees_with_the_role_rule(world: World) -> None:
    everyone = [world.coord_lotim, world.coord_ntb, world.coord_bima, world.vol_lotim, world.admin]
    pending = [world.pending, world.pending_bima, world.pending_sumbawa, world.pending_bali]
    for user in everyone:
        listed = {op.pk for op in selectors.operator_pending_list(user=user)}
        assert listed == {op.pk for op in pending if can_verify_operator(user, op)}, user.username


def test_pending_list_has_a_fixed_query_count(world: World, django_assert_max_num_queries: object) -> None:
    from tests.factories import OperatorFactory

    for n in range(15):
        OperatorFactory(username=f"antri{n}", desa_code="52.03.01.2002", operator_status="pending")
    user = User.objects.get(pk=world.coord_ntb.pk)
    with django_assert_max_num_queries(5):  # type: ignore[operator]
        rows = selectors.operator_pending_list(user=user)
        assert len(rows) == 18
        assert all(op.desa.parent.parent.name for op in rows)


def test_web_page_lists_and_verifies(world: World, client: Client) -> None:
    client.force_login(world.coord_lotim)
    page = client.get("/verifikasi-operator/")
    assert page.status_code == 200 and "op_pijot" in page.content.decode() and "op_paruga" not in page.content.decode()
    response = client.post(f"/verifikasi-operator/{world.pending.pk}/", {"decision": "verified", "note": ""})
    assert response.status_code == 302
    world.pending.refresh_from_db()
    assert world.pending.operator_status == "verified"
    assert "op_pijot" not in client.get("/verifikasi-operator/").content.decode()
    # outside their forums: 403
    assert client.post(f"/verifikasi-operator/{world.pending_bima.pk}/", {"decision": "verified"}).status_code == 403
    client.force_login(world.vol_lotim)
    assert client.get("/verifikasi-operator/").status_code == 403
