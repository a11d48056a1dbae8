"""On PostgreSQL the rate-limit counters live in an UNLOGGED table.

Every counted action (an anonymous search, a sign-in attempt, a filing) writes its counter. A transaction that
writes only unlogged tables writes no WAL, so its commit does not wait for a flush to disk: in production
(`synchronous_commit = on`) that wait would otherwise be part of every anonymous search. What it costs: after a
crash of PostgreSQL (not a clean restart) the table comes back empty, so every window starts over, and a replica
holds no counters. Both are harmless for counters that expire within an hour. SQLite has no such tables.
"""

from django.db import migrations


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE core_ratecounter SET UNLOGGED")


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE core_ratecounter SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("core", "0004_outboxjob_request_id")]

    operations = [migrations.RunPython(forward, backward)]
