"""A PostgreSQL sequence per province prefix for ticket numbers (tickets/numbers.py), starting after the
counter row's value. Backwards: the counter rows take the sequences' values again, and the sequences go."""

from django.db import migrations

from helpdesk.regions.codes import PROVINCE_ABBREVIATIONS


def create_sequences(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    from helpdesk.tickets.numbers import ensure_sequence

    counter = apps.get_model("tickets", "TicketCounter")
    prefixes = set(PROVINCE_ABBREVIATIONS.values()) | set(counter.objects.values_list("prefix", flat=True))
    with schema_editor.connection.cursor() as cursor:
        for prefix in sorted(prefixes):
            ensure_sequence(cursor, prefix)


def drop_sequences(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    from helpdesk.tickets.numbers import sequence_name

    counter = apps.get_model("tickets", "TicketCounter")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE sequencename LIKE 'tickets_number_%%'")
        for name, last_value in cursor.fetchall():
            prefix = name.removeprefix("tickets_number_").upper()
            if last_value is not None:
                counter.objects.update_or_create(prefix=prefix, defaults={"value": last_value})
            cursor.execute(f"DROP SEQUENCE {sequence_name(prefix)}")


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0004_forum_fields"),
    ]

    operations = [
        migrations.RunPython(create_sequences, drop_sequences),
    ]
