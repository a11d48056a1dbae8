"""A fake Telegram Bot API server that speaks Telegram's HTTP protocol, for tests and `make run` demos.

    with FakeTelegram() as fake:              # a real HTTP server on 127.0.0.1, in a thread
        bot = telegram.Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
        user = fake.create_user("Sari")
        group = fake.create_group("ForSID Lotim", members=[user["id"]])
        fake.user_sends(group, user["id"], "/bantuan")   # an update the bot will receive
        fake.bot_texts(group)                            # what the bot sent there

Standalone: `python -m tests.fake_telegram --port 8081`, controlled over HTTP with `RemoteFake(url)`.
"""

from .methods import image_bytes
from .server import FakeTelegram, RemoteFake
from .world import ApiError, World

__all__ = ["ApiError", "FakeTelegram", "RemoteFake", "World", "image_bytes"]
