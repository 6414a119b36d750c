"""Reads of chat that more than one caller needs: who may see what, unread counts, flags.

These are the one place that answers "who receives this room's / message's / user's events"
and "what is this member's unread count"; REST routes and event payloads both use them.
"""

from collections.abc import Iterable

from django.db.models import Count, Exists, F, OuterRef

from accounts.models import Block, UserSetting
from chat.models import Message, MessageRecord, Room, RoomUser


def room_member_ids(*, room_id: int) -> list[int]:
    """The users who belong to the room now, in join order."""
    return list(
        RoomUser.objects.filter(room_id=room_id).order_by("id").values_list("user_id", flat=True)
    )


def room_member_ids_excluding_blockers(*, room_id: int, room_type: str, author_id) -> list[int]:
    """Members who may receive something authored by ``author_id``.

    In a private room, a member who blocked the author gets nothing of theirs (events.md §4).
    """
    members = room_member_ids(room_id=room_id)
    if room_type != Room.Type.PRIVATE or author_id is None:
        return members
    blockers = set(
        Block.objects.filter(blocked_id=author_id, user_id__in=members).values_list(
            "user_id", flat=True
        )
    )
    return [user_id for user_id in members if user_id not in blockers]


def user_audience_ids(*, user_id: int) -> list[int]:
    """The user and everyone who shares a room with them (who sees their profile change)."""
    room_ids = RoomUser.objects.filter(user_id=user_id).values("room_id")
    others = (
        RoomUser.objects.filter(room_id__in=room_ids)
        .exclude(user_id=user_id)
        .values_list("user_id", flat=True)
        .distinct()
    )
    return [user_id, *sorted(others)]


def room_unread_counts(*, user_id: int, room_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Unread messages per room for one member (README of the spec, rule 9).

    A message is unread when it was created strictly after the member joined, was not sent by
    the member, and the member has no ``seen`` record on it. Rooms with nothing unread are
    absent from the answer.
    """
    seen = MessageRecord.objects.filter(
        message_id=OuterRef("pk"), user_id=user_id, type=MessageRecord.Type.SEEN
    )
    messages = Message.objects.filter(
        room__members__user_id=user_id,
        created_at__gt=F("room__members__created_at"),
    )
    if room_ids is not None:
        messages = messages.filter(room_id__in=list(room_ids))
    rows = (
        messages.exclude(from_user_id=user_id)
        .exclude(Exists(seen))
        .order_by()
        .values("room_id")
        .annotate(unread=Count("id"))
    )
    return {row["room_id"]: row["unread"] for row in rows}


def room_flags(*, user_id: int, room_ids: Iterable[int]) -> dict[int, dict[str, bool]]:
    """``{room_id: {"muted": bool, "pinned": bool}}`` for one user (settings ``mute_<id>``)."""
    room_ids = list(room_ids)
    flags = {room_id: {"muted": False, "pinned": False} for room_id in room_ids}
    keys = [f"{prefix}_{room_id}" for room_id in room_ids for prefix in ("mute", "pin")]
    for key in UserSetting.objects.filter(user_id=user_id, key__in=keys, value="true").values_list(
        "key", flat=True
    ):
        prefix, _, room_id = key.partition("_")
        flags[int(room_id)]["muted" if prefix == "mute" else "pinned"] = True
    return flags
