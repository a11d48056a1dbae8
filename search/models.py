"""The database backends' own tables. Only `search.backends.database` writes them (and the admin, synonyms).

The full-text structures that the ORM cannot describe are created by the migrations, per vendor:
SQLite gets the FTS5 table `search_document_fts` (rowid = SearchDocument.id); PostgreSQL gets a `tsv`
tsvector column on `search_document` with a GIN index.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchDocument(models.Model):
    doc_type = models.CharField(max_length=32)
    doc_id = models.CharField(max_length=64)
    external_id = models.CharField(max_length=128, blank=True, default="")
    url = models.CharField(max_length=300, blank=True, default="")
    title = models.TextField()
    body = models.TextField(blank=True, default="")
    # Output of search.analysis: one space-separated group of `|`-joined terms per word position.
    terms_title = models.TextField(blank=True, default="")
    terms_body = models.TextField(blank=True, default="")
    length = models.PositiveIntegerField(default=0)
    category = models.CharField(max_length=64, blank=True, default="")
    region_code = models.CharField(max_length=20, blank=True, default="")
    # " 2410.0.0 24.10 " (space-delimited so that a filter can match a whole value).
    versions = models.CharField(max_length=300, blank=True, default="")
    is_public = models.BooleanField(default=True)
    # " forum:3 forum:7 ": who may see a non-public document.
    audience = models.CharField(max_length=500, blank=True, default="")
    accepted = models.BooleanField(default=False)
    helpful_votes = models.IntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "search_document"
        constraints = [models.UniqueConstraint(fields=["doc_type", "doc_id"], name="search_document_unique")]
        indexes = [models.Index(fields=["doc_type", "category"], name="search_doc_type_cat")]

    def __str__(self) -> str:
        return f"{self.doc_type}:{self.doc_id}"


class SearchTerm(models.Model):
    """Document frequencies, kept in step with SearchDocument in the same transaction.

    kind `t`: index terms (stems, identifiers), for BM25's IDF; kind `w`: words as written, for typo
    correction; kind `s`: corpus statistics (`docs`, `length`).
    """

    kind = models.CharField(max_length=1)
    term = models.CharField(max_length=80)
    df = models.BigIntegerField(default=0)

    class Meta:
        db_table = "search_term"
        constraints = [models.UniqueConstraint(fields=["kind", "term"], name="search_term_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.term}={self.df}"


class Synonym(models.Model):
    rule = models.CharField(
        _("aturan"),
        max_length=500,
        help_text=_(
            "Kata yang sepadan dipisah koma (ganda, dobel, duplikat), atau satu arah dengan '=>' "
            "(gmn, gimana => bagaimana). Berlaku untuk pencarian saja, tanpa perlu indeks ulang."
        ),
    )
    enabled = models.BooleanField(_("aktif"), default=True)
    note = models.CharField(_("catatan"), max_length=200, blank=True, default="")
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)

    class Meta:
        db_table = "search_synonym"
        verbose_name = _("sinonim")
        verbose_name_plural = _("sinonim dan singkatan")
        ordering = ["rule"]

    def __str__(self) -> str:
        return self.rule

    def clean(self) -> None:
        from .analysis import AnalysisError, parse_rule

        try:
            parse_rule(self.rule)
        except AnalysisError as exc:
            raise ValidationError({"rule": str(exc)}) from exc
