"""The fake's HTTP side: Telegram's URL scheme, request encodings and envelopes, webhook delivery, control API.

    POST/GET /bot<token>/<method>      JSON, form-urlencoded, multipart/form-data or query-string parameters
    GET      /file/bot<token>/<path>   file download
    POST     /_fake/<control method>   the control API for tests in another process (JSON kwargs)
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

from . import commands as _commands  # noqa: F401  (registers the menu methods)
from . import topics as _topics  # noqa: F401  (registers the forum-topic methods)
from .methods import METHODS, Params, Upload
from .world import ApiError, World

log = logging.getLogger("fake_telegram")

CONTROL = {
    "create_user", "create_private_chat", "create_group", "create_supergroup", "add_bot", "set_bot_rights",
    "kick_bot", "block_bot", "add_member", "migrate_group", "make_forum", "user_sends", "user_edits",
    "user_starts_bot", "user_sends_album", "set_privacy", "press_button", "inject_update", "bot_messages", "bot_texts", "topics", "requests",
    "count", "pending_updates", "webhook_info", "set_limits", "fail_next", "slow_down", "reset_log",
}


def decode_control(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__bytes__"}:
            return base64.b64decode(value["__bytes__"])
        return {k: decode_control(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_control(v) for v in value]
    return value


def encode_control(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: encode_control(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode_control(v) for v in value]
    return value


def parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, Upload]]:
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}, {}
    if kind == "application/json":
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        return data, {}
    if kind == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode(), keep_blank_values=True)), {}
    if kind == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        fields: dict[str, Any] = {}
        files: dict[str, Upload] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            data = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                files[str(name)] = (filename, part.get_content_type(), data)
            else:
                fields[str(name)] = data.decode()
        return fields, files
    return {}, {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the client's delayed ACK adds 40 ms to each
    # answer, a delay real Telegram does not have.
    disable_nagle_algorithm = True
    server: FakeServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self.handle_any()

    def do_POST(self) -> None:
        self.handle_any()

    def reply(self, status: int, payload: Any = None, *, raw: bytes | None = None,
              content_type: str = "application/json") -> None:
        body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self) -> None:
        world = self.server.world
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = unquote(parts.path)
        if path.startswith("/_fake/"):
            self.control(path.removeprefix("/_fake/"), body)
            return
        if path.startswith("/file/bot"):
            token, _, file_path = path.removeprefix("/file/bot").partition("/")
            data = world.download(file_path) if token == world.token else None
            if data is None:
                self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            else:
                self.reply(200, raw=data, content_type="application/octet-stream")
            return
        if not path.startswith("/bot"):
            self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, _, name = path.removeprefix("/bot").partition("/")
        name = name.strip("/").lower()
        if token != world.token:
            self.reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        fn = METHODS.get(name)
        if fn is None:
            self.reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        try:
            raw = dict(parse_qsl(parts.query, keep_blank_values=True))
            fields, files = parse_body(self.headers.get("Content-Type", ""), body)
            raw.update(fields)
        except (ValueError, UnicodeDecodeError):
            self.finish_call(name, {}, 400, {"ok": False, "error_code": 400,
                                             "description": "Bad Request: can't parse request JSON object"})
            return
        failure = world.take_failure(name)
        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)
            if failure.status:
                if failure.raw_body is not None:
                    self.log_call(name, raw, failure.status)
                    self.reply(failure.status, raw=failure.raw_body, content_type="text/html")
                    return
                self.finish_call(name, raw, failure.status, {
                    "ok": False, "error_code": failure.status, "description": failure.description})
                return
        try:
            result = fn(world, Params(raw, files))
        except ApiError as exc:
            envelope: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                envelope["parameters"] = exc.parameters
            self.finish_call(name, raw, exc.code, envelope)
            return
        except Exception as exc:  # a bug in the fake must show up as loudly as Telegram's own 500s
            log.exception("fake method %s failed", name)
            self.finish_call(name, raw, 500, {"ok": False, "error_code": 500,
                                              "description": f"Internal Server Error: {exc}"})
            return
        self.finish_call(name, raw, 200, {"ok": True, "result": result}, result)

    def log_call(self, name: str, raw: dict[str, Any], status: int, result: Any = None) -> None:
        entry: dict[str, Any] = {"method": name, "status": status, "at": time.time(),
                                 "chat_id": raw.get("chat_id")}
        if isinstance(result, dict) and "message_id" in result:
            entry["message_id"] = result["message_id"]
        if isinstance(result, list):  # sendMediaGroup: one message per file
            entry["message_ids"] = [m.get("message_id") for m in result if isinstance(m, dict)]
        for flag in ("disable_notification", "disable_web_page_preview"):
            if flag in raw:
                entry[flag] = str(raw[flag]).lower() in {"true", "1"}
        if "link_preview_options" in raw:
            options = raw["link_preview_options"]
            if isinstance(options, str):
                try:
                    options = json.loads(options)
                except ValueError:
                    options = {}
            entry["link_preview_options"] = options
        with self.server.world.lock:
            self.server.world.request_log.append(entry)

    def finish_call(self, name: str, raw: dict[str, Any], status: int, envelope: dict[str, Any],
                    result: Any = None) -> None:
        self.log_call(name, raw, status, result)
        self.reply(status, envelope)

    def control(self, name: str, body: bytes) -> None:
        if name not in CONTROL:
            self.reply(404, {"ok": False, "description": f"no control method {name!r}"})
            return
        try:
            kwargs = decode_control(json.loads(body or b"{}"))
            for key in ("per_chat", "per_group", "overall", "document"):
                if isinstance(kwargs.get(key), list):
                    kwargs[key] = tuple(kwargs[key])
            result = getattr(self.server.world, name)(**kwargs)
        except Exception as exc:
            self.reply(400, {"ok": False, "description": f"{type(exc).__name__}: {exc}"})
            return
        self.reply(200, {"ok": True, "result": encode_control(result)})


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], world: World) -> None:
        super().__init__(address, Handler)
        self.world = world


class WebhookPusher(threading.Thread):
    """Delivers queued updates to the webhook one at a time, retrying until the endpoint answers 2xx."""

    def __init__(self, world: World) -> None:
        super().__init__(name="fake-telegram-webhook", daemon=True)
        self.world = world
        self.stopping = False
        self.client = httpx.Client(timeout=10.0)

    def run(self) -> None:
        world = self.world
        while not self.stopping:
            with world.changed:
                while not self.stopping and not (world.webhook["url"] and world.updates):
                    world.changed.wait(0.5)
                if self.stopping:
                    break
                update = world.updates[0]
                url = world.webhook["url"]
                secret = world.webhook.get("secret_token", "")
            headers = {"Content-Type": "application/json"}
            if secret:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret
            error = ""
            try:
                response = self.client.post(url, content=json.dumps(update).encode(), headers=headers)
                if not 200 <= response.status_code < 300:
                    error = f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"
            except httpx.HTTPError as exc:
                error = f"Connection error: {type(exc).__name__}"
            with world.changed:
                if not error:
                    if world.updates and world.updates[0]["update_id"] == update["update_id"]:
                        world.updates.popleft()
                    continue
                world.webhook_errors.append(error)
                if world.webhook["url"]:
                    world.webhook["last_error_date"] = world.now()
                    world.webhook["last_error_message"] = error
                world.changed.wait(world.webhook_retry_seconds)
        self.client.close()


class FakeTelegram:
    """A Telegram Bot API server on 127.0.0.1, in a background thread. Control methods are the world's."""

    def __init__(self, token: str = "123456:TEST-token", *, host: str = "127.0.0.1", port: int = 0,
                 bot_username: str = "sid_helpdesk_bot") -> None:
        self.world = World(token=token, bot_username=bot_username)
        self.server = FakeServer((host, port), self.world)
        self.host, self.port = self.server.server_address[:2]
        self.pusher = WebhookPusher(self.world)
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-telegram", daemon=True)

    @property
    def token(self) -> str:
        return self.world.token

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def start(self) -> FakeTelegram:
        self.thread.start()
        self.pusher.start()
        return self

    def stop(self) -> None:
        self.pusher.stopping = True
        with self.world.changed:
            self.world.poll_generation += 1
            self.world.changed.notify_all()
        self.server.shutdown()
        self.server.server_close()
        self.pusher.join(timeout=5)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __getattr__(self, name: str) -> Any:
        if name in CONTROL or name in {"callback_answers", "webhook_errors", "files", "chats", "bot"}:
            return getattr(self.world, name)
        raise AttributeError(name)


class RemoteFake:
    """The control API of a fake running in another process (`python -m tests.fake_telegram`)."""

    def __init__(self, url: str, token: str = "123456:TEST-token") -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.client = httpx.Client(timeout=30.0)

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def __getattr__(self, name: str) -> Any:
        if name not in CONTROL:
            raise AttributeError(name)

        def call(**kwargs: Any) -> Any:
            response = self.client.post(f"{self.url}/_fake/{name}", json=encode_control(kwargs))
            body = response.json()
            if not body.get("ok"):
                raise RuntimeError(body.get("description"))
            return decode_control(body["result"])

        return call

    def close(self) -> None:
        self.client.close()
