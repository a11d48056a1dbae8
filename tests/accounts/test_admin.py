"""The Django admin of people, forums and regions: every page opens; actions go through the services."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from helpdesk.accounts import forum_services
from helpdesk.accounts.models import Forum, ForumMembership, Invitation, OperatorReview, User
from helpdesk.regions.models import Region

from .conftest import World

MODELS = [User, Forum, ForumMembership, OperatorReview, Invitation, Region]


@pytest.fixture
def admin_client(world: World, client: Client) -> Client:
    User.objects.filter(pk=world.admin.pk).update(is_staff=True, is_superuser=True)
    client.force_login(world.admin)
    forum_services.invitation_create(actor=world.admin, forum=world.lotim)
    from helpdesk.accounts import services

    services.operator_verify(actor=world.admin, operator=world.pending)
    return client


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_every_admin_list_filters_searches_and_opens(admin_client: Client, model: type) -> None:
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "lombok"}).status_code == 200
    first = model.objects.first()
    assert first is not None
    change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
    assert admin_client.get(change).status_code == 200


def test_admin_adds_a_user(admin_client: Client) -> None:
    page = admin_client.get(reverse("admin:accounts_user_add"))
    assert page.status_code == 200
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {"username": "baru.admin", "password1": "Senggigi-Pantai-3", "password2": "Senggigi-Pantai-3",
         "usable_password": "true"},
    )
    assert response.status_code == 302
    assert User.objects.get(username="baru.admin").check_password("Senggigi-Pantai-3")


def test_admin_actions_use_the_services(admin_client: Client, world: World) -> None:
    url = reverse("admin:accounts_user_changelist")
    admin_client.post(url, {"action": "verify_operators", "_selected_action": [world.pending_bima.pk]})
    world.pending_bima.refresh_from_db()
    assert world.pending_bima.operator_status == "verified"
    assert OperatorReview.objects.filter(operator=world.pending_bima, reviewer=world.admin).exists()
    membership = ForumMembership.objects.get(user=world.vol_lotim)
    admin_client.post(
        reverse("admin:accounts_forummembership_changelist"), {"action": "deactivate", "_selected_action": [membership.pk]}
    )
    membership.refresh_from_db()
    assert not membership.is_active
    admin_client.post(
        reverse("admin:accounts_invitation_changelist"),
        {"action": "revoke", "_selected_action": list(Invitation.objects.values_list("pk", flat=True))},
    )
    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 0

