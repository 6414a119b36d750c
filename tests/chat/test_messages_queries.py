"""No N+1: the number of queries of the list routes and of the send fan-out does not grow
with the number of messages, records or members. Events are published (on-commit callbacks
run) inside the measurement, so their queries count too.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.models import File
from eventstream import storage
from tests.chat.messages_helpers import joined_earlier, message_in
from tests.factories import MessageRecordFactory, UserFactory, room_with


@pytest.fixture
def measure(django_capture_on_commit_callbacks, monkeypatch):
    # The event store's retention trim runs at most once a minute, whatever the request: it
    # is housekeeping, not part of a route's cost, so it must not fall into one measurement.
    monkeypatch.setattr(storage, "_last_trim", timezone.now())

    def measure(call):
        with CaptureQueriesContext(connection) as queries:
            with django_capture_on_commit_callbacks(execute=True):
                status, body = call()
        assert status == 200, body
        return len(queries)

    return measure


# Members and messages of the "large" room: many times the small one's events, yet few enough
# that the events fit one multi-row INSERT on SQLite too (Django splits a bulk insert at
# SQLite's 999 parameters; that is batching, not a query per row).
LARGE = (6, 16)


def room_of(persona, members: int, messages: int):
    others = [UserFactory() for _ in range(members - 1)]
    room = room_with(persona.user, *others)
    joined_earlier(room, persona.user, *others)
    image = File.objects.create(file_name="a.png")
    for i in range(messages):
        author = others[i % len(others)]
        if i % 3:
            message = message_in(room, author, f"m{i}")
        else:
            message = message_in(room, author, type="image", body={"fileId": image.id})
        MessageRecordFactory(message=message, user=author, type="reaction", reaction="👍")
        MessageRecordFactory(message=message, user=author, type="seen")
    # Edited a minute after sending: every message is in both syncs, media ones included.
    room.messages.update(modified_at=F("created_at") + timedelta(minutes=1))
    return room


def warm_up(alice):
    """One-time work (the first event of a channel, say) must not land in a measurement."""
    room = room_of(alice, 2, 1)
    alice.api.get(f"/messages/roomId/{room.id}")


def test_room_history_queries_do_not_grow(alice, measure):
    small, large = room_of(alice, 2, 2), room_of(alice, *LARGE)
    warm_up(alice)

    small_count = measure(lambda: alice.api.get(f"/messages/roomId/{small.id}"))
    large_count = measure(lambda: alice.api.get(f"/messages/roomId/{large.id}"))

    assert small_count == large_count


def test_history_read_again_queries_do_not_grow(alice, measure):
    small, large = room_of(alice, 2, 2), room_of(alice, *LARGE)
    alice.api.get(f"/messages/roomId/{small.id}")
    alice.api.get(f"/messages/roomId/{large.id}")

    small_count = measure(lambda: alice.api.get(f"/messages/roomId/{small.id}"))
    large_count = measure(lambda: alice.api.get(f"/messages/roomId/{large.id}"))

    assert small_count == large_count


@pytest.mark.parametrize(
    "path", ["/messages/sync/0", "/messages/sync/modified/0", "/message-records/sync/0"]
)
def test_sync_queries_do_not_grow(alice, measure, path):
    room_of(alice, 2, 1)
    small_count = measure(lambda: alice.api.get(path))
    room_of(alice, *LARGE)
    large_count = measure(lambda: alice.api.get(path))

    assert small_count == large_count


def test_send_fan_out_queries_do_not_grow_with_members(alice, measure):
    small, large = room_of(alice, 2, 0), room_of(alice, 25, 0)
    text = {"type": "text", "body": {"text": "hi"}}
    alice.api.post("/messages", {"roomId": small.id, **text})  # warm caches

    small_count = measure(lambda: alice.api.post("/messages", {"roomId": small.id, **text}))
    large_count = measure(lambda: alice.api.post("/messages", {"roomId": large.id, **text}))

    assert small_count == large_count


def test_seen_queries_do_not_grow(alice, measure):
    small, large = room_of(alice, 2, 2), room_of(alice, *LARGE)
    warm_up(alice)

    small_count = measure(lambda: alice.api.post(f"/messages/{small.id}/seen"))
    large_count = measure(lambda: alice.api.post(f"/messages/{large.id}/seen"))

    assert small_count == large_count
