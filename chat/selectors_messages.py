"""Reads of messages and their records, as one member sees them (spec §5.5, §5.6, §8).

Visibility follows spec §9.2: a member sees the messages of their rooms created at or after
the moment they joined, so a new group's creation message (stamped with the members' join
time) shows in everyone's history; it is still unread for nobody (README rule 9, strictly
after, in ``chat.selectors.room_unread_counts``). A message the member deleted "for me" stays
visible to them as deleted (Spika turns that member's copies into "Deleted message").

We store one body per message, not Spika's copy per device, so "when did this change for this
device" is the message's own ``modifiedAt`` (or the moment the member hid it). A device still
sees only what was sent after it was registered, as with Spika's copies (§9.1).
"""

from datetime import datetime, timedelta

from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from accounts.models import Block
from chat.models import File, HiddenMessage, Message, MessageRecord, Room, RoomUser
from chat.schemas.messages import body_file_ids, message_data, record_data

MESSAGE_PAGE = 50  # Spika's MESSAGE_PAGING_LIMIT
SYNC_PAGE = 100  # SYNC_LIMIT
RECORD_SYNC_PAGE = 500  # MESSAGE_RECORD_SYNC_LIMIT
# A message whose modifiedAt is later than its createdAt by more than this was edited or
# deleted after it was sent (the two are set a few microseconds apart on creation).
EDIT_TOLERANCE = timedelta(milliseconds=1)


def membership_of(*, user_id: int, room_id: int) -> RoomUser | None:
    return RoomUser.objects.select_related("room").filter(user_id=user_id, room_id=room_id).first()


def messages_as_seen_by(*, user_id: int) -> QuerySet[Message]:
    """All messages, each with ``hidden_at``: when ``user_id`` deleted it "for me", or None."""
    hidden = HiddenMessage.objects.filter(message_id=OuterRef("pk"), user_id=user_id)
    return Message.objects.annotate(hidden_at=Subquery(hidden.values("created_at")[:1]))


def messages_of_member(*, user_id: int) -> QuerySet[Message]:
    """Messages of the user's rooms created since they joined, with ``hidden_at`` for them."""
    return messages_as_seen_by(user_id=user_id).filter(
        room__members__user_id=user_id, created_at__gte=F("room__members__created_at")
    )


def message_of_member(*, user_id: int, message_id: int) -> Message | None:
    return messages_of_member(user_id=user_id).select_related("room").filter(id=message_id).first()


def files_of(messages) -> dict[int, File]:
    """The Files that media bodies name, in one query (none for text only)."""
    ids = set().union(*(body_file_ids(m.type, m.body) for m in messages))
    return File.objects.in_bulk(ids) if ids else {}


def messages_data(messages) -> list[dict]:
    """Each message as its viewer sees it (``hidden_at`` annotated or absent)."""
    files = files_of(messages)
    return [message_data(m, files=files, hidden_at=getattr(m, "hidden_at", None)) for m in messages]


def message_records_of(*, message: Message, only_reactions: bool) -> list[dict]:
    records = MessageRecord.objects.filter(message=message)
    if only_reactions:
        records = records.filter(type=MessageRecord.Type.REACTION, is_deleted=False)
    return [record_data(r, room_id=message.room_id) for r in records.order_by("id")]


def room_messages_page(
    *, membership: RoomUser, cursor: int | None, target_id: int | None
) -> tuple[list[Message], int, int]:
    """One page of a room's history, newest first: (messages, count of visible, take).

    As Spika: 50 a page; a ``targetMessageId`` widens the page down to that message; a
    ``cursor`` starts the page at that message (inclusive) and holds one more item.
    """
    visible = messages_as_seen_by(user_id=membership.user_id).filter(
        room_id=membership.room_id, created_at__gte=membership.created_at
    )
    count = visible.count()
    take = MESSAGE_PAGE
    if target_id is not None:
        target = visible.filter(id=target_id).values_list("created_at", flat=True).first()
        if target is not None:
            take = max(take, visible.filter(created_at__gte=target).count())
    page = visible
    if cursor is not None:
        start = visible.filter(id=cursor).values_list("created_at", flat=True).first()
        if start is None:
            return [], count, take
        page = page.filter(Q(created_at__lt=start) | Q(created_at=start, id__lte=cursor))
        take_now = take + 1
    else:
        take_now = take
    reactions = MessageRecord.objects.filter(type=MessageRecord.Type.REACTION).order_by(
        "-modified_at", "-id"
    )
    messages = list(
        page.prefetch_related(
            Prefetch("records", queryset=reactions, to_attr="reactions")
        ).order_by("-created_at", "-id")[:take_now]
    )
    return messages, count, take


def room_messages_data(messages: list[Message]) -> list[dict]:
    """History items (§3.5): the message as its viewer sees it, with its reactions."""
    return [
        {
            **data,
            "message_records": [record_data(r, room_id=m.room_id) for r in m.reactions],
        }
        for m, data in zip(messages, messages_data(messages), strict=True)
    ]


def messages_changed_page(
    *, user_id: int, device_created_at: datetime, since: datetime, page: int, modified_only: bool
) -> tuple[list[Message], int]:
    """Messages that changed for this member after ``since``, oldest change first (§5.5.16).

    With ``modified_only``: only those edited or deleted (for all, or for this member) after
    they were sent (§5.5.17).
    """
    messages = (
        messages_of_member(user_id=user_id)
        .filter(created_at__gte=device_created_at)
        .annotate(changed_at=Greatest("modified_at", Coalesce("hidden_at", "modified_at")))
        .filter(changed_at__gt=since)
    )
    if modified_only:
        messages = messages.filter(changed_at__gt=F("created_at") + EDIT_TOLERANCE)
    count = messages.count()
    start = (page - 1) * SYNC_PAGE
    rows = list(messages.order_by("changed_at", "id")[start : start + SYNC_PAGE])
    return rows, count


def records_changed_page(
    *, user_id: int, device_created_at: datetime, since: datetime, page: int
) -> tuple[list[dict], int]:
    """Records changed after ``since`` on messages this member sees, oldest first (§5.6).

    Soft-deleted reactions come as tombstones. As Spika, only messages that changed after the
    device was registered.
    """
    records = MessageRecord.objects.filter(
        modified_at__gt=since,
        message__room__members__user_id=user_id,
        message__created_at__gte=F("message__room__members__created_at"),
        message__modified_at__gte=device_created_at,
    ).select_related("message")
    count = records.count()
    start = (page - 1) * RECORD_SYNC_PAGE
    rows = records.order_by("modified_at", "id")[start : start + RECORD_SYNC_PAGE]
    return [_record_with_message(r) for r in rows], count


def _record_with_message(record: MessageRecord) -> dict:
    message = record.message
    return {
        **record_data(record, room_id=message.room_id),
        "message": {
            "id": message.id,
            "total_user_count": message.total_user_count,
            "delivered_count": message.delivered_count,
            "seen_count": message.seen_count,
            "room_id": message.room_id,
        },
    }


def private_room_blocked_by(*, user_id: int, room: Room) -> bool:
    """Whether ``user_id`` blocked the other member of a private room ("Room is blocked")."""
    if room.type != Room.Type.PRIVATE:
        return False
    return (
        Block.objects.filter(user_id=user_id, blocked__memberships__room=room)
        .exclude(blocked_id=user_id)
        .exists()
    )
