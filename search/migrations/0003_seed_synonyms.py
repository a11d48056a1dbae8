"""Seed the admin-edited synonym list with the project's own (search/synonym_defaults.py)."""

from django.db import migrations


def seed(apps, schema_editor):
    from search.synonym_defaults import DEFAULT_RULES

    Synonym = apps.get_model("search", "Synonym")
    existing = set(Synonym.objects.values_list("rule", flat=True))
    Synonym.objects.bulk_create(
        [Synonym(rule=rule, enabled=True, note="bawaan proyek") for rule in DEFAULT_RULES if rule not in existing]
    )


def unseed(apps, schema_editor):
    from search.synonym_defaults import DEFAULT_RULES

    apps.get_model("search", "Synonym").objects.filter(rule__in=DEFAULT_RULES, note="bawaan proyek").delete()


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext")]

    operations = [migrations.RunPython(seed, unseed)]
