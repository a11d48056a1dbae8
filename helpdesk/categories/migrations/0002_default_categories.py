from django.db import migrations

from helpdesk.categories.defaults import DEFAULT_CATEGORIES


def load(apps, schema_editor):
    Category = apps.get_model("categories", "Category")
    for position, (slug, name, name_en) in enumerate(DEFAULT_CATEGORIES, start=1):
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "name_en": name_en, "position": position * 10})


class Migration(migrations.Migration):
    dependencies = [("categories", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
