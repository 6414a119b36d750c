"""Reads of stored events for operators and developers (replay, inspection).

The stream's own reads (resume after an id) live in ``eventstream.storage``; these choose
events across channels by user, room, type, time and id, for ``manage.py replay_events``.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import JSONField, Q, QuerySet
from django.db.models.functions import Cast

from eventstream import payloads
from eventstream.models import StoredEvent
from spika.schemas import to_millis

EVENT_TYPES = (
    payloads.NEW_MESSAGE,
    payloads.UPDATE_MESSAGE,
    payloads.DELETE_MESSAGE,
    payloads.NEW_MESSAGE_RECORD,
    payloads.DELETE_MESSAGE_RECORD,
    payloads.NEW_ROOM,
    payloads.UPDATE_ROOM,
    payloads.DELETE_ROOM,
    payloads.SEEN_ROOM,
    payloads.USER_UPDATE,
    payloads.REMOVED_FROM_ROOM,
)


@dataclass(frozen=True, kw_only=True)
class EventQuery:
    """Which stored events: every field that is set narrows the choice.

    ``from_id``/``to_id`` are the SSE ids (``seq``), which count per channel: with several
    users (or none) they apply to each channel's ids. Both ends of each range are included.
    """

    user_ids: tuple[int, ...] = ()
    room_id: int | None = None
    types: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    from_id: int | None = None
    to_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoredEventView:
    pk: int
    user_id: int
    seq: int
    created_at: datetime
    data: str

    @property
    def payload(self) -> dict:
        return json.loads(self.data)

    def as_json_line(self) -> str:
        """One line for ``jq``: the channel, the SSE id, when it was stored, the payload."""
        return json.dumps(
            {
                "userId": self.user_id,
                "id": self.seq,
                "storedAt": to_millis(self.created_at),
                "data": self.payload,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )


# Every place a payload names its room (events.md §3), as paths of keys.
ROOM_PATHS = (("roomId",), ("message", "roomId"), ("messageRecord", "roomId"), ("room", "id"))


def _room_matches(room_id: int) -> Q:
    """``payload_names_room`` as a filter on the ``payload`` annotation."""
    matches = Q()
    for path in ROOM_PATHS:
        matches |= Q(**{"__".join(("payload", *path)): room_id})
    return matches


def payload_names_room(payload: dict, room_id: int) -> bool:
    """Whether the event is about the room, wherever its family puts the room's id."""
    for path in ROOM_PATHS:
        value = payload
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value == room_id:
            return True
    return False


def stored_events(query: EventQuery) -> QuerySet:
    """The stored events ``query`` chooses, oldest first (by storage order)."""
    events = StoredEvent.objects.all()
    if query.user_ids:
        events = events.filter(user_id__in=query.user_ids)
    if query.since is not None:
        events = events.filter(created_at__gte=query.since)
    if query.until is not None:
        events = events.filter(created_at__lte=query.until)
    if query.from_id is not None:
        events = events.filter(seq__gte=query.from_id)
    if query.to_id is not None:
        events = events.filter(seq__lte=query.to_id)
    if query.types or query.room_id is not None:
        events = events.annotate(payload=Cast("data", JSONField()))
        if query.types:
            events = events.filter(payload__type__in=list(query.types))
        if query.room_id is not None:
            events = events.filter(_room_matches(query.room_id))
    return events.order_by("pk")


def stored_events_batches(
    query: EventQuery, *, batch_size: int = 500, up_to_pk: int | None = None
) -> Iterator[list[StoredEventView]]:
    """The chosen events in batches, by keyset (no long-open cursor, no OFFSET).

    ``up_to_pk`` fixes the end, so that events stored while the caller works (a replay
    stores what it sends) are not chosen again.
    """
    events = stored_events(query)
    if up_to_pk is not None:
        events = events.filter(pk__lte=up_to_pk)
    after = 0
    while True:
        rows = list(
            events.filter(pk__gt=after).values_list("pk", "user_id", "seq", "created_at", "data")[
                :batch_size
            ]
        )
        if not rows:
            return
        yield [StoredEventView(*row) for row in rows]
        after = rows[-1][0]


def stored_events_last_pk() -> int:
    """The newest stored event's row id (0 when there is none)."""
    last = StoredEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0
