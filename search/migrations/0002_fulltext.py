"""The full-text structures the ORM cannot describe, one per vendor. Other vendors get none (and no search)."""

from django.db import migrations

SQLITE_FORWARD = [
    # Terms come pre-analysed from search.analysis: the tokenizer only splits them, keeping '.' and '_'
    # inside identifiers (v2410.0.0, surat_ket_kelahiran).
    "CREATE VIRTUAL TABLE search_document_fts USING fts5("
    "terms_title, terms_body, tokenize = \"unicode61 remove_diacritics 0 tokenchars '._'\")",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS search_document_fts"]

POSTGRES_FORWARD = [
    # A tsvector built by the backend from the same analysed terms as SQLite's (see docs/search.md for why
    # it is not to_tsvector('indonesian', ...)).
    "ALTER TABLE search_document ADD COLUMN tsv tsvector NOT NULL DEFAULT ''::tsvector",
    "CREATE INDEX search_document_tsv ON search_document USING GIN (tsv)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_document_tsv",
    "ALTER TABLE search_document DROP COLUMN IF EXISTS tsv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
