"""Spika's sanitized room (spec §3.3) and the inputs of the room routes."""

from typing import Annotated

from pydantic import BeforeValidator, Field

from accounts.schemas import UserOut
from spika.schemas import MAX_DB_ID, CamelSchema, Millis, StrictCamelSchema


def _no_bool(value):
    # JSON true is not an id, although Python counts it as the integer 1.
    if isinstance(value, bool):
        raise ValueError("must be a `number` type")
    return value


# ``userIds: ["5"]`` is taken as 5 (Spika's arrays cast their elements); ``"x"`` and ``true`` fail.
LaxId = Annotated[int, BeforeValidator(_no_bool), Field(ge=1, le=MAX_DB_ID)]
StrictId = Annotated[int, Field(strict=True, ge=1, le=MAX_DB_ID)]
FileId = Annotated[int, BeforeValidator(_no_bool), Field(ge=0, le=MAX_DB_ID)]


class RoomUserOut(CamelSchema):
    user_id: int
    is_admin: bool
    room_id: int
    created_at: Millis
    user: UserOut


class RoomOut(CamelSchema):
    """A room as one member sees it: ``muted``, ``pinned`` and ``unreadCount`` are theirs."""

    id: int
    name: str | None
    users: list[RoomUserOut]
    avatar_file_id: int
    muted: bool
    type: str
    deleted: bool
    pinned: bool
    created_at: Millis
    modified_at: Millis
    unread_count: int

    @staticmethod
    def resolve_users(room):
        return room.members.all()


class RoomEnvelope(CamelSchema):
    room: RoomOut


class RoomListOut(CamelSchema):
    list: list[RoomOut]
    count: int
    limit: int


class RoomSyncOut(CamelSchema):
    list: list[RoomOut]
    limit: int
    count: int
    has_next: bool


class UnreadCountOut(CamelSchema):
    room_id: int
    unread_count: int


class UnreadCountsOut(CamelSchema):
    unread_counts: list[UnreadCountOut]


class RoomCreateIn(CamelSchema):
    """``POST /rooms``: lax like Spika's (``"5"`` is 5), except ``type``."""

    name: Annotated[str, Field(max_length=255)] = ""
    avatar_file_id: FileId = 0
    type: Annotated[str | None, Field(strict=True, max_length=16)] = None
    user_ids: list[LaxId] = Field(default_factory=list, max_length=1000)
    admin_user_ids: list[LaxId] = Field(default_factory=list, max_length=1000)


class RoomUpdateIn(StrictCamelSchema):
    """``PUT /rooms/:id``: every field strict; ``action`` picks the operation."""

    action: str | None = None
    name: Annotated[str | None, Field(max_length=255)] = None
    avatar_file_id: Annotated[int | None, Field(ge=0, le=MAX_DB_ID)] = None
    type: str | None = None
    user_ids: Annotated[list[StrictId] | None, Field(max_length=1000)] = None
    admin_user_ids: Annotated[list[StrictId] | None, Field(max_length=1000)] = None


class RoomLeaveIn(StrictCamelSchema):
    admin_user_ids: Annotated[list[StrictId] | None, Field(max_length=1000)] = None
