"""The fake Bot API, driven by the real python-telegram-bot client through `base_url`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx
import pytest
import telegram
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)

from tests.fake_telegram import FakeTelegram, RemoteFake, image_bytes
from tests.services import ROOT, free_port, wait_for

T = TypeVar("T")


def call(fake: FakeTelegram, fn: Callable[[telegram.Bot], Awaitable[T]], token: str | None = None) -> T:
    async def go() -> T:
        bot = telegram.Bot(token or fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
        async with bot:
            return await fn(bot)

    return asyncio.run(go())


@pytest.fixture
def people(fake: FakeTelegram) -> dict[str, Any]:
    sari = fake.create_user("Sari", "sari_relawan")
    budi = fake.create_user("Budi", "budi_op")
    group = fake.create_group("ForSID Lotim", members=[sari["id"], budi["id"]])
    forum = fake.create_supergroup("ForSID Bima", forum=True, members=[sari["id"]], bot_admin=True,
                                   can_manage_topics=True)
    fake.set_privacy(False)  # the protocol tests read all chatter; privacy mode has its own test below
    return {"sari": sari, "budi": budi, "group": group, "forum": forum}


def test_get_me_and_a_bad_token(fake: FakeTelegram) -> None:
    me = call(fake, lambda bot: bot.get_me())
    assert me.username == "sid_helpdesk_bot" and me.is_bot
    with pytest.raises(InvalidToken):
        call(fake, lambda bot: bot.get_me(), token="999:wrong")
    raw = httpx.get(f"{fake.base_url}999:wrong/getMe")
    assert raw.status_code == 401 and raw.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


def test_send_message_formats_replies_and_buttons(fake: FakeTelegram, people: dict[str, Any]) -> None:
    group = people["group"]
    first = fake.user_sends(group, people["sari"]["id"], "halo bot")
    markup = telegram.InlineKeyboardMarkup([[telegram.InlineKeyboardButton("Saya tangani", callback_data="claim:1")]])
    sent = call(fake, lambda bot: bot.send_message(
        group, "<b>Tiket</b> &amp; <a href=\"https://x.id/t/1\">tautan</a>", parse_mode="HTML",
        reply_parameters=telegram.ReplyParameters(first["message_id"]), reply_markup=markup))
    assert sent.text == "Tiket & tautan"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 5), ("text_link", 8, 6)]
    assert sent.reply_to_message.message_id == first["message_id"]
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "claim:1"
    md = call(fake, lambda bot: bot.send_message(group, "*tebal* dan \\.titik", parse_mode="MarkdownV2"))
    assert md.text == "tebal dan .titik"
    assert fake.bot_texts(group) == ["Tiket & tautan", "tebal dan .titik"]


@pytest.mark.parametrize(("text", "mode", "error"), [
    ("<b>tidak ditutup", "HTML", "can't parse entities"),
    ("a <br> b", "HTML", "Unsupported start tag \"br\""),
    ("titik. tanpa escape", "MarkdownV2", "Character '.' is reserved"),
    ("x" * 4097, None, "Message is too long"),
    ("   ", None, "Message text is empty"),
])
def test_bad_messages_are_refused_with_telegrams_words(fake: FakeTelegram, people: dict[str, Any], text: str,
                                                        mode: str | None, error: str) -> None:
    with pytest.raises(BadRequest, match=rf"(?i){error}"):
        call(fake, lambda bot: bot.send_message(people["group"], text, parse_mode=mode))
    assert fake.bot_texts(people["group"]) == []


def test_length_is_counted_in_utf16_after_parsing(fake: FakeTelegram, people: dict[str, Any]) -> None:
    call(fake, lambda bot: bot.send_message(people["group"], "<b>" + "a" * 4096 + "</b>", parse_mode="HTML"))
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        call(fake, lambda bot: bot.send_message(people["group"], "\U0001f600" * 2049))


def test_unknown_chat_kicked_blocked_and_migrated(fake: FakeTelegram, people: dict[str, Any]) -> None:
    with pytest.raises(BadRequest, match=r"(?i)Chat not found"):
        call(fake, lambda bot: bot.send_message(-42, "x"))
    fake.kick_bot(people["group"])
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the group chat"):
        call(fake, lambda bot: bot.send_message(people["group"], "x"))
    private = fake.create_private_chat(people["budi"]["id"], started=False)
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        call(fake, lambda bot: bot.send_message(private, "x"))
    fake.user_starts_bot(people["budi"]["id"])
    call(fake, lambda bot: bot.send_message(private, "halo"))
    fake.block_bot(people["budi"]["id"])
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        call(fake, lambda bot: bot.send_message(private, "x"))
    old = fake.create_group("Lama", members=[people["sari"]["id"]])
    new = fake.migrate_group(old)
    with pytest.raises(ChatMigrated) as migrated:
        call(fake, lambda bot: bot.send_message(old, "x"))
    assert migrated.value.new_chat_id == new
    call(fake, lambda bot: bot.send_message(new, "di supergrup"))
    assert fake.bot_texts(new) == ["di supergrup"]


def test_forum_topics_need_a_forum_and_rights(fake: FakeTelegram, people: dict[str, Any]) -> None:
    forum = people["forum"]
    topic = call(fake, lambda bot: bot.create_forum_topic(forum, "#NTB-000123 Gagal impor penduduk"))
    assert topic.name.startswith("#NTB-000123")
    posted = call(fake, lambda bot: bot.send_message(forum, "isi", message_thread_id=topic.message_thread_id))
    assert posted.message_thread_id == topic.message_thread_id and posted.is_topic_message
    assert call(fake, lambda bot: bot.edit_forum_topic(forum, topic.message_thread_id, name="[selesai] x"))
    assert call(fake, lambda bot: bot.close_forum_topic(forum, topic.message_thread_id))
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_CLOSED"):
        call(fake, lambda bot: bot.send_message(forum, "lagi", message_thread_id=topic.message_thread_id))
    assert fake.topics(forum) == [{"message_thread_id": topic.message_thread_id, "name": "[selesai] x",
                                   "closed": True}]
    with pytest.raises(BadRequest, match=r"(?i)not a forum"):
        call(fake, lambda bot: bot.create_forum_topic(people["group"], "x"))
    plain = fake.create_supergroup("Tanpa hak", forum=True, bot_admin=True, can_manage_topics=False)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        call(fake, lambda bot: bot.create_forum_topic(plain, "x"))
    member = call(fake, lambda bot: bot.get_chat_member(plain, fake.bot.id))
    assert member.status == "administrator" and member.can_manage_topics is False


def test_a_user_message_in_a_topic_replies_to_the_topic_start(fake: FakeTelegram, people: dict[str, Any]) -> None:
    forum = people["forum"]
    topic = call(fake, lambda bot: bot.create_forum_topic(forum, "#NTB-000124 x"))
    message = fake.user_sends(forum, people["sari"]["id"], "sudah dicoba?", thread_id=topic.message_thread_id)
    assert message["is_topic_message"] and message["message_thread_id"] == topic.message_thread_id
    assert message["reply_to_message"]["message_id"] == topic.message_thread_id
    assert message["reply_to_message"]["forum_topic_created"]["name"] == "#NTB-000124 x"


def test_uploads_get_file_and_download(fake: FakeTelegram, people: dict[str, Any]) -> None:
    group = people["group"]
    photo = call(fake, lambda bot: bot.send_photo(group, image_bytes(size=(40, 30)), caption="<i>layar</i>",
                                                  parse_mode="HTML"))
    assert (photo.photo[-1].width, photo.photo[-1].height) == (40, 30) and photo.caption == "layar"
    doc = call(fake, lambda bot: bot.send_document(group, b"log isi", filename="error.log"))
    assert doc.document.file_name == "error.log"

    async def fetch(bot: telegram.Bot) -> bytes:
        f = await bot.get_file(doc.document.file_id)
        return bytes(await f.download_as_bytearray())

    assert call(fake, fetch) == b"log isi"
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        call(fake, lambda bot: bot.send_photo(group, b"bukan gambar"))
    big = fake.user_sends(group, people["sari"]["id"], document=("besar.zip", b"", "application/zip"),
                          document_size=25 * 1024 * 1024)
    with pytest.raises(BadRequest, match=r"(?i)too big"):
        call(fake, lambda bot: bot.get_file(big["document"]["file_id"]))
    user_photo = fake.user_sends(group, people["sari"]["id"], photo=image_bytes(), caption="ini errornya")
    assert call(fake, lambda bot: bot.get_file(user_photo["photo"][-1]["file_id"])).file_size > 0


def test_long_polling_offsets_and_allowed_updates(fake: FakeTelegram, people: dict[str, Any]) -> None:
    group = people["group"]
    started = time.monotonic()
    assert call(fake, lambda bot: bot.get_updates(timeout=1)) == ()
    assert time.monotonic() - started >= 0.9  # it held the request open

    threading.Timer(0.3, lambda: fake.user_sends(group, people["sari"]["id"], "datang saat menunggu")).start()
    started = time.monotonic()
    updates = call(fake, lambda bot: bot.get_updates(timeout=10))
    assert time.monotonic() - started < 5 and updates[0].message.text == "datang saat menunggu"
    # Without a higher offset, the update stays; with it, it is confirmed and gone.
    assert len(call(fake, lambda bot: bot.get_updates())) == 1
    assert call(fake, lambda bot: bot.get_updates(offset=updates[-1].update_id + 1)) == ()
    call(fake, lambda bot: bot.get_updates(allowed_updates=["callback_query"]))
    fake.user_sends(group, people["sari"]["id"], "tidak diminta")
    assert fake.pending_updates() == 0


def test_a_second_long_poll_ends_the_first_with_a_conflict(fake: FakeTelegram) -> None:
    errors: list[Exception] = []

    def first() -> None:
        try:
            call(fake, lambda bot: bot.get_updates(timeout=10))
        except Exception as exc:
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    wait_for(lambda: fake.world.polling == 1, what="the first long poll")
    call(fake, lambda bot: bot.get_updates(timeout=0))
    thread.join(timeout=10)
    assert len(errors) == 1 and isinstance(errors[0], Conflict) and "terminated by other" in str(errors[0])


def test_flood_limits_answer_429_with_retry_after(fake: FakeTelegram, people: dict[str, Any]) -> None:
    fake.set_limits(per_chat=(1, 2.0), per_group=None, overall=None)
    call(fake, lambda bot: bot.send_message(people["group"], "satu"))
    with pytest.raises(RetryAfter) as limited:
        call(fake, lambda bot: bot.send_message(people["group"], "dua"))
    assert limited.value.retry_after in (1, 2) or limited.value.retry_after.total_seconds() in (1.0, 2.0)
    call(fake, lambda bot: bot.send_message(people["forum"], "chat lain tidak terpengaruh"))
    assert fake.count("sendMessage", 429) == 1


def test_injected_failures_and_callback_answers(fake: FakeTelegram, people: dict[str, Any]) -> None:
    group = people["group"]
    markup = telegram.InlineKeyboardMarkup([[telegram.InlineKeyboardButton("Saya tangani", callback_data="claim:9")]])
    message = call(fake, lambda bot: bot.send_message(group, "tiket", reply_markup=markup))
    query_id = fake.press_button(group, message.message_id, people["sari"]["id"], "claim:9")
    with pytest.raises(ValueError, match=r"(?i)no button"):
        fake.press_button(group, message.message_id, people["sari"]["id"], "claim:10")
    assert call(fake, lambda bot: bot.answer_callback_query(query_id, "Diambil"))
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        call(fake, lambda bot: bot.answer_callback_query(query_id))
    assert fake.callback_answers == [{"callback_query_id": query_id, "text": "Diambil", "show_alert": False,
                                      "user_id": people["sari"]["id"]}]
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        call(fake, lambda bot: bot.edit_message_text("tiket", group, message.message_id, reply_markup=markup))
    fake.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError, match=r"(?i)Internal Server Error"):
        call(fake, lambda bot: bot.send_message(group, "x"))
    fake.fail_next("sendMessage", status=502, raw_body="<html>Bad Gateway</html>")
    with pytest.raises(NetworkError):
        call(fake, lambda bot: bot.send_message(group, "x"))
    call(fake, lambda bot: bot.send_message(group, "pulih"))
    assert fake.bot_texts(group)[-1] == "pulih"


def test_parameters_as_json_form_or_query_string(fake: FakeTelegram, people: dict[str, Any]) -> None:
    url = f"{fake.base_url}{fake.token}/sendMessage"
    keyboard = {"inline_keyboard": [[{"text": "Buka", "url": "https://contoh.id"}]]}
    as_json = httpx.post(url, json={"chat_id": people["group"], "text": "json", "reply_markup": keyboard}).json()
    as_form = httpx.post(url, data={"chat_id": str(people["group"]), "text": "form",
                                    "reply_markup": json.dumps(keyboard)}).json()
    as_query = httpx.get(url, params={"chat_id": people["group"], "text": "query"}).json()
    assert [as_json["ok"], as_form["ok"], as_query["ok"]] == [True, True, True]
    assert as_form["result"]["reply_markup"] == keyboard
    assert httpx.post(f"{fake.base_url}{fake.token}/noSuchMethod").json()["error_code"] == 404
    broken = httpx.post(url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, Any], str]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if _Receiver.fail_first:
            _Receiver.fail_first -= 1
            self.send_response(500)
        else:
            _Receiver.received.append((body, self.headers.get("X-Telegram-Bot-Api-Secret-Token", "")))
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    _Receiver.fail_first = 1
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/telegram/webhook/"
    server.shutdown()


def test_webhook_delivery_with_secret_and_retries(fake: FakeTelegram, people: dict[str, Any], receiver: str) -> None:
    assert call(fake, lambda bot: bot.set_webhook(receiver, secret_token="rahasia-123"))
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        call(fake, lambda bot: bot.get_updates())
    fake.user_sends(people["group"], people["sari"]["id"], "lewat webhook")
    wait_for(lambda: _Receiver.received, what="the webhook delivery")
    body, secret = _Receiver.received[0]
    assert body["message"]["text"] == "lewat webhook" and secret == "rahasia-123"
    info = call(fake, lambda bot: bot.get_webhook_info())
    assert info.url == receiver and info.last_error_message.startswith("Wrong response from the webhook: 500")
    assert call(fake, lambda bot: bot.delete_webhook())
    assert call(fake, lambda bot: bot.get_updates()) == ()


def test_the_standalone_server_and_its_http_control_api() -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.fake_telegram", "--port", str(port)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        remote = RemoteFake(f"http://127.0.0.1:{port}")

        def up() -> bool:
            try:
                return httpx.get(f"{remote.base_url}{remote.token}/getMe", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=20, what="the fake to listen")
        user = remote.create_user(first_name="Dewi")
        group = remote.create_group(title="Grup", members=[user["id"]])
        remote.set_privacy(enabled=False)
        remote.user_sends(chat_id=group, user_id=user["id"], photo=image_bytes(), caption="foto")
        fake_like = type("F", (), {"token": remote.token, "base_url": remote.base_url,
                                   "base_file_url": remote.base_file_url})()
        updates = call(fake_like, lambda bot: bot.get_updates())  # type: ignore[arg-type]
        assert updates[0].message.caption == "foto" and updates[0].message.photo
        call(fake_like, lambda bot: bot.send_message(group, "balasan"))  # type: ignore[arg-type]
        assert remote.bot_texts(chat_id=group) == ["balasan"]
        assert remote.count(method="sendMessage", status=200) == 1
    finally:
        process.terminate()
        process.wait(timeout=10)


# ----- issue 20: the fake as Telegram really behaves -------------------------------------------------------------
def test_privacy_mode_hides_group_chatter_from_a_bot_that_is_not_admin(fake: FakeTelegram,
                                                                     people: dict[str, Any]) -> None:
    group, sari = people["group"], people["sari"]["id"]
    fake.set_privacy(True)  # as BotFather leaves a new bot
    assert not call(fake, lambda bot: bot.get_me()).can_read_all_group_messages
    mine = call(fake, lambda bot: bot.send_message(group, "dari bot"))
    fake.user_sends(group, sari, "wkwk siapa yang pernah ketemu ini?")
    fake.user_sends(group, sari, "/cari impor")
    fake.user_sends(group, sari, "/warn@other_bot spam")
    fake.user_sends(group, sari, "balas bot", reply_to=mine.message_id)
    fake.user_sends(group, sari, photo=image_bytes(), caption="/catatan layar")
    fake.add_member(group, people["budi"]["id"])
    updates = call(fake, lambda bot: bot.get_updates())
    seen = [u.message.text or u.message.caption or "service" for u in updates]
    assert seen == ["/cari impor", "balas bot", "/catatan layar", "service"]
    caption = updates[2].message
    assert caption.caption_entities[0].type == "bot_command" and caption.caption_entities[0].length == 8
    # An admin bot (or privacy off) sees everything.
    fake.set_bot_rights(group, admin=True)
    fake.user_sends(group, sari, "obrolan biasa")
    fake.set_privacy(False)
    assert call(fake, lambda bot: bot.get_me()).can_read_all_group_messages
    updates = call(fake, lambda bot: bot.get_updates(offset=updates[-1].update_id + 1))
    assert [u.message.text for u in updates if u.message] == ["obrolan biasa"]


def test_albums_media_groups_and_closed_topics(fake: FakeTelegram, people: dict[str, Any]) -> None:
    group, forum, sari = people["group"], people["forum"], people["sari"]["id"]
    album = fake.user_sends_album(group, sari, [image_bytes("red"), image_bytes("blue")], caption="/catatan dua")
    assert album[0]["media_group_id"] == album[1]["media_group_id"] and "caption" not in album[1]

    media = [telegram.InputMediaPhoto(image_bytes("red"), caption="<b>dua</b> berkas", parse_mode="HTML"),
             telegram.InputMediaPhoto(image_bytes("green"))]
    sent = call(fake, lambda bot: bot.send_media_group(group, media, disable_notification=True))
    assert len(sent) == 2 and sent[0].media_group_id == sent[1].media_group_id and sent[0].caption == "dua berkas"
    [logged] = fake.requests("sendMediaGroup", 200)
    assert logged["disable_notification"] and len(logged["message_ids"]) == 2
    with pytest.raises(BadRequest, match=r"(?i)wrong number"):
        call(fake, lambda bot: bot.send_media_group(group, media[:1]))

    topic = call(fake, lambda bot: bot.create_forum_topic(forum, "Tiket"))
    call(fake, lambda bot: bot.close_forum_topic(forum, topic.message_thread_id))
    with pytest.raises(BadRequest, match=r"(?i)TOPIC_CLOSED"):
        call(fake, lambda bot: bot.send_message(forum, "telat", message_thread_id=topic.message_thread_id))


def test_commands_per_scope_and_language_and_the_403_for_people_who_never_started(
        fake: FakeTelegram, people: dict[str, Any]) -> None:
    private = [telegram.BotCommand("baru", "tiket baru")]
    english = [telegram.BotCommand("baru", "new ticket")]
    call(fake, lambda bot: bot.set_my_commands(private, scope=telegram.BotCommandScopeAllPrivateChats()))
    call(fake, lambda bot: bot.set_my_commands(english, scope=telegram.BotCommandScopeAllPrivateChats(),
                                               language_code="en"))
    got = call(fake, lambda bot: bot.get_my_commands(scope=telegram.BotCommandScopeAllPrivateChats()))
    assert [(c.command, c.description) for c in got] == [("baru", "tiket baru")]
    got = call(fake, lambda bot: bot.get_my_commands(scope=telegram.BotCommandScopeAllPrivateChats(),
                                                     language_code="en"))
    assert got[0].description == "new ticket"
    assert call(fake, lambda bot: bot.get_my_commands()) == ()
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        call(fake, lambda bot: bot.set_my_commands([telegram.BotCommand("Baru", "x")]))

    fake.create_private_chat(people["budi"]["id"], started=False)
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        call(fake, lambda bot: bot.send_message(people["budi"]["id"], "halo"))
    member = call(fake, lambda bot: bot.get_chat_member(people["group"], fake.bot.id))
    assert member.status == "member"
