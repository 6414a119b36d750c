"""Spika's message and record shapes (spec §3.4-§3.6) from the rows, and small fixtures."""

from contextlib import contextmanager
from datetime import timedelta

from django.utils import timezone

from chat.models import Message, MessageRecord, RoomUser
from spika.schemas import to_millis
from tests.factories import MessageFactory


def message_json(message: Message, **overrides) -> dict:
    message.refresh_from_db()
    data = {
        "id": message.id,
        "roomId": message.room_id,
        "fromUserId": message.from_user_id,
        "totalUserCount": message.total_user_count,
        "deliveredCount": message.delivered_count,
        "seenCount": message.seen_count,
        "type": message.type,
        "body": message.body,
        "createdAt": to_millis(message.created_at),
        "modifiedAt": to_millis(message.modified_at),
        "localId": message.local_id,
        "replyId": message.reply_id,
        "deleted": message.deleted,
        "isForwarded": message.is_forwarded,
        "hasLink": message.has_link,
    }
    return {**data, **overrides}


def record_json(record: MessageRecord) -> dict:
    record.refresh_from_db()
    return {
        "id": record.id,
        "type": record.type,
        "messageId": record.message_id,
        "userId": record.user_id,
        "reaction": record.reaction,
        "roomId": record.message.room_id,
        "createdAt": to_millis(record.created_at),
        "isDeleted": record.is_deleted,
        "modifiedAt": to_millis(record.modified_at),
    }


def history_item(message: Message, reactions=(), **overrides) -> dict:
    """An item of ``GET /messages/roomId/:id`` (§3.5)."""
    data = message_json(message, **overrides)
    return {
        key: data[key]
        for key in (
            "id",
            "fromUserId",
            "totalUserCount",
            "deliveredCount",
            "seenCount",
            "roomId",
            "type",
            "body",
            "createdAt",
            "modifiedAt",
            "localId",
            "deleted",
            "isForwarded",
            "hasLink",
        )
    } | {"messageRecords": [record_json(r) for r in reactions], "replyId": data["replyId"]}


def joined_earlier(room, *users, minutes=60) -> None:
    """Move the users' join time into the past, so that messages made now are after it."""
    RoomUser.objects.filter(room=room, user__in=users).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


def message_in(room, author, text="hello", **fields) -> Message:
    fields.setdefault("body", {"text": text})
    fields.setdefault("total_user_count", room.members.count())
    return MessageFactory(room=room, from_user=author, **fields)


def deleted_json(message: Message, **overrides) -> dict:
    return message_json(
        message, body={"text": "Deleted message"}, deleted=True, type="text", **overrides
    )


@contextmanager
def signals_caught(signal):
    """Collect the keyword arguments of every send of a (custom) signal."""
    calls = []

    def receiver(sender, **kwargs):
        kwargs.pop("signal", None)
        calls.append(kwargs)

    signal.connect(receiver, weak=False, dispatch_uid=f"test-{id(calls)}")
    try:
        yield calls
    finally:
        signal.disconnect(dispatch_uid=f"test-{id(calls)}")
