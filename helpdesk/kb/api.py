"""The knowledge-base API (`/api/v1/kb/...`): anonymous reads. Parse, call a selector, format; nothing else.

Bad input is a 400 naming the field (`q`, `limit`, `offset`, `category`, `region`, `version`) or a 413 for a
query longer than `MAX_Q_CHARS`; query text itself is always searched as plain words (engine syntax, quotes,
SQL and emoji mean nothing), so it never causes a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from search.types import MAX_LIMIT, MAX_OFFSET

from . import access, deflection, searchlog, selectors
from .limits import check_search_rate, search_rate
from .models import DeflectionLog, Entry
from .selectors import MAX_Q_CHARS, parse_search_params, run_search

log = logging.getLogger(__name__)


@extend_schema_serializer(component_name="KbHit")
class HitOut(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    snippet = serializers.CharField(help_text="HTML aman: teks di-escape, kata yang cocok dibungkus <mark>")
    score = serializers.FloatField()
    url = serializers.CharField()


def hit_out(request: Request, hit: selectors.Hit, log_id: int | None = None) -> dict[str, Any]:
    return {
        "id": hit.entry_id,
        "external_id": hit.external_id or None,
        "title": hit.title,
        "snippet": hit.snippet,
        "score": hit.score,
        "url": request.build_absolute_uri(deflection.link(hit.url, log_id)),
    }


BACKENDS = ("database", "opensearch", "elasticsearch")


class AnsweredBy(serializers.Serializer):
    """Who answered a search: honest about the fallback (docs/search.md)."""

    backend = serializers.ChoiceField(choices=BACKENDS, help_text="mesin yang menjawab pencarian ini")
    fallback = serializers.BooleanField(
        help_text="true bila mesin pencari terpasang tetapi basis data yang menjawab (mesin mati, lambat, atau "
                  "indeksnya belum siap): hasil tetap benar, urutannya bisa sedikit berbeda")


def answered_by(results: selectors.KbResults) -> dict[str, Any]:
    return {"backend": results.backend, "fallback": results.fallback}


COMMON = [
    OpenApiParameter("q", str, required=True, description=f"kata kunci (teks biasa, maks. {MAX_Q_CHARS} karakter)"),
]
ERRORS = {400: OpenApiResponse(description="Parameter tidak valid: `fields` menyebut masalahnya"),
          413: OpenApiResponse(description="Kata kunci terlalu panjang"),
          429: OpenApiResponse(description="Terlalu banyak pencarian dari alamat atau akun ini; header Retry-After "
                                           "menyebut berapa detik menunggu")}


class KbSearchApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="KbSearchOutput")
    class Output(AnsweredBy):
        results = HitOut(many=True)
        total = serializers.IntegerField()

    @extend_schema(
        operation_id="kb_search",
        tags=["basis pengetahuan"],
        parameters=[
            *COMMON,
            OpenApiParameter("category", str, description="slug kategori, mis. kependudukan"),
            OpenApiParameter("region", str, description="awalan kode wilayah, mis. 52 atau 52.03"),
            OpenApiParameter("version", str, description="versi OpenSID, mis. v2410"),
            OpenApiParameter("limit", int, description=f"1 sampai {MAX_LIMIT} (bawaan 10)"),
            OpenApiParameter("offset", int, description=f"0 sampai {MAX_OFFSET}"),
        ],
        responses={200: Output, **ERRORS},
        description="Entri basis pengetahuan yang terbit, paling relevan lebih dulu. Tanpa akun.",
    )
    def get(self, request: Request) -> Response:
        counting = search_rate(request)  # counted with the published check: one round trip fewer per search
        params = parse_search_params(request.query_params)
        results = run_search(params, counting=counting)
        body = {"results": [hit_out(request, h) for h in results.hits], "total": results.total,
                **answered_by(results)}
        if params.offset > 0:
            return Response(body)
        return ThenResponse(body, then=lambda: searchlog.record_search(
            text=params.q, results=results.total, backend=results.backend, fallback=results.fallback,
            channel="api", request=request))


class ThenResponse(Response):
    """A response that writes something once it has been sent: the server calls `close()` after the last byte
    (WSGI servers and Django's ASGI handler alike), and Django's test client before it returns. The API's search
    log row is written so, by the same worker before its next request, instead of while the caller waits (on
    PostgreSQL a commit waits for the disk). Before the rest of `close()`, which may close the connection."""

    def __init__(self, data: Any, *, then: Callable[[], object]) -> None:
        super().__init__(data)
        self._then: Callable[[], object] | None = then

    def close(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            try:
                then()
            except Exception:  # the answer is already sent: say so in the log, do not fail the response
                log.exception("work after the response failed")
        super().close()


class KbSuggestApi(APIView):
    """Up to 5 published answers similar to a ticket being written. Shown suggestions are logged per browser
    session (deflection), and their links carry the log id."""

    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="KbSuggestOutput")
    class Output(AnsweredBy):
        results = HitOut(many=True)

    @extend_schema(
        operation_id="kb_suggest",
        tags=["basis pengetahuan"],
        parameters=[*COMMON, OpenApiParameter("channel", str, description="live (bawaan) atau form")],
        responses={200: Output, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        check_search_rate(request)
        params = parse_search_params(request.query_params, default_limit=5)
        found = selectors.suggest_results(params.q, limit=min(params.limit, 5))
        hits = found.hits
        logs = log_shown(request, hits, channel=request.query_params.get("channel", ""))
        return Response({"results": [hit_out(request, h, logs.get(h.entry_id)) for h in hits], **answered_by(found)})


def log_shown(request: HttpRequest | Request, hits: list[selectors.Hit], *, channel: str) -> dict[int, int]:
    """Log suggestions for sessions that exist already (a signed-in operator filing a ticket); anonymous API
    callers without a session get plain links and no row."""
    if channel not in DeflectionLog.Channel.values:
        channel = DeflectionLog.Channel.LIVE
    return deflection.record_shown(session_key=deflection.session_key(request), user=request.user,
                                   entry_ids=[h.entry_id for h in hits], channel=channel)


@extend_schema_serializer(component_name="KbEntry")
class EntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    question = serializers.CharField()
    question_html = serializers.CharField()
    answer = serializers.CharField()
    answer_html = serializers.CharField()
    category = serializers.CharField(source="category.slug", allow_null=True, default=None)
    category_display = serializers.CharField(source="category.name", allow_null=True, default=None)
    tags = serializers.ListField(child=serializers.CharField())
    versions = serializers.ListField(child=serializers.CharField())
    region_code = serializers.CharField(source="origin_region_id", allow_null=True)
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    source = serializers.CharField()  # type: ignore[assignment]
    source_display = serializers.CharField(source="get_source_display")
    helpful_yes = serializers.IntegerField()
    helpful_no = serializers.IntegerField()
    views = serializers.IntegerField()
    author = serializers.CharField(source="author.display_name", allow_null=True, default=None)
    solved_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, obj: Entry) -> str:
        request = self.context.get("request")
        path = obj.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class KbEntryApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(operation_id="kb_entry", tags=["basis pengetahuan"], responses={200: EntryOut,
                   404: OpenApiResponse(description="Tidak ada, atau belum terbit")})
    def get(self, request: Request, entry_id: int) -> Response:
        entry = access.access_entry(request.user, entry_id)
        data = dict(EntryOut(entry, context={"request": request}).data)
        data["external_id"] = entry.external_id or None
        return Response(data)
