"""Issue 15, "Done when": each person's day through the real pages in Chromium, at 360 px and 1366 px, with
JavaScript on and off.

1. The operator signs in, files a ticket with a screenshot through the suggestion step, and the file arrives.
2. The volunteer finds it in the queue, takes it, and answers with a canned reply (placeholders filled) and a file.
3. The operator follows the notification to the ticket (the badge clears), marks the answer helpful and rates it.
4. A waiting operator signs in; the coordinator verifies them on the verification page.
5. The planner signs in and lands on the dashboard.

Every page on the way: nothing scrolls sideways, no link on it answers 403 (nor any other error, nor the sign-in
form) for the person looking at it, and every file sent is on the ticket. Each page is saved as a
screenshot, and its weight (HTML, gzipped HTML, CSS+JS) goes to weights.json and the table printed at the end of
the session (tests/walkthrough/conftest.py). The directory is $HELPDESK_WALKTHROUGH_DIR, else
var/artifacts/walkthrough/.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from PIL import Image

from helpdesk.accounts.landing import landing_url
from helpdesk.accounts.models import Forum, User
from helpdesk.categories.services import ensure_default_categories
from helpdesk.kb import services as kb_services
from helpdesk.notifications.models import Notification
from helpdesk.tickets.canned import canned_create
from helpdesk.tickets.models import Attachment, Message, Rating, Status, Ticket
from tests.conftest import AsgiServer
from tests.factories import ForumFactory, OperatorFactory, UserFactory, region, volunteer

from .conftest import WEIGHTS, PageWeight

pytestmark = pytest.mark.browser

PASSWORD = "rahasia-kuat-123"  # the factories' password
DESA, DESA_WAITING = "52.03.01.2001", "52.03.01.2002"
TITLE = "Gagal impor data penduduk dari Excel: Data too long for column"
CANNED_BODY = ("Halo {nama_operator}, untuk tiket {nomor_tiket}: potong isian kolom nama di file Excel Desa "
               "{nama_desa} menjadi paling banyak 100 karakter, lalu impor ulang.")
# The page weight of the stylesheets and scripts a page names, fetched once per URL for the whole module.
ASSET_BYTES: dict[str, int] = {}


@dataclass
class People:
    lotim: Forum
    operator: User
    waiting: User  # signed up, not verified yet
    volunteer: User
    coordinator: User
    planner: User


def people() -> People:
    ensure_default_categories()  # a transactional test flushes the migration's rows
    region("52", "Nusa Tenggara Barat")
    region("52.03", "Kabupaten Lombok Timur")
    region("52.03.01", "Keruak")
    region(DESA, "Tanjung Luar")
    region(DESA_WAITING, "Pijot")
    core = ForumFactory(name="Tim Inti OpenDesa", slug="tim-inti")
    ntb = ForumFactory(name="ForSID NTB", slug="forsid-ntb", parent=core, regions=["52"])
    lotim = ForumFactory(name="ForSID Lombok Timur", slug="forsid-lotim", parent=ntb, regions=["52.03"])
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    found = People(
        lotim=lotim,
        operator=OperatorFactory(username="op_tanjungluar", name="Baiq Operator", desa_code=DESA),
        waiting=OperatorFactory(username="op_pijot", name="Lalu Menunggu", desa_code=DESA_WAITING,
                                operator_status=User.OperatorStatus.PENDING),
        volunteer=volunteer(lotim, categories=["kependudukan"], username="relawan_lotim", name="Budi Relawan"),
        coordinator=volunteer(lotim, role="coordinator", username="koord_lotim", name="Sari Koordinator"),
        planner=UserFactory(username="perencana", name="Dewi Perencana", is_planner=True),
    )
    saved = kb_services.entry_create(
        actor=User.objects.get(pk=admin.pk),
        data=kb_services.EntryInput(
            title="Gagal impor data penduduk dari Excel: Data too long for column", question="",
            answer="Potong isian kolom nama menjadi maksimal 100 karakter, lalu impor ulang file Excel.",
            category="kependudukan", origin_region="52.03", versions="", tags=""),
        submit=True,
    )
    assert saved.outcome == "published", saved.outcome
    canned_create(actor=found.coordinator, forum=lotim, title="Kolom nama terlalu panjang", body=CANNED_BODY)
    return found


def png_file(directory: Path, name: str) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (640, 400), (30, 90, 160)).save(out, format="PNG")
    path = directory / name
    path.write_bytes(out.getvalue())
    return path


@dataclass
class Walk:
    """One person's part of the day in their own browser context: every page they see is audited."""

    server: AsgiServer
    browser: Any
    artifacts: Path
    role: str
    width: int
    javascript: bool
    page: Any = None
    unreachable: tuple[str, ...] = ()  # URL patterns whose requests fail, as on a broken connection
    links: dict[str, str] = field(default_factory=dict)  # href -> the step it was seen on
    _document: Any = None

    @property
    def js(self) -> str:
        return "js" if self.javascript else "nojs"

    def sign_in(self, user: User) -> None:
        context = self.browser.new_context(
            viewport={"width": self.width, "height": 800}, locale="id-ID", base_url=self.server.url,
            java_script_enabled=self.javascript,
        )
        for pattern in self.unreachable:
            context.route(pattern, lambda route: route.abort())
        self.page = context.new_page()
        self.page.on("response", self._remember_document)
        self.page.goto("/masuk/")
        self.page.fill("#id_username", user.username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("main form button[type=submit]")
        self.page.wait_for_url(lambda url: "/masuk/" not in url)
        assert landing_url(user) in self._redirects(), (self.role, self.page.url)

    def _remember_document(self, response: Any) -> None:
        if response.request.is_navigation_request() and response.frame == self.page.main_frame:
            self._document = response

    def _redirects(self) -> list[str]:
        """The paths the last navigation went through, its own last (the landing page may redirect further)."""
        paths: list[str] = []
        request = self._document.request if self._document else None
        while request is not None:
            paths.insert(0, urlsplit(request.url).path)
            request = request.redirected_from
        return paths

    def path(self) -> str:
        parts = urlsplit(self.page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def menu(self, name: str) -> None:
        """Follow a header link; on a phone it sits behind "Menu" (a checkbox, so it opens without JavaScript)."""
        button = self.page.locator("label.menu-button")
        if button.is_visible():
            button.click()
            assert self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "open menu"
        self.page.locator("header.top .menu").get_by_role("link", name=name, exact=True).click()
        self.page.wait_for_load_state()

    def audit(self, step: str) -> None:
        """The checks every page gets, a screenshot, and its weight; its links are checked in `check_links`."""
        page = self.page
        page.wait_for_load_state()
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, (self.role, step, self.width, self.js, page.evaluate("document.documentElement.scrollWidth"))
        page.screenshot(path=str(self.artifacts / f"{self.role}-{self.width}-{self.js}-{step}.png"), full_page=True)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            own = self._own_path(href)
            if own:
                self.links.setdefault(own, step)
        WEIGHTS.append(self._weight(step))

    def _own_path(self, href: str) -> str:
        """The path of a link to this site (as written on the page, or built on SITE_URL for e-mail), else ""."""
        parts = urlsplit(href)
        ours = {"", urlsplit(self.server.url).netloc, urlsplit(settings.SITE_URL).netloc}
        if parts.scheme not in ("", "http", "https") or parts.netloc not in ours or not parts.path:
            return ""
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _weight(self, step: str) -> PageWeight:
        document = self._document
        assert document is not None and document.status < 500, (self.role, step)
        html = len(document.body())
        wire = document.request.sizes()["responseBodySize"]
        assets = 0
        for url in self.page.eval_on_selector_all(
            "link[rel=stylesheet][href], script[src]", "els => els.map(e => e.href || e.src)"
        ):
            if url not in ASSET_BYTES:
                asset = self.page.request.get(url)
                assert asset.ok, (url, asset.status)
                ASSET_BYTES[url] = len(asset.body())
            assets += ASSET_BYTES[url]
        return PageWeight(role=self.role, width=self.width, js=self.js, step=step, path=self.path(), html=html,
                          html_gzip=wire, assets=assets)

    def check_links(self) -> None:
        """Every link this person was shown answers them, redirects followed: no 403 (nor any other error), and
        never the sign-in form, the same session asking."""
        refused = []
        for href, step in sorted(self.links.items()):
            response = self.page.request.get(href)
            if response.status >= 400 or urlsplit(response.url).path == "/masuk/":
                refused.append((step, href, response.status, response.url))
        assert not refused, (self.role, self.width, self.js, refused)

    def close(self) -> None:
        self.check_links()
        self.page.context.close()


@dataclass
class Day:
    who: People
    server: AsgiServer
    browser: Any
    artifacts: Path
    files: Path  # where the files the people send are made

    def walk(self, role: str, width: int, javascript: bool, **options: Any) -> Walk:
        return Walk(self.server, self.browser, self.artifacts, role, width, javascript, **options)


@pytest.fixture
def day(transactional_db: Any, walk_server: AsgiServer, walk_browser: Any, walk_artifacts: Path,
        tmp_path: Path) -> Iterator[Day]:
    cache.clear()  # the database cache (held uploads, rate limits) outlives a transactional test's flush
    yield Day(people(), walk_server, walk_browser, walk_artifacts, tmp_path)
    cache.clear()


def attachments_of(ticket: Ticket) -> list[str]:
    return sorted(Attachment.objects.filter(ticket=ticket).values_list("name", flat=True))


def operator_files_a_ticket(walk: Walk, who: People, screenshot: Path, *, live: bool = True) -> Ticket:
    """With JavaScript the suggestions show under the form while typing, and the form then files directly; without
    it (or when they never arrive: `live=False`) the server shows them when the form is sent, holding the
    screenshot so that it need not be picked again."""
    walk.sign_in(who.operator)  # lands on the desa's tickets
    walk.audit("landing")
    walk.menu("Lapor masalah")
    assert walk.path() == "/tiket/baru/"
    walk.audit("new-ticket")
    page = walk.page
    page.fill("#id_title", TITLE)
    page.fill("#id_description", "Saat impor file Excel muncul galat `Data too long for column 'nama'`.")
    page.select_option("#id_category", "kependudukan")
    page.set_input_files("#id_file", str(screenshot))
    if walk.javascript and live:
        page.locator("#saran li a").first.wait_for(state="visible", timeout=10_000)
        walk.audit("suggestions")
        page.click("form.ticket-form > button[type=submit]")
    else:
        page.click("form.ticket-form > button[type=submit]")
        page.get_by_role("heading", name="Sebelum mengirim, apakah ini jawabannya?").wait_for()
        assert page.locator("#sebelum-kirim li a").count() >= 1
        assert screenshot.name in page.locator(".held").inner_text()
        assert Ticket.objects.count() == 0
        walk.audit("suggestions" if live else "form-step")
        page.click("button[name=tetap]")
    page.wait_for_url("**/tiket/*-*/")
    ticket = Ticket.objects.get(reporter=who.operator)
    assert walk.path() == ticket.get_absolute_url()
    assert attachments_of(ticket) == [screenshot.name]  # the file arrived, with or without JavaScript
    assert page.locator(".files img").count() == 1
    stored = page.request.get(page.locator(".files a", has_text=screenshot.name).get_attribute("href"))
    assert stored.ok and Image.open(io.BytesIO(stored.body())).size == Image.open(screenshot).size
    walk.audit("ticket")
    walk.close()
    return ticket


def volunteer_answers_with_a_canned_reply(walk: Walk, who: People, ticket: Ticket, log: Path,
                                          refused: Path) -> None:
    walk.sign_in(who.volunteer)  # lands on the queue
    walk.audit("queue")
    walk.page.locator("#antrian").get_by_role("link", name=ticket.number).click()
    walk.page.wait_for_url(f"**{ticket.get_absolute_url()}")
    assert walk.page.locator(".files img").count() == 1  # the operator's screenshot
    walk.audit("ticket")
    walk.page.click("text=Saya tangani")
    walk.page.wait_for_selector("text=Tiket ini sekarang Anda tangani.")
    walk.page.select_option("#id_canned", label="Kolom nama terlalu panjang")
    if walk.javascript:  # the script puts the text in the box to edit; the placeholders are filled when sent
        assert "{nama_operator}" in walk.page.input_value("#id_body")
    refused_file_is_refused_whole(walk, ticket, refused)
    walk.page.set_input_files("#id_file", str(log))
    walk.audit("reply-form")
    walk.page.click("text=Kirim balasan")
    filled = (f"Halo Baiq Operator, untuk tiket {ticket.number}: potong isian kolom nama di file Excel Desa "
              "Tanjung Luar")
    walk.page.get_by_text(filled).wait_for()
    assert "{" not in walk.page.locator(".thread").inner_text()
    assert attachments_of(ticket) == sorted([log.name, "layar-galat.png"])  # the reply's file arrived too
    walk.audit("replied")
    walk.close()


def refused_file_is_refused_whole(walk: Walk, ticket: Ticket, refused: Path) -> None:
    """A file of a kind not accepted: with JavaScript refused before it uploads; without, the reply is refused
    whole (400), with the error next to the field and the text kept. Either way nothing is posted without it."""
    page = walk.page
    page.set_input_files("#id_file", str(refused))
    if not walk.javascript:
        page.click("text=Kirim balasan")
        page.wait_for_load_state()
    error = page.locator("#id_file_error")
    assert "Jenis berkas tidak diizinkan" in error.inner_text()
    error_box, field_box = error.bounding_box(), page.locator("#id_file").bounding_box()
    assert error_box is not None and field_box is not None and abs(field_box["y"] - error_box["y"]) < 120
    assert page.eval_on_selector("#id_file", "input => input.files.length") == 0
    in_view = "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }"
    assert error.evaluate(in_view), "the error is out of view"
    assert not Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY).exists()
    if not walk.javascript:
        assert "Halo Baiq Operator" in page.input_value("#id_body")  # the canned reply's text, filled and kept
        walk.audit("refused-file")


def operator_follows_the_notification_and_rates(walk: Walk, who: People, ticket: Ticket) -> None:
    walk.sign_in(who.operator)
    badge = walk.page.locator("#notif-badge .count")
    assert badge.inner_text() == "1"
    walk.audit("notified")
    walk.page.click("#notif-badge")
    walk.page.wait_for_url("**/notifikasi/")
    walk.audit("notifications")
    walk.page.locator("ul.notifications").get_by_role("link", name=ticket.number).first.click()
    walk.page.wait_for_url(f"**{ticket.get_absolute_url()}")
    assert badge.count() == 0  # opening the ticket cleared it
    assert not Notification.objects.filter(user=who.operator, read_at__isnull=True).exists()
    assert walk.page.locator(".files li").count() == 2  # the screenshot and the volunteer's file
    walk.audit("answered")
    walk.page.locator(".card input[name=message]").first.check()  # the volunteer's answer helped
    walk.page.click("form[action$='/aksi/selesai/'] button[type=submit]")
    walk.page.wait_for_selector("text=Tiket ditandai selesai")
    walk.page.fill("#id_comment", "Terima kasih, langsung berhasil.")
    walk.page.click(".stars button[value='5']")
    walk.page.wait_for_selector("text=Terima kasih atas penilaian Anda.")
    assert walk.page.locator(".stars button[aria-pressed=true]").inner_text() == "5"
    walk.audit("rated")
    walk.close()
    ticket.refresh_from_db()
    assert ticket.status == Status.SELESAI and ticket.accepted_message is not None
    assert Rating.objects.get(ticket=ticket).score == 5


def waiting_operator_prepares_a_draft(walk: Walk, who: People, screenshot: Path) -> None:
    """A new operator before verification: their desa's tickets, and no link that refuses them. They prepare
    their first ticket with its screenshot (through the suggestion step without JavaScript); it is kept as a draft
    that nobody else sees, and nothing is filed yet (issue 15, item 9)."""
    walk.sign_in(who.waiting)
    walk.audit("waiting")
    walk.menu("Lapor masalah")
    assert walk.path() == "/tiket/baru/"
    page = walk.page
    assert "menunggu verifikasi" in page.locator("#draf").inner_text()
    walk.audit("draft-form")
    page.fill("#id_title", "Impor data penduduk Excel gagal: Data too long for column")
    page.fill("#id_description", "Desa Pijot juga mendapat galat ini saat impor file Excel penduduk.")
    page.select_option("#id_category", "kependudukan")
    page.set_input_files("#id_file", str(screenshot))
    if walk.javascript:  # the suggestions show while typing; the form then keeps the draft directly
        page.locator("#saran li a").first.wait_for(state="visible", timeout=10_000)
    page.click("form.ticket-form > button[type=submit]")
    if not walk.javascript:  # the suggestion step shows first; the screenshot is held across it
        page.get_by_role("heading", name="Sebelum mengirim, apakah ini jawabannya?").wait_for()
        assert screenshot.name in page.locator(".held").inner_text()
        page.click("button[name=tetap]")
    page.wait_for_selector("text=tersimpan sebagai draf")
    assert screenshot.name in page.locator("#draf").inner_text()  # the page says what is kept
    assert not Ticket.objects.filter(reporter=who.waiting).exists()  # a draft: no number, no queue, nobody sees it
    walk.audit("draft-saved")
    walk.close()


def coordinator_verifies_the_waiting_operator(walk: Walk, who: People) -> None:
    walk.sign_in(who.coordinator)  # lands on their forum
    walk.audit("forum")
    walk.menu("Verifikasi")
    assert walk.path() == "/verifikasi-operator/"
    card = walk.page.locator(f"#operator-{who.waiting.pk}")
    assert "Pijot" in card.inner_text() and "menunggu" in card.locator(".waiting").inner_text()
    walk.audit("verification")
    card.locator("input[name=note]").fill("Sudah dikonfirmasi lewat grup ForSID")
    card.locator("button[value=verified]").click()
    walk.page.wait_for_selector("text=sudah diverifikasi")
    walk.audit("verified")
    walk.close()
    who.waiting.refresh_from_db()
    assert who.waiting.operator_status == User.OperatorStatus.VERIFIED


def waiting_operator_after_verification(walk: Walk, who: People, screenshot: Path) -> None:
    """The operator who waited, signing in after the coordinator verified them: the draft they prepared was filed
    the moment they were verified, with its screenshot, and a notification tells them so."""
    ticket = Ticket.objects.get(reporter=who.waiting)
    assert attachments_of(ticket) == [screenshot.name]  # the draft's screenshot arrived with the ticket
    walk.sign_in(who.waiting)
    assert walk.page.locator("header.top a[href='/tiket/baru/']").count() == 1  # folded in the menu on a phone
    assert walk.page.locator("#notif-badge .count").inner_text() == "1"
    assert ticket.number in walk.page.locator("main").inner_text()  # on their desa's tickets
    walk.audit("after-verified")
    walk.page.click("#notif-badge")
    walk.page.wait_for_url("**/notifikasi/")
    walk.page.locator("ul.notifications").get_by_role("link", name=ticket.number).first.click()
    walk.page.wait_for_url(f"**{ticket.get_absolute_url()}")
    assert walk.page.locator(".files img").count() == 1
    walk.audit("draft-filed")
    walk.close()


def planner_lands_on_the_dashboard(walk: Walk, who: People) -> None:
    walk.sign_in(who.planner)  # the dashboard, which opens on the only province
    assert walk.path() == "/dasbor/52/"
    walk.audit("landing")
    walk.close()


@pytest.mark.parametrize("width", [360, 1366])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_each_role_walks_their_day(day: Day, width: int, javascript: bool) -> None:
    who = day.who
    screenshot = png_file(day.files, "layar-galat.png")
    log = day.files / "langkah-perbaikan.txt"
    log.write_text("1. Buka file Excel\n2. Potong kolom nama\n3. Impor ulang\n", encoding="utf-8")

    ticket = operator_files_a_ticket(day.walk("operator", width, javascript), who, screenshot)
    refused = day.files / "perbaiki.exe"
    refused.write_bytes(b"MZ\x90\x00\x03" + bytes(512))  # a Windows program
    volunteer_answers_with_a_canned_reply(day.walk("volunteer", width, javascript), who, ticket, log, refused)
    operator_follows_the_notification_and_rates(day.walk("operator", width, javascript), who, ticket)
    waiting_operator_prepares_a_draft(day.walk("waiting", width, javascript), who, screenshot)
    coordinator_verifies_the_waiting_operator(day.walk("coordinator", width, javascript), who)
    waiting_operator_after_verification(day.walk("waiting", width, javascript), who, screenshot)
    planner_lands_on_the_dashboard(day.walk("planner", width, javascript), who)
    assert attachments_of(ticket) == sorted([screenshot.name, log.name])  # no file dropped along the day


def test_with_javascript_but_no_live_suggestions_the_form_step_keeps_the_screenshot(day: Day) -> None:
    """A slow or broken connection: the suggestions never arrive while typing, so the server shows them when the
    form is sent, and the screenshot picked before it is filed with the ticket all the same."""
    walk = day.walk("op-offline", 360, True, unreachable=("**/api/v1/kb/suggest/**",))
    screenshot = png_file(day.files, "layar-galat.png")
    ticket = operator_files_a_ticket(walk, day.who, screenshot, live=False)
    assert attachments_of(ticket) == [screenshot.name]
