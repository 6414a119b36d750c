"""Routes: /rooms (spec §5.4). Each loads, calls one service or selector, and returns.

Specific paths come before ``/{id}``, which would otherwise match them.
"""

from ninja import Router

from accounts.auth import device_auth
from chat import selectors
from chat.api.params import page_or_400, path_id, since_or_400, sync_page
from chat.schemas.rooms import (
    RoomCreateIn,
    RoomEnvelope,
    RoomLeaveIn,
    RoomListOut,
    RoomSyncOut,
    RoomUpdateIn,
    UnreadCountsOut,
)
from chat.services import rooms as services
from spika.errors import ApiError

router = Router(tags=["rooms"], auth=device_auth)

ROOMS_PER_PAGE = 10
SYNC_PER_PAGE = 100


def _viewed(request, room_id: int) -> dict:
    """``{room}`` as the caller sees it (their flags and unread count)."""
    room = selectors.room_queryset().get(pk=room_id)
    return {"room": selectors.rooms_for_viewer(user_id=request.user.pk, rooms=[room])[0]}


@router.post("", response=RoomEnvelope, by_alias=True)
def room_create(request, payload: RoomCreateIn):
    room, _ = services.room_create(actor=request.user, **payload.model_dump())
    return _viewed(request, room.pk)


@router.get("", response=RoomListOut, by_alias=True)
def room_list(request, page: str | None = None, keyword: str = ""):
    rooms, count = selectors.rooms_page(
        user_id=request.user.pk, page=page_or_400(page), keyword=keyword, per_page=ROOMS_PER_PAGE
    )
    rooms = selectors.rooms_for_viewer(user_id=request.user.pk, rooms=rooms)
    return {"list": rooms, "count": count, "limit": ROOMS_PER_PAGE}


@router.get("/unread-count", response=UnreadCountsOut, by_alias=True)
def room_unread_counts(request):
    room_ids = selectors.room_ids_of_member(user_id=request.user.pk)
    counts = selectors.room_unread_counts(user_id=request.user.pk, room_ids=room_ids)
    return {
        "unread_counts": [
            {"room_id": room_id, "unread_count": counts[room_id]} for room_id in sorted(counts)
        ]
    }


@router.get("/sync/{last_update}", response=RoomSyncOut, by_alias=True)
def room_sync(request, last_update: str, page: str | None = None):
    since = since_or_400(last_update, name="lastUpdate")
    number = page_or_400(page)
    rooms, count = selectors.rooms_changed_page(
        user_id=request.user.pk, since=since, page=number, per_page=SYNC_PER_PAGE
    )
    rooms = selectors.rooms_for_viewer(user_id=request.user.pk, rooms=rooms)
    return sync_page(rooms, count=count, page=number, limit=SYNC_PER_PAGE)


@router.get("/users/{user_id}", response=RoomEnvelope, by_alias=True)
def room_with_user(request, user_id: str):
    other_id = path_id(user_id)
    room = other_id and selectors.room_private_between(user_id=request.user.pk, other_id=other_id)
    if not room:
        raise ApiError(404, "Chat not found")
    return {"room": selectors.rooms_for_viewer(user_id=request.user.pk, rooms=[room])[0]}


@router.get("/{id}", response=RoomEnvelope, by_alias=True)
def room_get(request, id: str):
    room = selectors.room_shown_to(user_id=request.user.pk, room_id=path_id(id))
    if room is None:
        raise ApiError(404, "Chat not found")
    return {"room": selectors.rooms_for_viewer(user_id=request.user.pk, rooms=[room])[0]}


@router.put("/{id}", response=RoomEnvelope, by_alias=True)
def room_update(request, id: str, payload: RoomUpdateIn):
    room_id = path_id(id)
    if room_id is None:
        raise ApiError(404, "Room id parameter is required.")
    if not payload.action:
        raise ApiError(404, "Action field is required.")
    services.room_update(
        actor=request.user,
        room_id=room_id,
        action=payload.action,
        name=payload.name,
        avatar_file_id=payload.avatar_file_id,
        user_ids=payload.user_ids,
    )
    return _viewed(request, room_id)


@router.delete("/{id}", response=RoomEnvelope, by_alias=True)
def room_delete(request, id: str):
    room = services.room_delete(actor=request.user, room_id=path_id(id))
    return _viewed(request, room.pk)


@router.post("/{id}/leave", response=RoomEnvelope, by_alias=True)
def room_leave(request, id: str, payload: RoomLeaveIn | None = None):
    admin_user_ids = payload.admin_user_ids if payload else None
    room = services.room_leave(
        actor=request.user, room_id=path_id(id), admin_user_ids=admin_user_ids
    )
    return _viewed(request, room.pk)


def _flag_route(flag: str):
    def route(request, id: str):
        room_id = path_id(id)
        if room_id is None:
            raise ApiError(400, "id is required")
        services.room_flag_set(user=request.user, room_id=room_id, flag=flag)
        return _viewed(request, room_id)

    route.__name__ = f"room_{flag}"
    return route


for _flag in ("mute", "unmute", "pin", "unpin"):
    router.post(f"/{{id}}/{_flag}", response=RoomEnvelope, by_alias=True)(_flag_route(_flag))
