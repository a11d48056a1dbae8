"""Packages import one way (docs/architecture.md): the check on the real tree, and the checker on made-up ones."""

from __future__ import annotations

from pathlib import Path

from tests.layers import LAYERS, PACKAGES, cycles, find_imports, layer_violations


def test_no_import_goes_up_the_layers_or_between_peers() -> None:
    imports = find_imports()
    assert imports, "the checker found no import at all: is it reading the tree?"
    problems = layer_violations(imports) + cycles(imports)
    assert not problems, "imports against the layers (docs/architecture.md):\n" + "\n".join(problems)


def test_every_package_has_a_layer() -> None:
    placed = {package for layer in LAYERS for package in layer}
    assert set(PACKAGES.values()) == placed


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for directory in ("helpdesk", "bots", "search"):
        (root / directory).mkdir(exist_ok=True)
    return root


def test_an_import_up_the_layers_inside_a_function_fails_with_its_place(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "helpdesk/__init__.py": "",
        "helpdesk/demo/__init__.py": "",
        "helpdesk/demo/seed.py": "def seed():\n    pass\n",
        "helpdesk/core/__init__.py": "",
        "helpdesk/core/management/commands/seed_demo.py": (
            "import os\n\n\ndef handle():\n    from helpdesk.demo.seed import seed\n    seed()\n"
        ),
    })
    problems = layer_violations(find_imports(root))
    assert problems == [
        "helpdesk/core/management/commands/seed_demo.py:5: core imports helpdesk.demo.seed, which is composition, "
        "a layer above it"
    ]


def test_peers_may_not_import_each_other_even_relatively_or_for_types_only(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "helpdesk/kb/__init__.py": "",
        "helpdesk/kb/services.py": "from ..community import reputation\n",
        "helpdesk/community/__init__.py": "",
        "helpdesk/community/reputation.py": "",
        "helpdesk/community/jobs.py": (
            "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from bots.outbound import telegram_send\n"
        ),
        "bots/__init__.py": "",
        "bots/outbound.py": "from helpdesk.tickets import events\n",
        "helpdesk/tickets/__init__.py": "",
        "helpdesk/tickets/events.py": "",
    })
    problems = layer_violations(find_imports(root))
    assert [p.split(": ")[0] for p in problems] == ["helpdesk/community/jobs.py:4", "helpdesk/kb/services.py:1"]
    assert "community imports bots.outbound, which is bots, its peer" in problems[0]
    assert "kb imports helpdesk.community.reputation, which is community, its peer" in problems[1]


def test_from_a_package_import_a_module_counts_as_importing_that_module(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "helpdesk/__init__.py": "",
        "helpdesk/realtime/__init__.py": "",
        "search/__init__.py": "from helpdesk import realtime\n",
    })
    imports = find_imports(root)
    assert [(i.source, i.target, i.module) for i in imports] == [("search", "realtime", "helpdesk.realtime")]
    assert "its peer" in layer_violations(imports)[0]


def test_a_cycle_between_packages_is_named_with_each_import(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "helpdesk/accounts/__init__.py": "",
        "helpdesk/accounts/views.py": "import helpdesk.tickets.views\n",
        "helpdesk/tickets/__init__.py": "",
        "helpdesk/tickets/views.py": "\n\ndef page():\n    from helpdesk.accounts import views\n",
    })
    found = cycles(find_imports(root))
    assert found == [
        "cycle accounts -> tickets -> accounts: helpdesk/accounts/views.py:1 (helpdesk.tickets.views), "
        "helpdesk/tickets/views.py:4 (helpdesk.accounts.views)"
    ]
    # a layer table that allowed both directions would still fail on the cycle; this one fails on the way up
    assert layer_violations(find_imports(root)) == [
        "helpdesk/accounts/views.py:1: accounts imports helpdesk.tickets.views, which is tickets, a layer above it"
    ]
