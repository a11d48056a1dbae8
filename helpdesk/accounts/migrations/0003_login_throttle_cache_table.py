"""The failed sign-in counters live in the database cache; create its table with the schema.

The start scripts also run `createcachetable`, but a database built by `migrate` alone (tests, a fresh
deployment that forgets the extra step) must not turn every sign-in into a 500. A no-op for non-database caches.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_auth_salt_invitation_revoked")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=True)]
