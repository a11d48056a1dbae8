"""The browser's defences on every page: security headers, CSRF on every form, cookie flags, redirects that stay
on the site, and attachments that are never rendered. Pages come from the permission crawler's table."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.services import ROOT

from .conftest import ROLES, Objects, user_for, web
from .crawl import patterns, url_of
from .test_permissions import TABLE

pytestmark = pytest.mark.django_db


def _pages(o: Objects) -> list[tuple[str, str]]:
    """(role, url) of every GET page in the table that some role gets with 200, outside the admin site."""
    found = []
    for p in patterns():
        method, row = TABLE[p.key]
        if method != "GET" or p.key.startswith("admin/"):
            continue
        named = dict(part.split("=", 1) for part in row.split())
        role = next((r for r in ("anon", *ROLES) if named.get(r, named.get("*")) == "200"), None)
        if role is not None:
            found.append((role, url_of(o, p)))
    return found


def _csp(response: Any) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_every_page_has_the_security_headers(objects: Objects) -> None:
    pages = _pages(objects)
    assert len(pages) >= 50
    wrong = []
    for role, url in pages:
        response = web(user_for(objects, role)).get(url)
        assert response.status_code == 200, (role, url, response.status_code)
        csp = _csp(response)
        script = csp.get("script-src", csp.get("default-src", []))
        problems = [
            not script and "no script-src",
            "'unsafe-inline'" in script and "inline scripts allowed",
            "'unsafe-eval'" in script and "eval allowed",
            response.headers.get("X-Content-Type-Options") != "nosniff" and "no nosniff",
            response.headers.get("Referrer-Policy") not in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
            and "no Referrer-Policy",
            response.headers.get("X-Frame-Options") != "DENY" and csp.get("frame-ancestors") != ["'none'"]
            and "may be framed",
        ]
        wrong += [f"{url} as {role}: {p}" for p in problems if p]
    assert not wrong, "\n".join(wrong)


def _production_settings() -> dict[str, Any]:
    """The security settings as production (HTTPS=1) computes them, read in a separate process."""
    code = (
        "import json, django; from django.conf import settings as s; django.setup(); print(json.dumps({k: getattr(s, k)"
        " for k in ['SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE',"
        " 'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE',"
        " 'SECURE_HSTS_INCLUDE_SUBDOMAINS']}))"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DJANGO_SETTINGS_MODULE": "helpdesk.settings.base", "HTTPS": "1",
           "SECRET_KEY": "q3v9Zk2LmP0xR7wT5yB8nC1dF4gH6jK9sA2eU7iO3pL5zX8cV0bN", "ALLOWED_HOSTS": "testserver"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_production_turns_on_https_only_cookies_and_hsts(objects: Objects) -> None:
    production = _production_settings()
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SESSION_COOKIE_SECURE"] is True and production["CSRF_COOKIE_SECURE"] is True

    with override_settings(**production):
        plain = Client().get("/masuk/")
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
        client = Client()
        page = client.get("/masuk/", secure=True)
        assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        signed_in = client.post("/masuk/", {"username": "op_a", "password": "rahasia-kuat-123"}, secure=True)
        assert signed_in.status_code == 302, signed_in.content
        session = signed_in.cookies["sessionid"]
        assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
        csrf = page.cookies["csrftoken"]
        assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"


def test_cookies_are_httponly_and_same_site_in_development(objects: Objects) -> None:
    client = Client()
    page = client.get("/masuk/")
    signed_in = client.post("/masuk/", {"username": "op_a", "password": "rahasia-kuat-123"})
    assert signed_in.status_code == 302
    for cookie in (signed_in.cookies["sessionid"], page.cookies["csrftoken"]):
        assert cookie["httponly"] and cookie["samesite"] == "Lax"


# Endpoints that never read the session: a forged cross-site request carries no one's authority to them.
NO_SESSION = {
    "telegram/webhook/",  # Telegram's secret header
    "api/v1/auth/token/",  # a password in the body
    "api/v1/accounts/register/",
    "api/v1/accounts/accept-invite/",  # the invitation's token in the body
}


def test_every_state_changing_form_needs_the_csrf_token(objects: Objects) -> None:
    """A POST without the token is refused (403) on every web form and, for a signed-in session, the API."""
    posts = [p for p in patterns() if TABLE[p.key][0] != "GET" and p.key not in NO_SESSION]
    assert len(posts) >= 60
    wrong = []
    for p in posts:
        url = url_of(objects, p)
        for role in ("anon", "op", "coord"):
            client = Client(enforce_csrf_checks=True)
            user = user_for(objects, role)
            if user is not None:
                client.force_login(user)
            response = client.generic(TABLE[p.key][0], url)
            allowed = {401} if (role == "anon" and p.key.startswith("api/")) else {403}
            if response.status_code not in allowed:
                wrong.append(f"{TABLE[p.key][0]} {url} as {role} without a CSRF token: {response.status_code}")
    assert not wrong, "\n".join(wrong)


EVIL = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example", "\\\\evil.example"]


def _stays(response: Any) -> bool:
    location = response.headers.get("Location", "")
    return not location.startswith(("http:", "https:", "//", "/\\", "\\")) or location.startswith("http://testserver/")


@pytest.mark.parametrize("target", EVIL)
def test_sign_in_never_sends_you_off_site(objects: Objects, target: str) -> None:
    response = Client().post(f"/masuk/?next={target}", {"username": "op_a", "password": "rahasia-kuat-123", "next": target})
    assert response.status_code == 302 and _stays(response), response.headers.get("Location")


@pytest.mark.parametrize("target", EVIL)
def test_language_switch_never_sends_you_off_site(objects: Objects, target: str) -> None:
    response = Client().post("/i18n/setlang/", {"language": "en", "next": target}, HTTP_REFERER=target)
    assert response.status_code == 302 and _stays(response), response.headers.get("Location")


@pytest.mark.parametrize("target", EVIL)
def test_other_next_parameters_stay_on_site(objects: Objects, target: str) -> None:
    signed_in = web(objects.world.vol_lotim)
    for response in (
        signed_in.post("/antrian/massal/", {"next": target}),
        signed_in.post("/notifikasi/baca/", {"next": target}),
        web(objects.world.op_a).post(f"/tiket/{objects.ticket.number}/aksi/ikuti/", {"next": target}),
    ):
        assert _stays(response), response.headers.get("Location")


HTML = b"<html><body><script>alert(document.cookie)</script></body></html>\n"


def test_attachments_are_downloads_never_pages(objects: Objects) -> None:
    api = APIClient()
    api.force_authenticate(objects.world.op_a)
    upload = api.post(f"/api/v1/tickets/{objects.ticket.pk}/attachments/",
                      {"file": SimpleUploadedFile("catatan.html", HTML, content_type="text/html")})
    ids = [objects.attachment.pk]
    if upload.status_code == 201:  # taken as text: it must still never render
        ids.append(upload.json()["id"])
    else:
        assert upload.status_code == 400, upload.content
    client = web(objects.world.op_a)
    for attachment_id in ids:
        for url in (f"/lampiran/{attachment_id}/", f"/api/v1/attachments/{attachment_id}/"):
            response = client.get(url)
            assert response.status_code == 200, url
            disposition = response.headers["Content-Disposition"]
            assert disposition.startswith("attachment;"), disposition
            assert "html" not in response.headers["Content-Type"], response.headers["Content-Type"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            csp = _csp(response)
            assert "sandbox" in csp and csp.get("default-src") == ["'none'"], response.headers["Content-Security-Policy"]
