"""Template loaders that read the project's HTML templates without the whitespace only their authors need: each
line's indentation, and the line break after a line holding nothing but tags that print nothing (`{% if %}`,
`{% endfor %}`, `{% ... as name %}`...). The files keep their layout; pages lose the blank lines and indentation (issue 15: page weight).

Whitespace between words and tags is never removed, only shortened to one line break, so the page reads and lays
out the same. Left as written: `<pre>` and `<textarea>` blocks and `{% blocktranslate %}` blocks (whose whitespace
is content or part of a message id), text templates (e-mail), and templates from other packages."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.template import Origin
from django.template.loaders import app_directories, filesystem

KEEP = re.compile(r"(<pre\b.*?</pre>|<textarea\b.*?</textarea>|{%\s*blocktrans.*?{%\s*endblocktrans\w*\s*%})",
                  re.S | re.I)
INDENT = re.compile(r"\n[ \t]+")
SILENT = (r"{%\s*(?:if|elif|else|endif|for|empty|endfor|with|endwith|load|block|endblock)\b[^%]*%}"
          r"|{%[^%]*\sas\s+\w+\s*%}|{#[^#]*#}")  # a tag `... as name` stores its value and prints nothing
SILENT_LINE = re.compile(rf"^((?:{SILENT})+)\n", re.M)


def trim(source: str) -> str:
    """`source` without indentation and without the line breaks of lines that print nothing."""
    parts = KEEP.split(source)
    for i in range(0, len(parts), 2):  # the split's odd parts are the blocks to keep
        parts[i] = SILENT_LINE.sub(r"\1", INDENT.sub("\n", parts[i]))
    return "".join(parts)


def is_project_path(path: Path) -> bool:
    """Is this file the project's own (under `helpdesk/`), not a third-party package's?"""
    return path.resolve().is_relative_to(Path(settings.BASE_DIR, "helpdesk").resolve())


def is_trimmed(origin: Origin) -> bool:
    path = Path(origin.name)
    return path.suffix == ".html" and is_project_path(path)


class TrimmingMixin:
    def get_contents(self, origin: Origin) -> str:
        source: str = super().get_contents(origin)  # type: ignore[misc]
        return trim(source) if is_trimmed(origin) else source


class FilesystemLoader(TrimmingMixin, filesystem.Loader):
    pass


class AppDirectoriesLoader(TrimmingMixin, app_directories.Loader):
    pass
