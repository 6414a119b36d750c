"""Operator and developer writes of events: replay stored ones, send an object's current state.

The current state repairs clients after a manual database fix (a row changed with SQL or
``QuerySet.update``, which no signal saw): it goes out as the object's UPDATE_* event, built by
the same payload functions and for the same recipients as the events of a normal change.

Both go through ``eventstream.publish.publish``, the one publishing path: a replayed or
repaired event is stored again under the channel's next id and announced like any other, so
a connected client receives it live and a disconnected one on its next resume.
"""

from collections.abc import Callable

from accounts.models import User
from chat.models import Message, Room
from chat.selectors import room_member_ids, user_audience_ids
from chat.selectors_messages import files_of
from eventstream import payloads, rooms
from eventstream.publish import publish
from eventstream.selectors import EventQuery, stored_events_batches, stored_events_last_pk


def events_replay(
    query: EventQuery,
    *,
    batch_size: int = 500,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Publish the stored events ``query`` chooses again, in their order; returns how many.

    Only events stored before the call are chosen (the replay's own are not replayed again).
    ``on_batch`` is told the running total after each batch (progress on long runs).
    """
    sent = 0
    last_pk = stored_events_last_pk()
    for batch in stored_events_batches(query, batch_size=batch_size, up_to_pk=last_pk):
        publish((event.user_id, event.payload) for event in batch)
        sent += len(batch)
        if on_batch is not None:
            on_batch(sent)
    return sent


def _only(audience: list[int], user_ids) -> list[int]:
    if user_ids is None:
        return audience
    wanted = set(user_ids)
    return [user_id for user_id in audience if user_id in wanted]


def room_state_deliveries(*, room: Room, user_ids=None) -> list[tuple[int, dict]]:
    """UPDATE_ROOM with the room as it is now, for every member (or those of ``user_ids``
    who are members), each with their own flags and unread count."""
    recipients = _only(room_member_ids(room_id=room.pk), user_ids)
    return rooms.room_deliveries(payloads.UPDATE_ROOM, room, recipients=recipients)


def message_state_deliveries(*, message: Message, user_ids=None) -> list[tuple[int, dict]]:
    """UPDATE_MESSAGE with the message as it is now, for the members of its room."""
    payload = payloads.update_message(message, files=files_of([message]))
    return [(u, payload) for u in _only(room_member_ids(room_id=message.room_id), user_ids)]


def user_state_deliveries(*, user: User, user_ids=None) -> list[tuple[int, dict]]:
    """USER_UPDATE with the profile as it is now, for the user and everyone sharing a room."""
    payload = payloads.user_update(user)
    return [(u, payload) for u in _only(user_audience_ids(user_id=user.pk), user_ids)]


def state_publish(deliveries: list[tuple[int, dict]]) -> int:
    """Send what the ``*_state_deliveries`` built; returns how many events."""
    publish(deliveries)
    return len(deliveries)
