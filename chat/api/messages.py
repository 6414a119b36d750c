"""Routes: /messages (spec §5.5). Each loads, calls one service or selector, and returns.

Specific paths come before ``/{message_id}``, which would otherwise match them. Ids arrive as
strings so that an unusable one gets the route's own Spika answer, never a 500.
"""

from ninja import Router

from accounts.auth import device_auth
from chat import selectors_messages as selectors
from chat.api.params import integer, page_or_400, path_id, since_or_400, sync_page
from chat.schemas.messages import (
    MessageEditIn,
    MessageEnvelope,
    MessageIdsIn,
    MessageModifiedSyncOut,
    MessageSendIn,
    MessagesEnvelope,
    MessageSyncOut,
    RecordsEnvelope,
    RoomMessagesOut,
)
from chat.services import messages as services
from spika.errors import ApiError

router = Router(tags=["messages"], auth=device_auth)


def _one(message) -> dict:
    return {"message": selectors.messages_data([message])[0]}


@router.post("", response=MessageEnvelope, by_alias=True)
def message_send(request, payload: MessageSendIn):
    message = services.message_send(user=request.user, device=request.auth, **payload.model_dump())
    return _one(message)


@router.post("/delete-many", response=MessagesEnvelope, by_alias=True)
def message_delete_many(request, payload: MessageIdsIn, target: str | None = None):
    messages = services.messages_delete(
        user=request.user, message_ids=payload.message_ids, target=target or payload.target
    )
    return {"messages": selectors.messages_data(messages)}


@router.post("/delivered", response=RecordsEnvelope, by_alias=True)
def message_delivered(request, payload: MessageIdsIn):
    services.messages_mark_delivered(user=request.user, message_ids=payload.message_ids)
    return {"message_records": []}


def _sync_args(request, last_update: str, page: str | None) -> dict:
    since = since_or_400(last_update, name="lastUpdate")
    return {
        "user_id": request.user.pk,
        "device_created_at": request.auth.created_at,
        "since": since,
        "page": page_or_400(page),
    }


def _sync_page(args: dict, *, modified_only: bool) -> dict:
    messages, count = selectors.messages_changed_page(**args, modified_only=modified_only)
    data = selectors.messages_data(messages)
    return sync_page(data, count=count, page=args["page"], limit=selectors.SYNC_PAGE)


@router.get("/sync/modified/{last_update}", response=MessageModifiedSyncOut, by_alias=True)
def message_sync_modified(request, last_update: str, page: str | None = None):
    answer = _sync_page(_sync_args(request, last_update, page), modified_only=True)
    return {**answer, "messages": answer["list"]}


@router.get("/sync/{last_update}", response=MessageSyncOut, by_alias=True)
def message_sync(request, last_update: str, page: str | None = None):
    return _sync_page(_sync_args(request, last_update, page), modified_only=False)


@router.get("/roomId/{room_id}", response=RoomMessagesOut, by_alias=True)
def room_messages(
    request, room_id: str, cursor: str | None = None, targetMessageId: str | None = None
):
    membership = selectors.membership_of(user_id=request.user.pk, room_id=path_id(room_id))
    if membership is None:
        raise ApiError(404, "No room found")
    messages, count, take = selectors.room_messages_page(
        membership=membership, cursor=_query_id(cursor), target_id=_query_id(targetMessageId)
    )
    services.messages_shown(user=request.user, messages=messages)
    return {
        "list": selectors.room_messages_data(messages),
        "count": count,
        "limit": take,
        "next_cursor": messages[-1].id if messages and len(messages) >= take else None,
    }


def _query_id(value: str | None) -> int | None:
    """An optional id in the query: absent or empty is None, anything unusable is a 400."""
    if value is None or value == "":
        return None
    number = path_id(value.strip())
    if number is None:
        raise ApiError(400, "Invalid params ValidationError: query must be a `number` type")
    return number


@router.get("/{message_id}/message-records", response=RecordsEnvelope, by_alias=True)
def message_records(request, message_id: str, type: str | None = None):
    message = selectors.message_of_member(user_id=request.user.pk, message_id=path_id(message_id))
    if message is None:
        raise ApiError(404, "No message found")
    records = selectors.message_records_of(message=message, only_reactions=type == "reaction")
    return {"message_records": records}


@router.post("/{room_id}/seen", response=RecordsEnvelope, by_alias=True)
def room_seen(request, room_id: str):
    if integer(room_id) is None:
        raise ApiError(400, "roomId must be number")
    services.room_mark_seen(user=request.user, room_id=path_id(room_id))
    return {"message_records": []}


@router.put("/{message_id}", response=MessageEnvelope, by_alias=True)
def message_edit(request, message_id: str, payload: MessageEditIn):
    message = services.message_edit(
        user=request.user, message_id=path_id(message_id), **payload.model_dump()
    )
    return _one(message)


@router.delete("/{message_id}", response=MessageEnvelope, by_alias=True)
def message_delete(request, message_id: str, target: str | None = None):
    target = services.delete_target(target)
    (message,) = services.messages_delete(
        user=request.user, message_ids=[path_id(message_id)], target=target
    )
    return _one(message)
