"""On PostgreSQL, an index that serves `desa_id LIKE '52.03.%'` with a period: the dashboard's region filter.

The tickets' own (desa, -id) index uses the database collation, which LIKE prefixes cannot use; a
`varchar_pattern_ops` index can. SQLite needs nothing here (its LIKE is answered from the table either way).
"""

from django.db import migrations

CREATE = ("CREATE INDEX IF NOT EXISTS dashboards_ticket_region_idx "
          "ON tickets_ticket (desa_id varchar_pattern_ops, created_at)")
DROP = "DROP INDEX IF EXISTS dashboards_ticket_region_idx"


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0002_site_probe")]

    operations = [migrations.RunPython(forward, backward)]
