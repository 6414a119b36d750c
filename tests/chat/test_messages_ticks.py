"""POST /messages/delivered and POST /messages/:roomId/seen (§5.5.14-15, §9.3, rule 9)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import MessageRecord
from chat.selectors import room_unread_counts
from chat.signals import records_bulk_created, room_seen
from tests.chat.messages_helpers import joined_earlier, message_in, signals_caught
from tests.factories import room_with


def records_of(user):
    return sorted(MessageRecord.objects.filter(user=user).values_list("message_id", "type"))


# Delivered


def test_delivered_records_each_message_once_per_user(alice, bob, room):
    first, second = message_in(room, bob.user), message_in(room, bob.user)

    with signals_caught(records_bulk_created) as events:
        status, body = alice.api.post("/messages/delivered", {"messageIds": [first.id, second.id]})
    again = alice.api.post("/messages/delivered", {"messageIds": [str(first.id)]})

    assert (status, body) == (200, {"status": "success", "data": {"messageRecords": []}})
    assert again == (200, {"status": "success", "data": {"messageRecords": []}})
    assert records_of(alice.user) == [(first.id, "delivered"), (second.id, "delivered")]
    assert len(events) == 1 and len(events[0]["record_ids"]) == 2
    first.refresh_from_db()
    assert (first.delivered_count, first.seen_count) == (1, 0)


@pytest.mark.parametrize(
    "payload, message",
    [
        ({}, "No messages with given ids found"),
        ({"messageIds": []}, "No messages with given ids found"),
        ({"messageIds": [987654]}, "No messages with given ids found"),
    ],
)
def test_delivered_needs_messages(alice, room, payload, message):
    assert alice.api.post("/messages/delivered", payload) == (
        400,
        {"status": "error", "message": message},
    )


def test_delivered_names_the_missing_ids(alice, bob, room):
    message = message_in(room, bob.user)

    status, body = alice.api.post("/messages/delivered", {"messageIds": [message.id, 987, 654]})

    assert (status, body) == (
        400,
        {"status": "error", "message": "Messages with ids: 987,654 not found"},
    )
    assert not MessageRecord.objects.exists()


def test_delivered_refuses_a_message_of_a_room_the_caller_is_not_in(alice, charlie, room):
    mine = message_in(room, alice.user)
    secret = message_in(room_with(charlie.user), charlie.user)

    status, body = alice.api.post("/messages/delivered", {"messageIds": [mine.id, secret.id]})

    assert (status, body) == (
        400,
        {"status": "error", "message": "One or more message is from room that user is not part of"},
    )
    assert not MessageRecord.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{"messageIds": None}, {"messageIds": "1"}, {"messageIds": [True]}, {"messageIds": [0]}],
)
def test_delivered_rejects_bad_input(alice, room, payload):
    status, body = alice.api.post("/messages/delivered", payload)

    assert status == 400
    assert body["status"] == "error"
    assert not MessageRecord.objects.exists()


# Seen


def test_seen_marks_every_visible_message_seen_and_delivered(alice, bob, room):
    before = message_in(room, bob.user, created_at=timezone.now() - timedelta(days=1))
    theirs, mine = message_in(room, bob.user), message_in(room, alice.user)
    alice.api.post("/messages/delivered", {"messageIds": [theirs.id]})

    with signals_caught(room_seen) as seen_signals:
        status, body = alice.api.post(f"/messages/{room.id}/seen")

    assert (status, body) == (200, {"status": "success", "data": {"messageRecords": []}})
    assert records_of(alice.user) == [
        (theirs.id, "delivered"),
        (theirs.id, "seen"),
        (mine.id, "delivered"),
        (mine.id, "seen"),
    ]
    assert not before.records.exists()
    assert seen_signals == [{"user_id": alice.user.id, "room_id": room.id}]
    assert room_unread_counts(user_id=alice.user.id) == {}
    theirs.refresh_from_db()
    assert (theirs.delivered_count, theirs.seen_count) == (1, 1)


def test_seen_clears_the_unread_count(alice, bob, room):
    message_in(room, bob.user)
    message_in(room, bob.user)
    assert room_unread_counts(user_id=alice.user.id) == {room.id: 2}

    alice.api.post(f"/messages/{room.id}/seen")

    assert room_unread_counts(user_id=alice.user.id) == {}


def test_seen_does_not_count_the_senders_own_records_twice(alice, room):
    alice.api.post("/messages", {"roomId": room.id, "type": "text", "body": {"text": "hi"}})

    alice.api.post(f"/messages/{room.id}/seen")

    message = room.messages.get()
    assert (message.delivered_count, message.seen_count) == (1, 1)
    assert MessageRecord.objects.count() == 2


def test_seen_with_nothing_unseen_still_tells_the_callers_devices(alice, room):
    with signals_caught(records_bulk_created) as records, signals_caught(room_seen) as seen:
        status, _ = alice.api.post(f"/messages/{room.id}/seen")

    assert status == 200
    assert records == []
    assert seen == [{"user_id": alice.user.id, "room_id": room.id}]


@pytest.mark.parametrize("room_id", ["abc", "1.5", ""])
def test_seen_needs_a_numeric_room_id(alice, room, room_id):
    status, body = alice.api.post(f"/messages/{room_id}/seen")

    assert (status, body) in [
        (400, {"status": "error", "message": "roomId must be number"}),
        (404, {"status": "error", "message": "Not found"}),
    ]


@pytest.mark.parametrize("which", ["charlies", "987654", "456464368456464368456464368"])
def test_seen_of_a_room_the_caller_is_not_in_is_refused(alice, charlie, which):
    own = room_with(charlie.user)
    joined_earlier(own, charlie.user)
    message_in(own, charlie.user)
    room_id = own.id if which == "charlies" else which

    with signals_caught(room_seen) as seen:
        status, body = alice.api.post(f"/messages/{room_id}/seen")

    assert (status, body) == (400, {"status": "error", "message": "user is not in this room"})
    assert not MessageRecord.objects.filter(user=alice.user).exists()
    assert seen == []
