"""Issue 15's small things that every page shares: the icon, the CSRF failure page."""

from __future__ import annotations

from typing import Any

from django.test import Client


def test_favicon_is_the_projects_own(db: Any) -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response.headers["Location"].endswith(".svg")


def test_csrf_failure_is_the_sites_page_in_the_persons_language(db: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.post("/masuk/", {"username": "x", "password": "y"})
    html = page.content.decode()
    assert page.status_code == 403 and "Formulir kedaluwarsa" in html and "CSRF verification failed" not in html
    english = client.post("/masuk/", {"username": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Form expired" in english.content.decode()
