"""Expected JSON of rooms, users and messages, built from the database for whole-body asserts."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Contact
from chat.models import Message, RoomUser


def ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def user_json(user) -> dict:
    user.refresh_from_db()
    return {
        "id": user.pk,
        "displayName": user.display_name or None,
        "avatarFileId": user.avatar_file_id,
        "telephoneNumber": user.telephone_number,
        "telephoneNumberHashed": user.telephone_number_hashed,
        "emailAddress": user.email_address,
        "verified": user.verified,
        "createdAt": ms(user.created_at),
        "modifiedAt": ms(user.modified_at),
        "isBot": user.is_bot,
        "deleted": user.deleted,
        "shortDescription": user.short_description,
        "longDescription": user.long_description,
        "coverFileId": user.cover_file_id,
    }


def room_json(room, *, muted=False, pinned=False, unread=0) -> dict:
    room.refresh_from_db()
    members = RoomUser.objects.filter(room=room).select_related("user").order_by("id")
    return {
        "id": room.pk,
        "name": room.name,
        "users": [
            {
                "userId": member.user_id,
                "isAdmin": member.is_admin,
                "roomId": room.pk,
                "createdAt": ms(member.created_at),
                "user": user_json(member.user),
            }
            for member in members
        ],
        "avatarFileId": room.avatar_file_id,
        "muted": muted,
        "type": room.type,
        "deleted": room.deleted,
        "pinned": pinned,
        "createdAt": ms(room.created_at),
        "modifiedAt": ms(room.modified_at),
        "unreadCount": unread,
    }


def message_json(message, *, deleted=None, body=None) -> dict:
    message.refresh_from_db()
    return {
        "id": message.pk,
        "roomId": message.room_id,
        "fromUserId": message.from_user_id,
        "totalUserCount": message.total_user_count,
        "deliveredCount": message.delivered_count,
        "seenCount": message.seen_count,
        "type": message.type,
        "body": message.body if body is None else body,
        "createdAt": ms(message.created_at),
        "modifiedAt": ms(message.modified_at),
        "localId": message.local_id,
        "replyId": message.reply_id,
        "deleted": message.deleted if deleted is None else deleted,
        "isForwarded": message.is_forwarded,
        "hasLink": message.has_link,
    }


def success(data) -> dict:
    return {"status": "success", "data": data}


def error(message) -> dict:
    return {"status": "error", "message": message}


def befriend(user, *others) -> None:
    """``user`` has ``others`` in their phone book."""
    for other in others:
        Contact.objects.get_or_create(user=user, contact=other)


def system_messages(room) -> list[dict]:
    """The bodies of the room's system messages, oldest first."""
    return list(
        Message.objects.filter(room=room, type=Message.Type.SYSTEM)
        .order_by("id")
        .values_list("body", flat=True)
    )


def queries_of(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)
