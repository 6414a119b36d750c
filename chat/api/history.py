"""Routes: /history, the chat list (spec §5.9)."""

from ninja import Router

from accounts.auth import device_auth
from chat import selectors
from chat.api.params import page_or_400, path_id
from chat.schemas.history import HistoryOut, HistoryRoomOut
from chat.selectors_messages import membership_of
from spika.errors import ApiError

router = Router(tags=["history"], auth=device_auth)

PER_PAGE = 20
# Spika reports 10 although its pages hold 20; its web client hard-codes 20 (spec App. C #11).
REPORTED_LIMIT = 10


@router.get("", response=HistoryOut, by_alias=True)
def history(request, page: str | None = None, keyword: str = ""):
    number = page_or_400(page)
    rows, count = selectors.history_page(
        user_id=request.user.pk, page=number, per_page=PER_PAGE, keyword=keyword
    )
    items = selectors.history_items(user_id=request.user.pk, rows=rows)
    return {"list": items, "count": count, "limit": REPORTED_LIMIT, "page": number}


@router.get("/roomId/{room_id}", response=HistoryRoomOut, by_alias=True)
def history_room(request, room_id: str):
    number = path_id(room_id)
    if number is None:
        raise ApiError(400, "Room id is required")
    membership = membership_of(user_id=request.user.pk, room_id=number)
    if membership is None:
        raise ApiError(404, "Chat not found")
    last_id = selectors.last_visible_message_id(membership=membership)
    return selectors.history_items(user_id=request.user.pk, rows=[(number, last_id)])[0]
