"""Event JSON, exactly as ``spec/events.md`` §3 defines it: the Spika clients' contract.

Pure functions: they read the instances and values they are given and never query the
database, so they can be called while a row still exists and the result sent after commit.
Every key is required by events.md or listed there as an allowed extra; nothing else goes
out. Timestamps are integer milliseconds, ids are integers, ``None`` is sent as ``null``.
"""

from dataclasses import dataclass

from chat.schemas.messages import DELETED_BODY, body_formatted
from spika.schemas import to_millis

NEW_MESSAGE = "NEW_MESSAGE"
UPDATE_MESSAGE = "UPDATE_MESSAGE"
DELETE_MESSAGE = "DELETE_MESSAGE"
NEW_MESSAGE_RECORD = "NEW_MESSAGE_RECORD"
DELETE_MESSAGE_RECORD = "DELETE_MESSAGE_RECORD"
NEW_ROOM = "NEW_ROOM"
UPDATE_ROOM = "UPDATE_ROOM"
DELETE_ROOM = "DELETE_ROOM"
SEEN_ROOM = "SEEN_ROOM"
USER_UPDATE = "USER_UPDATE"
REMOVED_FROM_ROOM = "REMOVED_FROM_ROOM"

# What Spika shows in place of a reaction taken back (a deleted message: DELETED_BODY).
DELETED_REACTION = "Deleted reaction"


@dataclass(frozen=True)
class MessageCounts:
    """A message's counters after a record changed (top level of record events)."""

    seen: int
    delivered: int
    total_users: int


@dataclass(frozen=True)
class RoomView:
    """What one recipient's copy of a room event says about that recipient."""

    muted: bool
    pinned: bool
    unread_count: int


def user_json(user) -> dict:
    """A user's public profile, as ``USER_UPDATE.user`` and ``room.users[].user``."""
    return {
        "id": user.pk,
        "emailAddress": user.email_address,
        "telephoneNumber": user.telephone_number,
        "telephoneNumberHashed": user.telephone_number_hashed,
        "displayName": user.display_name,
        "avatarFileId": user.avatar_file_id,
        "createdAt": to_millis(user.created_at),
        "modifiedAt": to_millis(user.modified_at),
    }


def message_json(message, *, deleted: bool = False, files: dict | None = None) -> dict:
    """A message. Deleted for everyone, it reads as Spika's: a text saying so, no content.

    ``files`` maps file ids to Files: a media body gains its ``file`` / ``thumb`` description,
    as in the REST answer (spec §3.9).
    """
    deleted = deleted or message.deleted
    return {
        "id": message.pk,
        "roomId": message.room_id,
        "fromUserId": message.from_user_id,
        "totalUserCount": message.total_user_count,
        "deliveredCount": message.delivered_count,
        "seenCount": message.seen_count,
        "type": "text" if deleted else message.type,
        "body": (
            dict(DELETED_BODY)
            if deleted
            else body_formatted(message.type, message.body, files or {})
        ),
        "createdAt": to_millis(message.created_at),
        "modifiedAt": to_millis(message.modified_at),
        "localId": message.local_id,
        "deleted": deleted,
        "replyId": message.reply_id,
        "isForwarded": message.is_forwarded,
        "hasLink": message.has_link,
    }


def new_message(message, *, files: dict | None = None) -> dict:
    return {"type": NEW_MESSAGE, "message": message_json(message, files=files)}


def update_message(message, *, files: dict | None = None) -> dict:
    return {"type": UPDATE_MESSAGE, "message": message_json(message, files=files)}


def delete_message(message) -> dict:
    """Also for a row being removed, which still says ``deleted: false`` in memory."""
    return {"type": DELETE_MESSAGE, "message": message_json(message, deleted=True)}


def message_record_json(record, *, room_id: int, deleted: bool = False) -> dict:
    deleted = deleted or record.is_deleted
    reaction = record.reaction
    if deleted and record.type == "reaction":
        reaction = DELETED_REACTION
    return {
        "id": record.pk,
        "messageId": record.message_id,
        "userId": record.user_id,
        "type": record.type,
        "reaction": reaction,
        "modifiedAt": to_millis(record.modified_at),
        "createdAt": to_millis(record.created_at),
        "roomId": room_id,
        "isDeleted": deleted,
    }


def _record_event(event_type: str, record_json: dict, counts: MessageCounts) -> dict:
    return {
        "type": event_type,
        "messageRecord": record_json,
        "seenCount": counts.seen,
        "deliveredCount": counts.delivered,
        "totalUserCount": counts.total_users,
    }


def new_message_record(record, *, room_id: int, counts: MessageCounts) -> dict:
    return _record_event(NEW_MESSAGE_RECORD, message_record_json(record, room_id=room_id), counts)


def delete_message_record(record, *, room_id: int, counts: MessageCounts) -> dict:
    """A reaction taken back, or a record row being removed."""
    record_json = message_record_json(record, room_id=room_id, deleted=True)
    return _record_event(DELETE_MESSAGE_RECORD, record_json, counts)


def room_user_json(membership) -> dict:
    """One ``room.users[]`` item; ``membership.user`` should be loaded with it."""
    return {
        "userId": membership.user_id,
        "isAdmin": membership.is_admin,
        "roomId": membership.room_id,
        "createdAt": to_millis(membership.created_at),
        "user": user_json(membership.user),
    }


def room_json(room, memberships, view: RoomView, *, deleted: bool = False) -> dict:
    """A room as one recipient sees it: their own ``muted``, ``pinned``, ``unreadCount``."""
    return {
        "id": room.pk,
        "name": room.name,
        "avatarFileId": room.avatar_file_id,
        "type": room.type,
        "createdAt": to_millis(room.created_at),
        "modifiedAt": to_millis(room.modified_at),
        "deleted": deleted or room.deleted,
        "users": [room_user_json(membership) for membership in memberships],
        "muted": view.muted,
        "pinned": view.pinned,
        "unreadCount": view.unread_count,
    }


def room_event(event_type: str, room, memberships, view: RoomView) -> dict:
    """``NEW_ROOM``, ``UPDATE_ROOM`` or ``DELETE_ROOM`` (which always says ``deleted: true``)."""
    deleted = event_type == DELETE_ROOM
    return {"type": event_type, "room": room_json(room, memberships, view, deleted=deleted)}


def seen_room(room_id: int) -> dict:
    return {"type": SEEN_ROOM, "roomId": room_id}


def removed_from_room(room_id: int) -> dict:
    return {"type": REMOVED_FROM_ROOM, "roomId": room_id}


def user_update(user) -> dict:
    return {"type": USER_UPDATE, "user": user_json(user)}
