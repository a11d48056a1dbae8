"""ASGI entry point: HTTP and websockets in one process (daphne helpdesk.asgi:application)."""

import os

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings.base")


def _leave_request_bodies_to_django() -> None:
    """Under daphne, Twisted parses every multipart body itself before the app runs (Django parses it again), and
    answers one it cannot parse (no boundary, say) with a bare 400 and no body. Turn that parsing off, so that such
    a request reaches Django and gets the API's JSON error body. Twisted's own switch: `parsePOSTFormSubmission`.
    """
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # served by another ASGI server
        return
    original = WebRequest.__init__
    if getattr(original, "leaves_bodies_to_django", False):
        return

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("parsePOSTFormSubmission", False)
        original(self, *args, **kwargs)

    __init__.leaves_bodies_to_django = True  # type: ignore[attr-defined]
    WebRequest.__init__ = __init__  # type: ignore[method-assign]


_leave_request_bodies_to_django()

# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from helpdesk.core.metrics import count_websockets  # noqa: E402
from helpdesk.realtime import auth  # noqa: E402
from helpdesk.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": count_websockets(auth.stack(URLRouter(websocket_urlpatterns))),
})
