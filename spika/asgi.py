"""ASGI entry point: ``daphne spika.asgi:application`` (``manage.py runserver`` uses it too).

The event stream paths go to ``eventstream.views.sse_app`` (an ASGI app that holds no thread
per open stream; its docstring says why it is not a Django view); everything else to Django.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spika.settings")

django_application = get_asgi_application()

from eventstream.grip import grip_enabled, grip_sse_app  # noqa: E402
from eventstream.views import STREAM_PATHS, sse_app  # noqa: E402  (needs django.setup())

# Behind Pushpin (SPIKA_GRIP_KEY set), requests that Pushpin signed get GRIP answers.
stream_app = grip_sse_app if grip_enabled() else sse_app


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] in STREAM_PATHS:
        return await stream_app(scope, receive, send)
    return await django_application(scope, receive, send)
