"""``daphne bench.channels_chat.asgi:application``: HTTP through Django, WebSockets to the room."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.channels_chat.settings")

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.urls import path  # noqa: E402

django_application = get_asgi_application()

from bench.channels_chat.consumers import RoomConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": URLRouter([path("ws/rooms/<int:room_id>/", RoomConsumer.as_asgi())]),
    }
)
