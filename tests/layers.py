"""The package layers and the import check that keeps them (run by tests/test_layers.py, so by `make test`).

Every module of helpdesk/, bots/ and search/ (migrations aside) is parsed with `ast`. Each import, at module
level, inside a function or under `if TYPE_CHECKING:`, relative ones resolved, is mapped from its package to
the imported module's package. An import may only go down the table below, never up and never sideways: the
packages of one layer are peers that do not import each other. A cycle between packages is reported as well.
docs/architecture.md explains the table; change both together.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("helpdesk", "bots", "search")

# Bottom to top. A package imports only packages of lower layers (and itself).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("search", "realtime"),  # services: the apps above call them, they never import those apps
    ("regions", "categories"),
    ("accounts",),
    ("notifications",),
    ("tickets",),
    ("kb", "community", "bots", "dashboards"),  # peers: reach each other through extension points of tickets, accounts, notifications
    ("composition",),  # helpdesk.demo, helpdesk.urls, asgi, wsgi, settings: they wire everything together
)

# Module prefix -> package; the longest matching prefix wins. Anything else under `helpdesk` is composition.
PACKAGES: dict[str, str] = {
    "helpdesk": "composition",
    "helpdesk.core": "core",
    "search": "search",
    "helpdesk.realtime": "realtime",
    "helpdesk.regions": "regions",
    "helpdesk.categories": "categories",
    "helpdesk.accounts": "accounts",
    "helpdesk.notifications": "notifications",
    "helpdesk.tickets": "tickets",
    "helpdesk.kb": "kb",
    "helpdesk.community": "community",
    "helpdesk.dashboards": "dashboards",
    "bots": "bots",
}


@dataclass(frozen=True)
class Import:
    path: str  # relative to the repository, e.g. "helpdesk/kb/services.py"
    line: int
    module: str  # the imported module, e.g. "helpdesk.community.reputation"
    source: str  # the importing package
    target: str  # the imported package

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def package_of(module: str) -> str | None:
    """The package of a dotted module name, or None for anything outside the project (django, stdlib, tests)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        found = PACKAGES.get(".".join(parts[:n]))
        if found is not None:
            return found
    return None


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(root: Path, dirs: Sequence[str] = SOURCE_DIRS) -> list[Path]:
    return sorted(
        p for d in dirs for p in (root / d).rglob("*.py") if "migrations" not in p.relative_to(root).parts
    )


def _imported_modules(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        parent = ".".join([*base, node.module] if node.module else base)
    else:
        parent = node.module or ""
    # `from helpdesk import realtime` imports the module helpdesk.realtime, not the package helpdesk.
    return [f"{parent}.{a.name}" if f"{parent}.{a.name}" in known else parent for a in node.names]


def find_imports(root: Path = ROOT, dirs: Sequence[str] = SOURCE_DIRS) -> list[Import]:
    """Every import between two different packages, wherever it stands in the module."""
    files = source_files(root, dirs)
    known = {module_name(p, root) for p in files}
    found: list[Import] = []
    for path in files:
        module = module_name(path, root)
        source = package_of(module)
        if source is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for imported in _imported_modules(node, module, path.name == "__init__.py", known):
                target = package_of(imported)
                if target is not None and target != source:
                    rel = path.relative_to(root).as_posix()
                    found.append(Import(rel, node.lineno, imported, source, target))
    return sorted(set(found), key=lambda i: (i.path, i.line, i.module))


def _layer_of(layers: Sequence[Sequence[str]]) -> dict[str, int]:
    return {package: n for n, layer in enumerate(layers) for package in layer}


def layer_violations(imports: Iterable[Import], layers: Sequence[Sequence[str]] = LAYERS) -> list[str]:
    """An import that goes up the layers or between peers, as `file:line: why`."""
    layer_of = _layer_of(layers)
    problems: list[str] = []
    for imp in imports:
        if imp.source not in layer_of or imp.target not in layer_of:
            unknown = imp.source if imp.source not in layer_of else imp.target
            problems.append(f"{imp.where}: package {unknown!r} has no layer in tests/layers.py")
            continue
        mine, theirs = layer_of[imp.source], layer_of[imp.target]
        if theirs > mine:
            problems.append(
                f"{imp.where}: {imp.source} imports {imp.module}, which is {imp.target}, a layer above it"
            )
        elif theirs == mine:
            problems.append(
                f"{imp.where}: {imp.source} imports {imp.module}, which is {imp.target}, its peer: go through an "
                "extension point or event of a lower layer"
            )
    return problems


def package_graph(imports: Iterable[Import]) -> dict[str, dict[str, Import]]:
    """source -> target -> the first import that makes the edge."""
    graph: dict[str, dict[str, Import]] = defaultdict(dict)
    for imp in imports:
        graph[imp.source].setdefault(imp.target, imp)
    return graph


def _reachable(graph: dict[str, dict[str, Import]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, {}))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, {}))
    return seen


def _shortest_loop(graph: dict[str, dict[str, Import]], start: str) -> list[Import]:
    """The fewest imports that lead from `start` back to it (breadth first, so deterministic and short)."""
    paths: dict[str, list[Import]] = {start: []}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target, imp in sorted(graph.get(node, {}).items()):
            if target == start:
                return [*paths[node], imp]
            if target not in paths:
                paths[target] = [*paths[node], imp]
                queue.append(target)
    return []


def cycles(imports: Iterable[Import]) -> list[str]:
    """One line per group of packages that import each other in a circle: the shortest loop through its first
    package, with the import that makes each step, and the other packages caught in the same knot."""
    graph = package_graph(imports)
    nodes = sorted(set(graph) | {t for targets in graph.values() for t in targets})
    reach = {node: _reachable(graph, node) for node in nodes}
    found: list[str] = []
    done: set[str] = set()
    for node in nodes:
        if node in done or node not in reach[node]:
            continue
        knot = [other for other in nodes if other in reach[node] and node in reach[other]]
        done.update(knot)
        loop = _shortest_loop(graph, node)
        steps = " -> ".join([node, *(i.target for i in loop)])
        line = f"cycle {steps}: " + ", ".join(f"{i.where} ({i.module})" for i in loop)
        others = [k for k in knot if k not in {i.source for i in loop}]
        found.append(line + (f"; also in this cycle: {', '.join(others)}" if others else ""))
    return found


def dependency_graph(imports: Iterable[Import]) -> list[str]:
    """`package -> a, b, c` lines, for docs and for reading."""
    graph = package_graph(imports)
    return [f"{source} -> {', '.join(sorted(graph[source]))}" for source in sorted(graph)]
