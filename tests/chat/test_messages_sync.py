"""GET /messages/sync/:lastUpdate and /messages/sync/modified/:lastUpdate (§5.5.16-17, §8)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import HiddenMessage, Message, RoomUser
from spika.schemas import to_millis
from tests.chat.messages_helpers import deleted_json, joined_earlier, message_in, message_json
from tests.factories import room_with


@pytest.fixture
def room(alice, bob):
    room = room_with(alice.user, bob.user)
    joined_earlier(room, alice.user, bob.user)
    type(alice.device).objects.filter(pk=alice.device.pk).update(
        created_at=timezone.now() - timedelta(minutes=50)
    )
    alice.device.refresh_from_db()
    return room


def at(minutes_ago):
    return timezone.now() - timedelta(minutes=minutes_ago)


def touch(message, minutes_ago):
    Message.objects.filter(pk=message.pk).update(modified_at=at(minutes_ago))


def test_sync_lists_what_changed_after_the_timestamp_oldest_first(alice, bob, room):
    old = message_in(room, bob.user, "old", created_at=at(40))
    touch(old, 40)
    edited = message_in(room, bob.user, "edited", created_at=at(30))
    touch(edited, 5)
    new = message_in(room, alice.user, "new", created_at=at(10))
    touch(new, 10)

    status, body = alice.api.get(f"/messages/sync/{to_millis(at(20))}")

    assert status == 200
    assert body == {
        "status": "success",
        "data": {
            "list": [message_json(new), message_json(edited)],
            "limit": 100,
            "count": 2,
            "hasNext": False,
        },
    }


def test_modified_sync_lists_only_edited_and_deleted_messages(alice, bob, room):
    untouched = message_in(room, bob.user, "untouched", created_at=at(10))
    Message.objects.filter(pk=untouched.pk).update(modified_at=untouched.created_at)
    edited = message_in(room, bob.user, "edited", created_at=at(30))
    touch(edited, 5)
    deleted = message_in(room, bob.user, "deleted", created_at=at(30))
    bob.api.delete(f"/messages/{deleted.id}?target=all")
    hidden = message_in(room, bob.user, "hidden", created_at=at(30))
    touch(hidden, 30)
    alice.api.delete(f"/messages/{hidden.id}?target=user")
    hidden_at = to_millis(HiddenMessage.objects.get().created_at)

    status, body = alice.api.get(f"/messages/sync/modified/{to_millis(at(20))}")

    items = [
        message_json(edited),
        deleted_json(deleted),
        message_json(hidden, body={"text": "Deleted message"}, deleted=True, modifiedAt=hidden_at),
    ]
    assert status == 200
    assert body == {
        "status": "success",
        "data": {"list": items, "limit": 100, "count": 3, "hasNext": False, "messages": items},
    }


def test_sync_leaves_out_rooms_left_others_rooms_and_older_things(alice, bob, charlie, room):
    message_in(room_with(charlie.user), charlie.user, "secret")
    left = room_with(alice.user, bob.user)
    joined_earlier(left, alice.user, bob.user)
    message_in(left, bob.user, "after alice left")
    RoomUser.objects.filter(room=left, user=alice.user).delete()
    message_in(room, bob.user, "before alice joined", created_at=at(24 * 60))
    message_in(room, bob.user, "before this device", created_at=at(55))

    _, body = alice.api.get("/messages/sync/0")

    assert body["data"] == {"list": [], "limit": 100, "count": 0, "hasNext": False}


def test_sync_pages_by_one_hundred(alice, bob, room):
    start = at(40)
    Message.objects.bulk_create(
        Message(
            room=room,
            from_user=bob.user,
            body={"text": str(i)},
            created_at=start,
            modified_at=start + timedelta(seconds=i),
        )
        for i in range(101)
    )

    _, first = alice.api.get("/messages/sync/0?page=1")
    _, second = alice.api.get("/messages/sync/0?page=2")

    assert (len(first["data"]["list"]), first["data"]["count"], first["data"]["hasNext"]) == (
        100,
        101,
        True,
    )
    assert [m["body"] for m in second["data"]["list"]] == [{"text": "100"}]
    assert second["data"]["hasNext"] is False


@pytest.mark.parametrize("route", ["/messages/sync", "/messages/sync/modified"])
@pytest.mark.parametrize(
    "path, message",
    [
        ("/abc58", "lastUpdate must be number"),
        ("/0?page=x", "page must be valid number"),
        ("/0?page=0", "page must be valid number"),
        ("/0?page=-3", "page must be valid number"),
    ],
)
def test_sync_rejects_bad_numbers(alice, route, path, message):
    assert alice.api.get(route + path) == (400, {"status": "error", "message": message})


@pytest.mark.parametrize("last_update", ["99999999999999999999999", "-99999999999999999999999"])
def test_sync_survives_timestamps_beyond_the_calendar(alice, bob, room, last_update):
    message_in(room, bob.user, created_at=at(10))

    status, body = alice.api.get(f"/messages/sync/{last_update}")

    assert status == 200
    assert body["data"]["count"] == (0 if not last_update.startswith("-") else 1)
