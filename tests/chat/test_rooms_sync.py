"""GET /rooms/sync/:lastUpdate?page= (spec §5.4, §8)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import UserSetting
from chat.models import Room, RoomUser
from tests.accounts.shapes import error, success
from tests.chat.expected import ms, queries_of, room_json
from tests.factories import MessageFactory, UserFactory, room_with


def _age(room, *, days):
    Room.objects.filter(pk=room.pk).update(modified_at=timezone.now() - timedelta(days=days))
    RoomUser.objects.filter(room=room).update(created_at=timezone.now() - timedelta(days=days))


def test_sync_answers_rooms_changed_since_the_timestamp(alice, bob, charlie):
    old = room_with(alice.user, bob.user, name="old")
    changed = room_with(alice.user, bob.user, name="changed")
    muted = room_with(alice.user, bob.user, name="muted")
    deleted = room_with(alice.user, bob.user, name="deleted", deleted=True)
    room_with(bob.user, charlie.user, name="not alice's")
    for room in (old, muted):
        _age(room, days=3)
    UserSetting.objects.create(user=alice.user, key=f"mute_{muted.pk}", value="true")
    since = ms(timezone.now() - timedelta(days=1))
    status, body = alice.api.get(f"/rooms/sync/{since}")
    assert status == 200
    assert body == success(
        {
            "list": [room_json(changed), room_json(muted, muted=True), room_json(deleted)],
            "limit": 100,
            "count": 3,
            "hasNext": False,
        }
    )


def test_sync_leaves_out_rooms_the_caller_left(alice, bob, charlie):
    room = room_with(alice.user, bob.user, charlie.user)
    RoomUser.objects.get(room=room, user=alice.user).delete()
    status, body = alice.api.get("/rooms/sync/0")
    assert body == success({"list": [], "limit": 100, "count": 0, "hasNext": False})


def test_sync_pages_a_hundred_rooms_at_a_time(alice):
    rooms = [room_with(alice.user, name=f"{i}") for i in range(101)]
    _, first = alice.api.get("/rooms/sync/0")
    _, second = alice.api.get("/rooms/sync/0?page=2")
    assert (first["data"]["count"], first["data"]["hasNext"]) == (101, True)
    assert [r["id"] for r in first["data"]["list"]] == [r.pk for r in rooms[:100]]
    assert second == success(
        {"list": [room_json(rooms[100])], "limit": 100, "count": 101, "hasNext": False}
    )


def test_a_timestamp_in_the_far_future_or_past_is_no_error(alice):
    room = room_with(alice.user)
    assert alice.api.get("/rooms/sync/99999999999999999999")[1]["data"]["count"] == 0
    _, body = alice.api.get("/rooms/sync/-99999999999999999999")
    assert [r["id"] for r in body["data"]["list"]] == [room.pk]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/rooms/sync/abc58", "lastUpdate must be number"),
        ("/rooms/sync/1.5", "lastUpdate must be number"),
        ("/rooms/sync/0?page=x", "page must be valid number"),
        ("/rooms/sync/0?page=0", "page must be valid number"),
        ("/rooms/sync/0?page=-1", "page must be valid number"),
    ],
)
def test_sync_refuses_bad_numbers(alice, path, message):
    assert alice.api.get(path) == (400, error(message))


def test_sync_takes_the_same_queries_for_many_rooms(alice, bob, django_assert_num_queries):
    def fill(n):
        for _ in range(n):
            room = room_with(alice.user, bob.user, *UserFactory.create_batch(2))
            MessageFactory(room=room, from_user=bob.user)
            UserSetting.objects.create(user=alice.user, key=f"pin_{room.pk}", value="true")

    fill(1)
    alice.api.get("/rooms/sync/0")
    baseline = queries_of(lambda: alice.api.get("/rooms/sync/0"))
    fill(10)
    with django_assert_num_queries(baseline):
        status, body = alice.api.get("/rooms/sync/0")
    assert body["data"]["count"] == 11
