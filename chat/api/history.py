"""Routes: /history, the chat list (spec §5.9)."""

from ninja import Router

from accounts.auth import device_auth
from chat import selectors
from chat.api.params import page_or_400, path_id
from chat.models import Message, RoomUser
from chat.schemas.history import HistoryOut, HistoryRoomOut
from spika.errors import ApiError

router = Router(tags=["history"], auth=device_auth)

PER_PAGE = 20
# Spika reports 10 although its pages hold 20; its web client hard-codes 20 (spec App. C #11).
REPORTED_LIMIT = 10


def _items(*, user_id: int, rows: list[tuple[int, int | None]]) -> list[dict]:
    """Chat-list items for ``(room_id, last_message_id)`` rows, in four queries for any number."""
    room_ids = [room_id for room_id, _ in rows]
    message_ids = [message_id for _, message_id in rows if message_id]
    messages = Message.objects.in_bulk(message_ids)
    hidden = selectors.messages_hidden_for(user_id=user_id, message_ids=message_ids)
    for message_id, hidden_at in hidden.items():
        messages[message_id].hidden_at = hidden_at
    flags = selectors.room_flags(user_id=user_id, room_ids=room_ids)
    unread = selectors.room_unread_counts(user_id=user_id, room_ids=room_ids) if rows else {}
    return [
        {
            "room_id": room_id,
            "last_message": messages.get(message_id),
            "unread_count": unread.get(room_id, 0),
            **flags[room_id],
        }
        for room_id, message_id in rows
    ]


@router.get("", response=HistoryOut, by_alias=True)
def history(request, page: str | None = None, keyword: str = ""):
    number = page_or_400(page)
    rows, count = selectors.history_page(
        user_id=request.user.pk, page=number, per_page=PER_PAGE, keyword=keyword
    )
    items = _items(user_id=request.user.pk, rows=rows)
    return {"list": items, "count": count, "limit": REPORTED_LIMIT, "page": number}


@router.get("/roomId/{room_id}", response=HistoryRoomOut, by_alias=True)
def history_room(request, room_id: str):
    number = path_id(room_id)
    if number is None:
        raise ApiError(400, "Room id is required")
    membership = RoomUser.objects.filter(room_id=number, user=request.user).first()
    if membership is None:
        raise ApiError(404, "Chat not found")
    last_id = selectors.last_visible_message_id(membership=membership)
    return _items(user_id=request.user.pk, rows=[(number, last_id)])[0]
