"""The chat list (spec §5.9): one item per chat with its last message and the caller's state."""

from chat.schemas.messages import DELETED_BODY, MessageOut
from spika.schemas import CamelSchema


class LastMessageOut(MessageOut):
    """Spika's sanitized message (§3.4) as the viewer sees it, body unformatted (§5.9)."""

    # ``hidden_at``: when the viewer deleted the message "for me" (as in chat.schemas.messages).
    @staticmethod
    def resolve_body(message):
        return DELETED_BODY if LastMessageOut.resolve_deleted(message) else message.body

    @staticmethod
    def resolve_deleted(message):
        return message.deleted or getattr(message, "hidden_at", None) is not None

    @staticmethod
    def resolve_modified_at(message):
        hidden_at = getattr(message, "hidden_at", None)
        return max(message.modified_at, hidden_at) if hidden_at else message.modified_at


class HistoryItemOut(CamelSchema):
    room_id: int
    muted: bool
    pinned: bool
    last_message: LastMessageOut | None
    unread_count: int


class HistoryOut(CamelSchema):
    list: list[HistoryItemOut]
    count: int
    limit: int
    page: int


class HistoryRoomOut(CamelSchema):
    unread_count: int
    room_id: int
    last_message: LastMessageOut | None
    muted: bool
    pinned: bool
