"""The English catalogue is complete, compiled and points at real files.

Indonesian is the source language, so `locale/id` holds only empty msgstrs; every entry of `locale/en` must have
an English translation that gettext will use: not empty and not marked fuzzy (gettext ignores fuzzy entries, so
the English UI would show the Indonesian text). When this fails after `make messages`, the message lists each
missing string with its first source reference: translate those in helpdesk/locale/en/LC_MESSAGES/django.po,
then `make messages` again (it compiles the .mo).

The parser below reads only what `makemessages` writes (msgctxt, msgid, msgid_plural, msgstr[n], flags,
references), which is enough for these checks without a .po library.
"""

from __future__ import annotations

import ast
import gettext
from dataclasses import dataclass, field

from tests.layers import ROOT

LOCALE = ROOT / "helpdesk" / "locale"
CATALOGUES = {lang: LOCALE / lang / "LC_MESSAGES" / "django.po" for lang in ("id", "en")}


@dataclass
class Entry:
    msgid: str = ""
    plural: str | None = None
    context: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return self.references[0] if self.references else "?"

    def gettext_key(self) -> str:
        return f"{self.context}\x04{self.msgid}" if self.context is not None else self.msgid


def read_po(text: str) -> list[Entry]:
    entries: list[Entry] = []
    for block in text.split("\n\n"):
        entry, key = Entry(), ""
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#:"):
                entry.references += line[2:].split()
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                fields[key] += ast.literal_eval(line)
            else:
                key, _, value = line.partition(" ")
                fields[key] = ast.literal_eval(value)
        if "msgid" not in fields or fields["msgid"] == "":  # the header
            continue
        entry.msgid = fields.pop("msgid")
        entry.plural = fields.pop("msgid_plural", None)
        entry.context = fields.pop("msgctxt", None)
        for name, value in fields.items():
            entry.msgstr[int(name[7:-1]) if name.startswith("msgstr[") else 0] = value
        entries.append(entry)
    return entries


def _catalogue(lang: str) -> list[Entry]:
    return read_po(CATALOGUES[lang].read_text(encoding="utf-8"))


def _not_translated(entries: list[Entry]) -> list[str]:
    return [f"{e.where}: {e.msgid!r}" + (" (fuzzy)" if "fuzzy" in e.flags else "")
            for e in entries if "fuzzy" in e.flags or not all(e.msgstr.values()) or not e.msgstr]


def test_every_english_entry_is_translated_and_not_fuzzy() -> None:
    missing = _not_translated(_catalogue("en"))
    assert not missing, (
        f"{len(missing)} English translation(s) missing or fuzzy in helpdesk/locale/en/LC_MESSAGES/django.po "
        "(the English UI shows the Indonesian text for these):\n  " + "\n  ".join(missing))


def test_plural_entries_have_both_english_forms() -> None:
    short = [f"{e.where}: {e.msgid!r}" for e in _catalogue("en") if e.plural is not None and len(e.msgstr) != 2]
    assert not short, "English has two plural forms (msgstr[0], msgstr[1]):\n  " + "\n  ".join(short)


def test_both_catalogues_hold_the_same_strings() -> None:
    ids = {lang: {e.gettext_key() for e in _catalogue(lang)} for lang in CATALOGUES}
    assert ids["id"] == ids["en"], "run `make messages`: the catalogues were extracted at different times"


def test_the_compiled_english_catalogue_matches_the_po_file() -> None:
    with (LOCALE / "en" / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for entry in _catalogue("en"):
        if "fuzzy" in entry.flags:
            continue
        key = entry.gettext_key()
        got = compiled.ngettext(key, entry.plural, 1) if entry.plural is not None else compiled.gettext(key)
        if got != entry.msgstr.get(0):
            stale.append(f"{entry.where}: {entry.msgid!r}")
    assert not stale, "django.mo is older than django.po; run `make messages`:\n  " + "\n  ".join(stale)


def test_source_references_name_files_that_exist() -> None:
    """References are regenerated from the repository root; a path that no longer exists (helpdesk/forum/ became
    helpdesk/community/) means the catalogue was not regenerated after a move."""
    paths = {ref.rsplit(":", 1)[0] for lang in CATALOGUES for e in _catalogue(lang) for ref in e.references}
    gone = sorted(path for path in paths if not (ROOT / path).is_file())
    assert not gone, "run `make messages`; these referenced files do not exist:\n  " + "\n  ".join(gone)


def test_the_reader_sees_untranslated_fuzzy_and_plural_entries() -> None:
    text = '\n'.join([
        'msgid ""', 'msgstr ""', '"Language: en\\n"', '',
        '#: a.py:1', 'msgid "Siap"', 'msgstr "Ready"', '',
        '#: b.py:2', '#, fuzzy, python-format', '#| msgid "Lama %(n)s"', 'msgid "Baru %(n)s"', 'msgstr "Old %(n)s"', '',
        '#: c.py:3', 'msgid ""', '"Dua "', '"baris"', 'msgstr ""', '',
        '#: d.py:4', 'msgctxt "menu"', 'msgid "%(n)d tiket"', 'msgid_plural "%(n)d tiket"',
        'msgstr[0] "%(n)d ticket"', 'msgstr[1] ""',
    ])
    entries = read_po(text)
    assert [e.msgid for e in entries] == ["Siap", "Baru %(n)s", "Dua baris", "%(n)d tiket"]
    assert entries[3].context == "menu" and entries[3].msgstr == {0: "%(n)d ticket", 1: ""}
    assert _not_translated(entries) == ["b.py:2: 'Baru %(n)s' (fuzzy)", "c.py:3: 'Dua baris'", "d.py:4: '%(n)d tiket'"]
