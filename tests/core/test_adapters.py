"""Web pages, admin actions and hooks take what they share with the API from presenters, selectors and services,
never from an API module (`api.py`, `api_*.py`), so that an API change cannot break a page by accident."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _api_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            module = ("." * node.level) + (node.module or "")
            names = [module.rsplit(".", 1)[-1]] + [a.name for a in node.names] if node.module else [a.name for a in node.names]
            if any(n == "api" or n.startswith("api_") for n in names):
                found.append(f"{path.relative_to(ROOT)}: from {module} import {', '.join(a.name for a in node.names)}")
    return found


def test_pages_do_not_import_api_modules() -> None:
    pages = [p for pattern in ("views*.py", "admin.py", "hooks.py") for p in (ROOT / "helpdesk").glob(f"*/{pattern}")]
    offenders = [line for path in sorted(pages) for line in _api_imports(path)
                 # core/api.py is the API's error body, which the JSON 404/500 handlers answer with too.
                 if not line.startswith("helpdesk/core/views.py: from .api import error_body")]
    assert offenders == []
