"""Reads of chat that more than one caller needs: who may see what, unread counts, flags.

These are the one place that answers "who receives this room's / message's / user's events"
and "what is this member's unread count"; REST routes and event payloads both use them.
"""

from collections.abc import Iterable

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery

from accounts.models import Block, Contact, User, UserSetting
from chat.models import Message, MessageRecord, Room, RoomUser
from chat.selectors_messages import messages_as_seen_by


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


# A member's mute and pin of a room are Spika's user settings ``mute_<room id>`` and
# ``pin_<room id>``, set while their value is "true"; the prefix names the room's flag.
FLAG_PREFIXES = {"mute": "muted", "pin": "pinned"}


def flag_setting_key(prefix: str, room_id: int) -> str:
    return f"{prefix}_{room_id}"


def flag_of_setting(key: str) -> tuple[str, int] | None:
    """``("muted" or "pinned", room_id)`` for a flag setting's key, else None."""
    prefix, _, room_id = key.partition("_")
    if prefix in FLAG_PREFIXES and room_id.isdigit():
        return FLAG_PREFIXES[prefix], int(room_id)
    return None


def room_flags(*, user_id: int, room_ids: Iterable[int]) -> dict[int, dict[str, bool]]:
    """``{room_id: {"muted": bool, "pinned": bool}}`` for one user."""
    room_ids = list(room_ids)
    flags = {room_id: {"muted": False, "pinned": False} for room_id in room_ids}
    keys = [flag_setting_key(prefix, room_id) for room_id in room_ids for prefix in FLAG_PREFIXES]
    settings = UserSetting.objects.filter(user_id=user_id, key__in=keys, value="true")
    for key in settings.values_list("key", flat=True):
        flag, room_id = flag_of_setting(key)
        flags[room_id][flag] = True
    return flags


def room_members_unread_counts(*, room_id: int) -> dict[int, int]:
    """``{user_id: unread}`` for every member of one room: ``room_unread_counts``'s rule, one query.

    For events that carry each member's own count (room events are built per recipient).
    """
    seen = MessageRecord.objects.filter(
        message_id=OuterRef("pk"),
        user_id=OuterRef(OuterRef("user_id")),
        type=MessageRecord.Type.SEEN,
    )
    unread = (
        Message.objects.filter(room_id=OuterRef("room_id"), created_at__gt=OuterRef("created_at"))
        .exclude(from_user_id=OuterRef("user_id"))
        .exclude(Exists(seen))
        .order_by()
        .values("room_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = RoomUser.objects.filter(room_id=room_id).annotate(unread=Subquery(unread))
    return {user_id: n or 0 for user_id, n in rows.values_list("user_id", "unread")}


def room_flags_of_users(*, room_id: int, user_ids: Iterable[int]) -> dict[int, dict[str, bool]]:
    """``{user_id: {"muted": bool, "pinned": bool}}`` for one room: ``room_flags`` per user."""
    flags = {user_id: {"muted": False, "pinned": False} for user_id in user_ids}
    keys = [flag_setting_key(prefix, room_id) for prefix in FLAG_PREFIXES]
    rows = UserSetting.objects.filter(user_id__in=list(flags), key__in=keys, value="true")
    for user_id, key in rows.values_list("user_id", "key"):
        flags[user_id][flag_of_setting(key)[0]] = True
    return flags


def room_queryset():
    """Rooms with their members and the members' users: two queries for any number of rooms."""
    members = RoomUser.objects.select_related("user").order_by("id")
    return Room.objects.prefetch_related(Prefetch("members", queryset=members))


def rooms_for_viewer(*, user_id: int, rooms: Iterable[Room]) -> list[Room]:
    """Sets ``muted``, ``pinned`` and ``unread_count`` of one user on each room (two queries)."""
    rooms = list(rooms)
    room_ids = [room.pk for room in rooms]
    flags = room_flags(user_id=user_id, room_ids=room_ids)
    unread = room_unread_counts(user_id=user_id, room_ids=room_ids) if room_ids else {}
    for room in rooms:
        room.muted = flags[room.pk]["muted"]
        room.pinned = flags[room.pk]["pinned"]
        room.unread_count = unread.get(room.pk, 0)
    return rooms


def room_shown_to(*, user_id: int, room_id: int | None) -> Room | None:
    """``GET /rooms/:id``: the room with its members if ``user_id`` belongs to it, else None.

    A private room its other member has left is not shown either.
    """
    room = room_id and room_queryset().filter(pk=room_id, members__user_id=user_id).first()
    if not room or (room.type == Room.Type.PRIVATE and len(room.members.all()) < 2):
        return None
    return room


def room_private_between(*, user_id: int, other_id: int) -> Room | None:
    """The live private room of two different users, if there is one."""
    if user_id == other_id:
        return None
    return (
        room_queryset()
        .filter(type=Room.Type.PRIVATE, deleted=False, members__user_id=user_id)
        .filter(members__user_id=other_id)
        .order_by("id")
        .first()
    )


def user_known_to(*, user_id: int, other_id: int | None) -> User | None:
    """The user ``other_id`` if ``user_id`` may look them up (``users_known_to``), else None."""
    if other_id is None:
        return None
    return User.objects.filter(users_known_to(user_id=user_id), pk=other_id).first()


def users_known_to(*, user_id: int) -> Q:
    """Users ``user_id`` may look up: their contacts and everyone who shares a room with them."""
    contacts = Contact.objects.filter(user_id=user_id).values("contact_id")
    co_members = RoomUser.objects.filter(room__members__user_id=user_id).values("user_id")
    return Q(pk__in=contacts) | Q(pk__in=co_members)


def rooms_page(*, user_id: int, page: int, keyword: str = "", per_page: int) -> tuple[list, int]:
    """``GET /rooms``: the user's live rooms, oldest first, one page of them and their count."""
    rooms = room_queryset().filter(members__user_id=user_id, deleted=False)
    if keyword:
        rooms = rooms.filter(name__istartswith=keyword)
    rooms = rooms.order_by("created_at", "id")
    start = (page - 1) * per_page
    return list(rooms[start : start + per_page]), rooms.count()


def rooms_changed_page(*, user_id: int, since, page: int, per_page: int) -> tuple[list, int]:
    """Rooms sync: the user's rooms changed, joined, muted or pinned after ``since``.

    Paged by membership, in join order. Deleted rooms are included; rooms left are not.
    """
    flagged = set()
    for key in UserSetting.objects.filter(
        user_id=user_id, value="true", modified_at__gt=since, key__regex=r"^(mute|pin)_[0-9]+$"
    ).values_list("key", flat=True):
        flagged.add(int(key.partition("_")[2]))
    memberships = (
        RoomUser.objects.filter(user_id=user_id)
        .filter(Q(room__modified_at__gt=since) | Q(created_at__gt=since) | Q(room_id__in=flagged))
        .order_by("id")
    )
    start = (page - 1) * per_page
    room_ids = list(memberships.values_list("room_id", flat=True)[start : start + per_page])
    rooms = room_queryset().in_bulk(room_ids)
    return [rooms[room_id] for room_id in room_ids], memberships.count()


def room_ids_of_member(*, user_id: int) -> list[int]:
    """The live (not deleted) rooms the user belongs to."""
    return list(
        RoomUser.objects.filter(user_id=user_id, room__deleted=False)
        .order_by("room_id")
        .values_list("room_id", flat=True)
    )


def message_record_counts(*, message_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """``{message_id: {"seen": n, "delivered": n}}``: live records of each kind, counted now.

    Counted from the records rather than read from the message's counter columns, so that an
    event built right after a record is written carries the counts including it, whatever
    order the writer updates the counters in. One query for any number of messages.
    """
    counts = {message_id: {"seen": 0, "delivered": 0} for message_id in message_ids}
    rows = (
        MessageRecord.objects.filter(
            message_id__in=list(counts),
            is_deleted=False,
            type__in=[MessageRecord.Type.SEEN, MessageRecord.Type.DELIVERED],
        )
        .order_by()
        .values("message_id", "type")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["message_id"]][row["type"]] = row["n"]
    return counts


def _last_visible_message(field: str):
    """The newest message of the membership's room that its member may see (joined at or before)."""
    messages = Message.objects.filter(
        room_id=OuterRef("room_id"), created_at__gte=OuterRef("created_at")
    ).order_by("-created_at", "-id")
    return Subquery(messages.values(field)[:1])


def history_page(*, user_id: int, page: int, per_page: int, keyword: str = "") -> tuple[list, int]:
    """``GET /history``: the user's live chats by newest message, one page and the total.

    Returns ``[(room_id, message_id)]``. A chat is a group, or a room of exactly two members;
    chats without a message the user may see are left out. ``keyword`` matches group names and,
    in private rooms, the other member's display name.
    """
    member_count = (
        RoomUser.objects.filter(room_id=OuterRef("room_id"))
        .order_by()
        .values("room_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    chats = (
        RoomUser.objects.filter(user_id=user_id, room__deleted=False)
        .annotate(
            member_count=Subquery(member_count),
            last_id=_last_visible_message("id"),
            last_at=_last_visible_message("created_at"),
        )
        .filter(Q(room__type=Room.Type.GROUP) | Q(member_count=2), last_id__isnull=False)
    )
    if keyword:
        other_named = RoomUser.objects.filter(
            room_id=OuterRef("room_id"), user__display_name__icontains=keyword
        ).exclude(user_id=user_id)
        chats = chats.filter(
            Q(room__type=Room.Type.GROUP, room__name__icontains=keyword)
            | Q(Exists(other_named), room__type=Room.Type.PRIVATE)
        )
    start = (page - 1) * per_page
    rows = chats.order_by("-last_at", "-last_id").values_list("room_id", "last_id")
    return list(rows[start : start + per_page]), chats.count()


def last_visible_message_id(*, membership: RoomUser) -> int | None:
    """The newest message of the room its member may see."""
    return (
        Message.objects.filter(room_id=membership.room_id, created_at__gte=membership.created_at)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
        .first()
    )


def private_room_block(*, user_id: int, room_id: int | None) -> Block | None:
    """The user's block of the other member of a private room they belong to, else None."""
    others = RoomUser.objects.filter(
        room_id=room_id or 0, room__type=Room.Type.PRIVATE, room__members__user_id=user_id
    ).exclude(user_id=user_id)
    other_id = others.order_by("id").values_list("user_id", flat=True).first()
    if other_id is None:
        return None
    return Block.objects.filter(user_id=user_id, blocked_id=other_id).first()


def history_items(*, user_id: int, rows: list[tuple[int, int | None]]) -> list[dict]:
    """Chat-list items for ``(room_id, last_message_id)`` rows, in three queries for any number.

    Each last message carries ``hidden_at`` for the user (``messages_as_seen_by``).
    """
    room_ids = [room_id for room_id, _ in rows]
    message_ids = [message_id for _, message_id in rows if message_id]
    messages = messages_as_seen_by(user_id=user_id).in_bulk(message_ids)
    flags = room_flags(user_id=user_id, room_ids=room_ids)
    unread = room_unread_counts(user_id=user_id, room_ids=room_ids) if rows else {}
    return [
        {
            "room_id": room_id,
            "last_message": messages.get(message_id),
            "unread_count": unread.get(room_id, 0),
            **flags[room_id],
        }
        for room_id, message_id in rows
    ]


def users_changed_page(*, user_id: int, since, page: int, per_page: int) -> tuple[list, int]:
    """Users sync: verified contacts and co-members changed after ``since``, oldest change first.

    Spika means "contacts and users sharing a room" but matches the wrong ids (App. C #7).
    """
    users = (
        User.objects.filter(users_known_to(user_id=user_id), verified=True, modified_at__gt=since)
        .exclude(pk=user_id)
        .order_by("modified_at", "id")
    )
    start = (page - 1) * per_page
    return list(users[start : start + per_page]), users.count()
