"""The entry editor's form, and the signed carrier of masking findings between showing a prefill and saving it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from helpdesk.accounts.models import ForumRegion
from helpdesk.categories.selectors import category_list

from .masking import Finding, findings_from_json, findings_to_json
from .validation import MAX_TEXT, MAX_TITLE

_SALT = "helpdesk.kb.findings"
_MAX_AGE = 7 * 24 * 3600


def sign_findings(findings: list[Finding]) -> str:
    return signing.dumps(findings_to_json(findings), salt=_SALT, compress=True)


def unsign_findings(token: str) -> list[Finding]:
    """The findings shown with a prefill; an altered or stale token gives none (everything is then found anew)."""
    try:
        return findings_from_json(signing.loads(token or "", salt=_SALT, max_age=_MAX_AGE))
    except signing.BadSignature:
        return []


class _Placeholders(forms.MultipleChoiceField):
    """Placeholders the editor chose to show as written. Unknown ones (a stale page) are dropped, not an error."""

    def valid_value(self, value: str) -> bool:
        return True


class EntryForm(forms.Form):
    title = forms.CharField(label=_("Judul"), max_length=MAX_TITLE,
                            help_text=_("Tulis seperti operator bertanya, mis. \"Gagal impor data penduduk dari Excel\"."))
    question = forms.CharField(label=_("Pertanyaan / masalah"), required=False, max_length=MAX_TEXT,
                               widget=forms.Textarea(attrs={"rows": 6}))
    answer = forms.CharField(label=_("Jawaban"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 10}),
                             help_text=_("Langkah penyelesaian. Bisa memakai format sederhana: **tebal**, daftar, `kode`, tautan."))
    category = forms.ChoiceField(label=_("Kategori"), required=False)
    tags = forms.CharField(label=_("Label"), required=False, max_length=600,
                           help_text=_("Pisahkan dengan koma, mis. impor, excel, nik"))
    versions = forms.CharField(label=_("Versi OpenSID"), required=False, max_length=400,
                               help_text=_("Kosongkan bila berlaku untuk semua versi. Contoh: v2410.0.0, v2409"))
    origin_region = forms.ChoiceField(label=_("Wilayah asal"), required=False)
    keep = _Placeholders(required=False, widget=forms.CheckboxSelectMultiple)
    findings_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, findings: list[Finding] | None = None, forum_ids: list[int] | None = None,
                 fixed_region: tuple[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—")] + [(c.slug, c.name) for c in category_list()]  # type: ignore[attr-defined]
        self.findings = findings or []
        self.fields["keep"].choices = [(f.placeholder, f.placeholder) for f in self.findings]  # type: ignore[attr-defined]
        if fixed_region is not None:
            regions = [fixed_region]
        else:
            coverage = ForumRegion.objects.select_related("region").order_by("region_id")
            if forum_ids is not None:
                coverage = coverage.filter(forum_id__in=forum_ids)
            regions = [(c.region_id, f"{c.region.name} ({c.region_id})") for c in coverage]
            regions.insert(0, ("", str(_("— tidak ditentukan —"))))
        self.fields["origin_region"].choices = regions  # type: ignore[attr-defined]

    def clean_keep(self) -> list[str]:
        known = {f.placeholder for f in self.findings}
        return [p for p in self.cleaned_data.get("keep") or [] if p in known]

    def findings_rows(self) -> list[dict[str, Any]]:
        kept = set(self["keep"].value() or [])
        return [{"finding": f, "kept": f.placeholder in kept} for f in self.findings]
