"""ASGI entry point: ``daphne spika.asgi:application`` (``manage.py runserver`` uses it too).

The event stream paths go to ``eventstream.views.sse_app`` (an ASGI app that holds no thread
per open stream; its docstring says why it is not a Django view); everything else to Django.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spika.settings")

django_application = get_asgi_application()

from eventstream.views import STREAM_PATHS, sse_app  # noqa: E402  (needs django.setup())


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] in STREAM_PATHS:
        return await sse_app(scope, receive, send)
    return await django_application(scope, receive, send)
