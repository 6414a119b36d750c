"""Routes: /message-records (spec §5.6): reactions, and the records sync."""

from ninja import Router

from accounts.auth import device_auth
from chat import selectors_messages as selectors
from chat.api.params import page_or_400, path_id, since_or_400, sync_page
from chat.schemas.messages import ReactionIn, RecordEnvelope, RecordSyncPageOut, record_data
from chat.services import records as services
from spika.errors import ApiError

router = Router(tags=["message_records"], auth=device_auth)


def _one(record) -> dict:
    return {"message_record": record_data(record, room_id=record.message.room_id)}


@router.post("", response=RecordEnvelope, by_alias=True)
def reaction_set(request, payload: ReactionIn):
    message = selectors.message_of_member(user_id=request.user.pk, message_id=payload.message_id)
    if message is None:
        raise ApiError(404, "Message not found")
    record = services.reaction_set(user=request.user, message=message, reaction=payload.reaction)
    return _one(record)


@router.get("/sync/{last_update}", response=RecordSyncPageOut, by_alias=True)
def record_sync(request, last_update: str, page: str | None = None):
    since = since_or_400(last_update, name="lastUpdate")
    number = page_or_400(page)
    records, count = selectors.records_changed_page(
        user_id=request.user.pk, device_created_at=request.auth.created_at, since=since, page=number
    )
    return sync_page(records, count=count, page=number, limit=selectors.RECORD_SYNC_PAGE)


@router.delete("/{record_id}", response=RecordEnvelope, by_alias=True)
def reaction_delete(request, record_id: str):
    record = services.reaction_delete(user=request.user, record_id=path_id(record_id))
    return _one(record)
