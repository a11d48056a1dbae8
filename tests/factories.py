"""factory_boy factories shared by the whole suite. Regions are real codes with made-up names unless imported."""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from helpdesk.accounts.models import Forum, ForumMembership, ForumRegion, User
from helpdesk.categories.models import Category
from helpdesk.regions.codes import level_of, parent_code, timezone_of
from helpdesk.regions.models import Region

KINDS = {1: "provinsi", 2: "kabupaten", 3: "kecamatan", 4: "desa"}


def region(code: str, name: str | None = None) -> Region:
    """Get or create a region and its ancestors by code (`52.03.15.2001`)."""
    parent = parent_code(code)
    if parent:
        region(parent)
    obj, _ = Region.objects.get_or_create(
        code=code,
        defaults={
            "name": name or f"Wilayah {code}",
            "search_name": (name or f"Wilayah {code}").lower(),
            "level": level_of(code),
            "kind": KINDS[level_of(code)],
            "parent_id": parent,
            "timezone": timezone_of(code),
        },
    )
    return obj


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@contoh.desa.id")
    name = factory.Faker("name", locale="id_ID")
    password = factory.django.Password("rahasia-kuat-123")


class OperatorFactory(UserFactory):
    """A verified operator of a desa (default: Desa 52.03.01.2001 in Lombok Timur)."""

    class Params:
        desa_code = "52.03.01.2001"

    desa = factory.LazyAttribute(lambda o: region(o.desa_code))
    operator_status = User.OperatorStatus.VERIFIED


class ForumFactory(DjangoModelFactory):
    class Meta:
        model = Forum
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"ForSID Uji {n}")
    slug = factory.Sequence(lambda n: f"forsid-uji-{n}")

    @factory.post_generation
    def regions(self, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        for code in extracted or []:
            ForumRegion.objects.create(forum=self, region=region(code))


def member(user: User, forum: Forum, role: str = "volunteer", categories: list[str] | None = None, **extra: Any) -> ForumMembership:
    membership = ForumMembership.objects.create(user=user, forum=forum, role=role, **extra)
    if categories:
        membership.categories.set(Category.objects.filter(slug__in=categories))
    if hasattr(user, "_forum_roles_cache"):
        del user._forum_roles_cache
    return membership


def volunteer(forum: Forum, role: str = "volunteer", categories: list[str] | None = None, **user_fields: Any) -> User:
    user = UserFactory(**user_fields)
    member(user, forum, role, categories)
    return user
