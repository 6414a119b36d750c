"""Spika's sanitized message and message record (spec §3.4-§3.6), and the message inputs.

Output is built per viewer by ``chat.selectors`` (a message the viewer deleted "for me" reads
as deleted to them only); these classes pin the keys and their order.
"""

import math
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator

from spika.schemas import MAX_DB_ID, CamelSchema, DbId, Millis, StrictCamelSchema

# The stored JSON of one body (text, thumbnailData, referenceMessage...). Spika has no limit
# but its 50 MB request size; a chat message past this is abuse, answered 400.
BODY_MAX_CHARS = 64 * 1024
# How many ids one delivered / delete-many call may name.
IDS_MAX = 1000

USER_TYPES = ("text", "image", "video", "audio", "file")
MEDIA_TYPES = ("image", "video", "audio", "file")


def json_problem(value: Any, depth: int = 0) -> str | None:
    """Why PostgreSQL could not store ``value`` as JSON (a NUL, NaN, too deep), or None."""
    if depth > 32:
        return "is nested too deeply"
    if isinstance(value, str):
        return "must not contain NUL characters" if "\x00" in value else None
    if isinstance(value, float):
        return None if math.isfinite(value) else "must be a finite number"
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    return next((p for item in items if (p := json_problem(item, depth + 1))), None)


def _no_nul(value):
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _lax_id(value):
    # Spika casts array elements ("5" -> 5) but a JSON true is not an id.
    if isinstance(value, bool):
        raise ValueError("must be a `number` type")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return value


CleanStr = Annotated[str, BeforeValidator(_no_nul)]
ArrayId = Annotated[int, BeforeValidator(_lax_id), Field(strict=True, ge=1, le=MAX_DB_ID)]


class MessageSendIn(StrictCamelSchema):
    room_id: DbId
    type: Annotated[CleanStr, Field(min_length=1, max_length=32)]
    body: dict
    local_id: Annotated[CleanStr, Field(max_length=255)] | None = None
    reply_id: Annotated[int, Field(ge=0, le=MAX_DB_ID)] | None = None
    has_link: bool = False

    @field_validator("body")
    @classmethod
    def storable(cls, body):
        return _storable_body(body)


class MessageEditIn(StrictCamelSchema):
    # Spika validates nothing here; ``text`` is checked by the service for its own message.
    text: Any = None
    thumbnail_data: Any = None
    has_link: bool | None = None

    @field_validator("text", "thumbnail_data")
    @classmethod
    def storable(cls, value):
        return _storable_body(value)


class MessageIdsIn(StrictCamelSchema):
    message_ids: Annotated[list[ArrayId], Field(max_length=IDS_MAX)] = []
    target: CleanStr | None = None


class ReactionIn(StrictCamelSchema):
    """``type`` and ``userId`` are ignored, as Spika does: records sent here are reactions."""

    message_id: DbId
    reaction: Annotated[CleanStr, Field(min_length=1, max_length=64)]
    type: Any = None
    user_id: Any = None


def _storable_body(value):
    problem = json_problem(value)
    if problem:
        raise ValueError(problem)
    if value is not None and len(repr(value)) > BODY_MAX_CHARS:
        raise ValueError(f"must be at most {BODY_MAX_CHARS} characters")
    return value


class MessageOut(CamelSchema):
    """Spika's sanitized message (§3.4), key order as Spika emits it."""

    id: int
    room_id: int
    from_user_id: int | None
    total_user_count: int
    delivered_count: int
    seen_count: int
    type: str
    body: dict
    created_at: Millis
    modified_at: Millis
    local_id: str | None
    reply_id: int | None
    deleted: bool
    is_forwarded: bool
    has_link: bool


class RecordOut(CamelSchema):
    """Spika's message record (§3.6)."""

    id: int
    type: str
    message_id: int
    user_id: int
    reaction: str | None
    room_id: int
    created_at: Millis
    is_deleted: bool
    modified_at: Millis


class MessageWithRecordsOut(CamelSchema):
    """A message of a room's history (§3.5): reactions attached, soft-deleted ones included."""

    id: int
    from_user_id: int | None
    total_user_count: int
    delivered_count: int
    seen_count: int
    room_id: int
    type: str
    body: dict
    created_at: Millis
    modified_at: Millis
    local_id: str | None
    deleted: bool
    is_forwarded: bool
    has_link: bool
    message_records: list[RecordOut]
    reply_id: int | None


class RecordMessageOut(CamelSchema):
    id: int
    total_user_count: int
    delivered_count: int
    seen_count: int
    room_id: int


class RecordSyncOut(RecordOut):
    message: RecordMessageOut


class MessageEnvelope(CamelSchema):
    message: MessageOut


class MessagesEnvelope(CamelSchema):
    messages: list[MessageOut]


class RecordEnvelope(CamelSchema):
    message_record: RecordOut


class RecordsEnvelope(CamelSchema):
    message_records: list[RecordOut]


class RoomMessagesOut(CamelSchema):
    list: list[MessageWithRecordsOut]
    count: int
    limit: int
    next_cursor: int | None


class MessageSyncOut(CamelSchema):
    list: list[MessageOut]
    limit: int
    count: int
    has_next: bool


class MessageModifiedSyncOut(MessageSyncOut):
    messages: list[MessageOut]


class RecordSyncPageOut(CamelSchema):
    list: list[RecordSyncOut]
    limit: int
    count: int
    has_next: bool


DELETED_BODY = {"text": "Deleted message"}


def file_data(file) -> dict:
    return {
        "id": file.id,
        "fileName": file.file_name,
        "mimeType": file.mime_type,
        "size": file.size,
        "metaData": file.meta_data,
    }


def body_file_ids(message_type: str, body: dict) -> set[int]:
    """The File ids a body names (``fileId``, ``thumbId``); text bodies name none."""
    if message_type == "text" or not isinstance(body, dict):
        return set()
    ids = {body.get("fileId"), body.get("thumbId")}
    return {i for i in ids if isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_DB_ID}


def body_formatted(message_type: str, body: dict, files: dict) -> dict:
    """Spika's formatMessageBody (§3.9): media bodies gain ``file`` / ``thumb`` descriptions."""
    if message_type == "text" or not isinstance(body, dict):
        return body
    out = dict(body)
    for key, name in (("fileId", "file"), ("thumbId", "thumb")):
        file = files.get(body.get(key)) if isinstance(body.get(key), int) else None
        if file is not None:
            out[name] = file_data(file)
    return out


def message_data(message, *, files: dict, hidden_at=None) -> dict:
    """The sanitized message as one viewer sees it (snake_case keys for MessageOut).

    ``hidden_at`` is when the viewer deleted it "for me": Spika then shows that viewer the
    deleted body, with the moment of hiding as ``modifiedAt``.
    """
    hidden = hidden_at is not None
    return {
        "id": message.id,
        "room_id": message.room_id,
        "from_user_id": message.from_user_id,
        "total_user_count": message.total_user_count,
        "delivered_count": message.delivered_count,
        "seen_count": message.seen_count,
        "type": message.type,
        "body": dict(DELETED_BODY) if hidden else body_formatted(message.type, message.body, files),
        "created_at": message.created_at,
        "modified_at": max(message.modified_at, hidden_at) if hidden else message.modified_at,
        "local_id": message.local_id,
        "reply_id": message.reply_id,
        "deleted": message.deleted or hidden,
        "is_forwarded": message.is_forwarded,
        "has_link": message.has_link,
    }


def record_data(record, *, room_id: int) -> dict:
    return {
        "id": record.id,
        "type": record.type,
        "message_id": record.message_id,
        "user_id": record.user_id,
        "reaction": record.reaction,
        "room_id": room_id,
        "created_at": record.created_at,
        "is_deleted": record.is_deleted,
        "modified_at": record.modified_at,
    }
