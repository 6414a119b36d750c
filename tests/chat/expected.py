"""Expected JSON of rooms, built from the database for whole-body asserts, and chat fixtures.

Users and the envelope come from ``tests.accounts.shapes``, messages from
``tests.chat.messages_helpers``: one builder per shape.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Contact
from chat.models import Message, RoomUser
from spika.schemas import to_millis as ms
from tests.accounts.shapes import user_json


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
