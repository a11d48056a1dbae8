"""The OpenAPI schema class: unique component names for the nested `InputSerializer`/`OutputSerializer`
classes of the API views (HackSoft style). drf-spectacular names a component after the serializer class
alone, so twenty views' `InputSerializer` became one "Input" component and the schema was wrong
(drf_spectacular.W001 in `manage.py check --deploy`). A nested serializer is named after its view:
`tickets.api.MergeApi.InputSerializer` -> "TicketsMergeInput". Top-level serializers keep their names.

A GET that answers a page (`{"results": [...], "next": ...}`) on a path without an id is a list, not a
"retrieve": otherwise `/tickets/` and `/tickets/{ticket_id}/` got the same operationId.

Every operation documents the error body (`ErrorOut`: `{"detail", "code", "fields"?}`, the API contract's): on
the 4xx statuses it names, and as its `default` response, since any operation may also answer 401, 403, 404, 429
or another status it does not list. Without it the schema had no error model at all, and a generated client
could not read an error.
"""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from .api import ErrorOut


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Literal["request", "response"]) -> str:
        name = super().get_serializer_name(serializer, direction)
        cls = serializer if isinstance(serializer, type) else type(serializer)
        outer, dot, _inner = cls.__qualname__.rpartition(".")
        if not dot or "<locals>" in outer:
            return name
        view = outer.rsplit(".", 1)[-1].removesuffix("Api").removesuffix("View").removesuffix("ViewSet")
        app = cls.__module__.split(".")[-2] if cls.__module__.count(".") >= 1 else ""
        return f"{app.title()}{view}{name}"

    def get_operation_id(self) -> str:
        operation_id = str(super().get_operation_id())
        if self.method == "GET" and operation_id.endswith("_retrieve") and not self.path.rstrip("/").endswith("}"):
            response = self.get_response_serializers()
            fields = getattr(response() if isinstance(response, type) else response, "fields", None)
            if fields is not None and "results" in fields:
                return operation_id.removesuffix("_retrieve") + "_list"
        return operation_id

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        error = self._get_response_for_code(ErrorOut, "default", direction=direction)
        for code, response in responses.items():
            if code.startswith("4") and "content" not in response:
                response["content"] = error["content"]
        responses.setdefault("default", {**error, "description": "Galat: `detail`, `code`, dan `fields` pada 400"})
        return responses
