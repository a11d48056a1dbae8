"""Static files as production serves them: the project's own CSS and JavaScript minified at collectstatic, then
hashed and precompressed by WhiteNoise. The files in the repository stay readable; only STATIC_ROOT holds the
minified copies (issue 15: page weight). Third-party static files (admin, API docs) are copied as their packages
ship them: they are not on the pages people use every day, and their authors chose their own form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import rcssmin
import rjsmin
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from whitenoise.storage import CompressedManifestStaticFilesStorage

from .template_loaders import is_project_path

MINIFIERS = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}


def minify(name: str, text: str) -> str | None:
    """The minified text of a stylesheet or script, or None when `name` is neither."""
    minifier = MINIFIERS.get(Path(name).suffix)
    return None if minifier is None else minifier(text).strip() + "\n"


def is_project_file(storage: Storage, name: str) -> bool:
    try:
        return is_project_path(Path(storage.path(name)))
    except NotImplementedError:  # a storage without local paths is not one of ours
        return False


class MinifiedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's storage, minifying the project's CSS and JS before they are hashed, so that the hash (and
    the .gz and .br files made after it) describe the minified bytes."""

    def post_process(self, paths: dict[str, tuple[Storage, str]], dry_run: bool = False,
                     **options: Any) -> Iterator[tuple[str, str | None, bool]]:
        if not dry_run:
            paths = {name: self.minified_copy(name, source) for name, source in paths.items()}
        yield from super().post_process(paths, dry_run, **options)

    def minified_copy(self, name: str, source: tuple[Storage, str]) -> tuple[Storage, str]:
        storage, path = source
        if Path(name).suffix not in MINIFIERS or not is_project_file(storage, path):
            return source
        with storage.open(path) as original:
            text = minify(name, original.read().decode("utf-8"))
        assert text is not None  # the suffix was checked above
        if self.exists(name):  # collectstatic copied the original here; replace it, never save beside it
            self.delete(name)
        self._save(name, ContentFile(text.encode("utf-8")))
        return self, name
