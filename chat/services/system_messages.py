"""System messages: the chat lines Spika posts when a group changes (spec §7.2).

They are ordinary messages of type ``system``, so every member receives them as ``NEW_MESSAGE``
through the model signals, like any other message.
"""

from datetime import datetime

from django.utils import timezone

from accounts.models import User
from chat.models import Message, Room, RoomUser
from chat.services.records import DELIVERED, SEEN, records_mark

CREATED_GROUP = "created_group"
USER_LEFT_GROUP = "user_left_group"
UPDATED_GROUP_NAME = "updated_group_name"
UPDATED_GROUP_AVATAR = "updated_group_avatar"
ADDED_GROUP_MEMBERS = "added_group_members"
REMOVED_GROUP_MEMBERS = "removed_group_members"
ADDED_GROUP_ADMINS = "added_group_admins"
REMOVED_GROUP_ADMINS = "removed_group_admins"


def system_message_create(
    *,
    room: Room,
    actor: User,
    kind: str,
    text: str,
    objects: list,
    object_ids: list[int],
    created_at: datetime | None = None,
) -> Message:
    """Post a system message to the room's current members.

    ``created_at`` may be the join time of members who joined in the same change: a message
    created at a member's join time is visible to them but not unread (README, rule 9).
    When the actor is still a member, they get their own delivered and seen records, as the
    sender of any message does (``records_mark``, the one writer of ticks and their counters).
    """
    members = list(RoomUser.objects.filter(room=room).values_list("user_id", flat=True))
    message = Message.objects.create(
        room=room,
        from_user=actor,
        type=Message.Type.SYSTEM,
        body={
            "text": text,
            "subject": actor.display_name,
            "subjectId": actor.pk,
            "type": kind,
            "objects": objects,
            "objectIds": object_ids,
        },
        total_user_count=len(members),
        created_at=created_at or timezone.now(),
    )
    if created_at is not None:
        # Saving stamps modifiedAt with the clock; an unedited message has modifiedAt = createdAt.
        Message.objects.filter(pk=message.pk).update(modified_at=created_at)
        message.modified_at = created_at
    if actor.pk in members:
        records_mark(user_id=actor.pk, message_ids=[message.pk], types=(DELIVERED, SEEN))
        message.refresh_from_db(fields=["delivered_count", "seen_count"])
    return message


def names(users) -> str:
    return ", ".join(user.display_name for user in users)
