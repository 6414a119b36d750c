"""Writes of message records: delivered and seen ticks, and reactions (spec §4.4, §5.6, §9.3).

Counters. ``deliveredCount`` and ``seenCount`` are the numbers of distinct users with such a
record; the unique constraint on (message, user, type) makes a record exist once per user,
however many devices report it. ``records_mark`` takes row locks on the messages, in id order
(so two callers never deadlock), before it looks for missing records; whoever comes second
waits, then sees the first one's records and inserts nothing twice. It then recomputes the
counters from the records in one UPDATE, so a counter always equals its records.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from chat.models import Message, MessageRecord
from chat.selectors_messages import private_room_blocked_by
from chat.signals import records_bulk_created
from spika.errors import ApiError

DELIVERED = MessageRecord.Type.DELIVERED
SEEN = MessageRecord.Type.SEEN
REACTION = MessageRecord.Type.REACTION
DELETED_REACTION = "Deleted reaction"


def _count_of(record_type: str) -> Coalesce:
    records = (
        MessageRecord.objects.filter(message_id=OuterRef("pk"), type=record_type)
        .order_by()
        .values("message_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(records, output_field=IntegerField()), 0)


def message_counts_refresh(*, message_ids: Iterable[int]) -> None:
    """Set each message's delivered and seen counts from its records (one UPDATE)."""
    Message.objects.filter(id__in=list(message_ids)).update(
        delivered_count=_count_of(DELIVERED), seen_count=_count_of(SEEN)
    )


@transaction.atomic(savepoint=False)
def records_mark(*, user_id: int, message_ids: Iterable[int], types: Iterable[str]) -> list[int]:
    """Give ``user_id`` a record of each type on each message that lacks one.

    Returns the ids of the records created. Existing records are left alone and produce no
    event (Spika's worker is idempotent per user). New ones reach clients as
    NEW_MESSAGE_RECORD through ``records_bulk_created``, sent after the counters moved so the
    events carry the counts after the change.
    """
    types = tuple(types)
    wanted = sorted(set(message_ids))
    if not wanted:
        return []
    locked = list(
        Message.objects.select_for_update(no_key=True)
        .filter(id__in=wanted)
        .order_by("id")
        .values_list("id", flat=True)
    )
    existing = set(
        MessageRecord.objects.filter(
            user_id=user_id, type__in=types, message_id__in=locked
        ).values_list("message_id", "type")
    )
    now = timezone.now()
    new = [
        MessageRecord(message_id=m, user_id=user_id, type=t, created_at=now, modified_at=now)
        for m in locked
        for t in types
        if (m, t) not in existing
    ]
    if not new:
        return []
    MessageRecord.objects.bulk_create(new)
    message_counts_refresh(message_ids={r.message_id for r in new})
    record_ids = [r.id for r in new]
    records_bulk_created.send(sender=MessageRecord, record_ids=record_ids)
    return record_ids


@transaction.atomic
def reaction_set(*, user, message: Message, reaction: str) -> MessageRecord:
    """Add or replace ``user``'s reaction on a message they can see (§5.6 POST).

    A taken-back reaction is revived in place: the record keeps its id.
    """
    if private_room_blocked_by(user_id=user.id, room=message.room):
        raise ApiError(403, "Room is blocked")
    record, created = MessageRecord.objects.get_or_create(
        message=message, user=user, type=REACTION, defaults={"reaction": reaction}
    )
    if not created:
        record.reaction = reaction
        record.is_deleted = False
        record.save(update_fields=["reaction", "is_deleted", "modified_at"])
    return record


@transaction.atomic
def reaction_delete(*, user, record_id: int | None) -> MessageRecord:
    """Take back ``user``'s reaction: a soft delete that keeps the row (§5.6 DELETE)."""
    record = MessageRecord.objects.filter(id=record_id, user=user).first()
    if record is None:
        raise ApiError(404, "Not found")
    if record.type != REACTION:
        raise ApiError(404, "Only reactions can be deleted")
    record.is_deleted = True
    record.reaction = DELETED_REACTION
    record.save(update_fields=["reaction", "is_deleted", "modified_at"])
    return record
