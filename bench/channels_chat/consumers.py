from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from bench.channels_chat.models import Member


def room_group(room_id: int) -> str:
    return f"room-{room_id}"


@database_sync_to_async
def _member(token: str) -> Member | None:
    return Member.objects.filter(token=token).first()


class RoomConsumer(AsyncJsonWebsocketConsumer):
    """``/ws/rooms/<id>/?token=...``: joins the room's group after checking the token."""

    async def connect(self):
        query = dict(
            part.split("=", 1) for part in self.scope["query_string"].decode().split("&") if part
        )
        member = await _member(query.get("token", ""))
        room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        if member is None or member.room_id != room_id:
            await self.close()
            return
        self.group = room_group(room_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def chat_message(self, event):
        await self.send_json(event["message"])
