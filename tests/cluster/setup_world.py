"""The cluster test's data, written once into its fresh database (run as a process with the cluster's settings).

    python -m tests.cluster.setup_world '{"group": -100, "volunteers": [telegram user ids], "operators": 8, "password": "..."}'

NTB regions, a root forum, ForSID NTB (province 52) linked to the fake's Telegram group, verified operators in
different desa, volunteers of ForSID NTB linked to the fake's Telegram users. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys

import django


def main() -> None:
    spec = json.loads(sys.argv[1])
    django.setup()
    from bots.ticket_models import TelegramLink
    from helpdesk.accounts.models import Forum, ForumMembership, ForumRegion, User
    from helpdesk.categories.services import ensure_default_categories
    from helpdesk.regions.models import Region
    from helpdesk.regions.services import import_regions

    ensure_default_categories()
    if not Region.objects.filter(code="52").exists():
        import_regions(["52"])
    root, _ = Forum.objects.get_or_create(slug="tim-inti", defaults={"name": "Tim Inti"})
    ntb, _ = Forum.objects.get_or_create(slug="forsid-ntb", defaults={"name": "ForSID NTB", "parent": root})
    ntb.telegram_chat_id = spec["group"]
    ntb.save(update_fields=["telegram_chat_id"])
    ForumRegion.objects.get_or_create(region_id="52", defaults={"forum": ntb})
    desas = list(Region.objects.filter(level=4, code__startswith="52.").order_by("code").values_list("code", flat=True))
    step = max(1, len(desas) // max(1, spec["operators"]))
    operators = []
    for n in range(spec["operators"]):
        user = User.objects.create(username=f"op{n}", name=f"Operator {n}", desa_id=desas[n * step],
                                   operator_status=User.OperatorStatus.VERIFIED)
        user.set_password(spec["password"])
        user.save(update_fields=["password"])
        operators.append(user.username)
    volunteers = []
    for n, telegram_id in enumerate(spec["volunteers"]):
        user = User.objects.create(username=f"vol{n}", name=f"Relawan {n}")
        user.set_password(spec["password"])
        user.save(update_fields=["password"])
        ForumMembership.objects.create(forum=ntb, user=user, max_open_tickets=1000)
        TelegramLink.objects.create(user=user, telegram_user_id=telegram_id, telegram_name=f"Relawan {n}")
        volunteers.append(user.username)
    print(json.dumps({"forum": ntb.pk, "operators": operators, "volunteers": volunteers}))


if __name__ == "__main__":
    main()
