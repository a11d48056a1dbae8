"""Checks a real API response against the schema that /api/v1/schema/ publishes for it.

Where a response is built by a presenter (a dict, for speed) and documented by an output serializer, the two
must not drift apart: every key the schema lists is in the body and no other, and each value has the schema's
type (`nullable` allowed), recursively through nested objects and lists.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from drf_spectacular.generators import SchemaGenerator

TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,), "number": (int, float), "string": (str,), "boolean": (bool,), "array": (list,), "object": (dict,),
}


@cache
def api_schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    operation = api_schema()["paths"][path][method.lower()]
    return operation["responses"][str(status)]["content"]["application/json"]["schema"]


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return _resolve(api_schema()["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]])
    if "allOf" in node and len(node["allOf"]) == 1:
        return {**_resolve(node["allOf"][0]), **{k: v for k, v in node.items() if k != "allOf"}}
    return node


def mismatches(node: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    node = _resolve(node)
    if value is None:
        return [] if node.get("nullable") else [f"{where}: null, but the schema does not allow it"]
    kind = node.get("type")
    if kind is None and "properties" in node:
        kind = "object"
    if kind is None:
        return []  # free-form
    if not isinstance(value, TYPES[kind]) or (kind in ("integer", "number") and isinstance(value, bool)):
        return [f"{where}: {type(value).__name__}, schema says {kind}"]
    problems: list[str] = []
    if kind == "string" and node.get("format") == "date-time":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            problems.append(f"{where}: {value!r} is not a date-time")
    if kind == "array":
        for i, item in enumerate(value):
            problems += mismatches(node.get("items", {}), item, f"{where}[{i}]")
    if kind == "object" and "properties" in node:
        documented, actual = set(node["properties"]), set(value)
        if documented != actual:
            problems.append(f"{where}: undocumented keys {sorted(actual - documented)}, "
                            f"documented but absent {sorted(documented - actual)}")
        for key in documented & actual:
            problems += mismatches(node["properties"][key], value[key], f"{where}.{key}")
    return problems


def assert_matches(path: str, method: str, status: int, body: Any) -> None:
    problems = mismatches(response_schema(path, method, status), body)
    assert problems == [], f"{method.upper()} {path} {status}: " + "; ".join(problems)
