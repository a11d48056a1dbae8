"""ASGI entry point: HTTP and websockets in one process (daphne helpdesk.asgi:application)."""

import os

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.base")

# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from helpdesk.core.metrics import count_websockets  # noqa: E402
from helpdesk.realtime import auth  # noqa: E402
from helpdesk.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": count_websockets(auth.stack(URLRouter(websocket_urlpatterns))),
})
