"""Room events: built per recipient, and coalesced to one per room and recipient per transaction.

Why room events are not built at the moment of each change, like the others: a room's
changes come in runs. ``POST /rooms`` saves the Room row and then one RoomUser row per member;
adding ten members saves ten rows; every member's copy carries their own flags and unread
count. Building at each row would send NEW_ROOM to nobody (no members yet) and then a storm
of UPDATE_ROOMs, each costing queries per member.

So a change only *marks* its room in the transaction's ``RoomEventBatch``, an ``on_commit``
callback registered at the first mark. Right after the commit it reads the rooms as
committed and publishes, through the one publishing function, one event per marked room per
recipient: NEW_ROOM for rooms created in the transaction, otherwise UPDATE_ROOM. Because the
batch is registered at the first change, its events go out before the events published later
in the same transaction (a new group reaches its members before its first system message).

What would be lost by then is built eagerly elsewhere: DELETE_ROOM (the members a deleted
room had) and REMOVED_FROM_ROOM. A marked room that is deleted or gone at commit sends
nothing. Rolled back, the batch is discarded with the transaction's other callbacks.
"""

import logging

from django.db import transaction

from chat.models import Room, RoomUser
from chat.selectors import room_flags_of_users, room_member_ids, room_members_unread_counts
from eventstream import payloads
from eventstream.publish import publish

logger = logging.getLogger(__name__)

_NEW = "new"
_UPDATE = "update"


def room_deliveries(
    event_type: str, room: Room, *, recipients: list[int] | None = None
) -> list[tuple[int, dict]]:
    """One room event per recipient (default: every member), each with their own view.

    Four queries however many members: members with users, recipients, flags, unread counts.
    """
    members = list(RoomUser.objects.filter(room_id=room.pk).select_related("user").order_by("id"))
    if recipients is None:
        recipients = room_member_ids(room_id=room.pk)
    flags = room_flags_of_users(room_id=room.pk, user_ids=recipients)
    unread = room_members_unread_counts(room_id=room.pk)
    deliveries = []
    for user_id in recipients:
        view = payloads.RoomView(
            muted=flags[user_id]["muted"],
            pinned=flags[user_id]["pinned"],
            unread_count=unread.get(user_id, 0),
        )
        deliveries.append((user_id, payloads.room_event(event_type, room, members, view)))
    return deliveries


class RoomEventBatch:
    """The rooms one transaction changed; called once, after the commit, to publish."""

    def __init__(self):
        # room id -> _NEW, _UPDATE, or the set of users whose own flags changed (only they
        # hear of it). Insertion order is the order of the first change to each room.
        self.rooms: dict[int, str | set[int]] = {}
        self.done = False

    def mark(self, room_id: int, what) -> None:
        current = self.rooms.get(room_id)
        if current == _NEW or (current == _UPDATE and what != _NEW):
            return
        if isinstance(what, set) and isinstance(current, set):
            current |= what
            return
        self.rooms[room_id] = what

    def __call__(self) -> None:
        self.done = True
        rooms = Room.objects.in_bulk(list(self.rooms))
        for room_id, what in self.rooms.items():
            room = rooms.get(room_id)
            if room is None or room.deleted:
                continue
            try:
                publish(self._deliveries(room, what))
            except Exception:
                # The change is committed; one room's failure must not silence the others.
                logger.exception("room events of room %s were not published", room_id)

    @staticmethod
    def _deliveries(room: Room, what) -> list[tuple[int, dict]]:
        if what == _NEW:
            return room_deliveries(payloads.NEW_ROOM, room)
        members = room_member_ids(room_id=room.pk)
        if what != _UPDATE:
            # A user muting a room they are no longer in learns nothing about it.
            members = [user_id for user_id in members if user_id in what]
        return room_deliveries(payloads.UPDATE_ROOM, room, recipients=members)


def _current_batch() -> RoomEventBatch | None:
    """The batch of the transaction in progress, if a change already registered one.

    It lives only in Django's own list of commit callbacks, so a rolled-back savepoint that
    registered it takes it away too, and the next change starts a new one.
    """
    for _, callback, _ in reversed(transaction.get_connection().run_on_commit):
        if isinstance(callback, RoomEventBatch) and not callback.done:
            return callback
    return None


def _mark(room_id: int, what) -> None:
    batch = _current_batch() if transaction.get_connection().in_atomic_block else None
    if batch is not None:
        batch.mark(room_id, what)
        return
    batch = RoomEventBatch()
    batch.mark(room_id, what)
    # Outside a transaction the change is already committed, and this runs at once.
    transaction.on_commit(batch, robust=True)


def room_created(room_id: int) -> None:
    """NEW_ROOM to every member the room has when the transaction commits."""
    _mark(room_id, _NEW)


def room_changed(room_id: int) -> None:
    """UPDATE_ROOM to every member after the change (unless the room is new: NEW_ROOM says it)."""
    _mark(room_id, _UPDATE)


def room_flags_changed(room_id: int, user_id: int) -> None:
    """UPDATE_ROOM to ``user_id`` alone, whose mute or pin of the room changed."""
    _mark(room_id, {user_id})
