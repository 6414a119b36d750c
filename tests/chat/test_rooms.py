"""POST /rooms, GET /rooms, /rooms/:id, /rooms/users/:id, /rooms/unread-count, mute and pin."""

import pytest

from accounts.models import UserSetting
from chat.models import Message, MessageRecord, Room, RoomUser
from tests.accounts.shapes import error, success
from tests.chat.expected import befriend, queries_of, room_json, system_messages
from tests.factories import MessageFactory, UserFactory, room_with

HUGE = "99999999999999999999999"


# POST /rooms


def test_it_creates_a_private_room_with_a_contact(alice, bob):
    befriend(alice.user, bob.user)
    status, body = alice.api.post("/rooms", {"userIds": [bob.user.pk]})
    room = Room.objects.get()
    assert status == 200
    assert body == success({"room": room_json(room)})
    assert (room.type, room.name) == ("private", "")
    assert [(u["userId"], u["isAdmin"]) for u in body["data"]["room"]["users"]] == [
        (bob.user.pk, False),
        (alice.user.pk, True),
    ]
    assert not Message.objects.exists()


def test_a_second_private_room_with_the_same_user_is_the_existing_one(alice, bob):
    befriend(alice.user, bob.user)
    _, first = alice.api.post("/rooms", {"userIds": [bob.user.pk]})
    status, again = alice.api.post("/rooms", {"userIds": [bob.user.pk]})
    status_bob, from_bob = bob.api.post("/rooms", {"userIds": [alice.user.pk]})
    assert (status, status_bob) == (200, 200)
    assert again["data"]["room"]["id"] == from_bob["data"]["room"]["id"]
    assert again["data"]["room"]["id"] == first["data"]["room"]["id"]
    assert Room.objects.count() == 1


def test_it_refuses_a_private_room_with_someone_not_in_the_phone_book(alice, bob):
    status, body = alice.api.post("/rooms", {"userIds": [bob.user.pk]})
    assert (status, body) == (400, error("Other user is not your contact"))
    assert not Room.objects.exists()


def test_it_creates_a_group_and_posts_the_creation_message(alice, bob, charlie):
    status, body = alice.api.post(
        "/rooms", {"userIds": [bob.user.pk, charlie.user.pk], "name": "Team", "type": "group"}
    )
    room = Room.objects.get()
    assert status == 200
    assert body == success({"room": room_json(room)})
    assert (room.type, room.name) == ("group", "Team")
    assert system_messages(room) == [
        {
            "text": "alice created the group Team",
            "subject": "alice",
            "subjectId": alice.user.pk,
            "type": "created_group",
            "objects": ["Team"],
            "objectIds": [room.pk],
        }
    ]
    message = Message.objects.get()
    assert (message.from_user_id, message.total_user_count) == (alice.user.pk, 3)
    assert (message.delivered_count, message.seen_count) == (1, 1)
    assert set(MessageRecord.objects.values_list("user_id", "type")) == {
        (alice.user.pk, "delivered"),
        (alice.user.pk, "seen"),
    }
    # Posted at the members' join time: visible to all of them, unread for nobody.
    assert message.created_at == message.modified_at
    assert set(RoomUser.objects.values_list("created_at", flat=True)) == {message.created_at}
    assert bob.api.get("/rooms/unread-count") == (200, success({"unreadCounts": []}))


@pytest.mark.parametrize(
    ("others", "fields", "name", "type"),
    [
        (2, {}, "Untitled room", "group"),
        (1, {"type": "custom"}, "", "custom"),
        (0, {"type": "custom"}, "Private room", "custom"),
        (2, {"type": "custom", "name": "Mine"}, "Mine", "custom"),
    ],
)
def test_it_names_and_types_rooms_by_their_size(alice, others, fields, name, type):
    users = UserFactory.create_batch(others)
    befriend(alice.user, *users)
    status, body = alice.api.post("/rooms", {"userIds": [u.pk for u in users], **fields})
    assert status == 200
    assert (body["data"]["room"]["name"], body["data"]["room"]["type"]) == (name, type)
    # Only groups announce themselves; custom types do not (spec §5.4 step 9).
    assert Message.objects.filter(type="system").count() == (1 if type == "group" else 0)


def test_listed_admins_become_members_and_admins(alice, bob, charlie):
    status, body = alice.api.post(
        "/rooms", {"userIds": [bob.user.pk], "adminUserIds": [charlie.user.pk], "name": "A"}
    )
    assert status == 200
    assert sorted((u["userId"], u["isAdmin"]) for u in body["data"]["room"]["users"]) == sorted(
        [(bob.user.pk, False), (charlie.user.pk, True), (alice.user.pk, True)]
    )


def test_array_elements_are_cast_like_spikas(alice, bob, charlie):
    status, body = alice.api.post("/rooms", {"userIds": [str(bob.user.pk), charlie.user.pk]})
    assert status == 200
    assert body["data"]["room"]["type"] == "group"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"userIds": [987654321]}, "Users doesn't exist, ids: 987654321"),
        ({"adminUserIds": [987654321]}, "Admin users doesn't exist, ids: 987654321"),
        ({"userIds": [], "type": "private"}, "Private room must have 2 users"),
        ({"userIds": []}, "Private room must have 2 users"),
    ],
)
def test_it_refuses_impossible_rooms(alice, payload, message):
    status, body = alice.api.post("/rooms", payload)
    assert (status, body) == (400, error(message))
    assert not Room.objects.exists()


def test_a_private_room_of_three_is_refused(alice, bob, charlie):
    befriend(alice.user, bob.user, charlie.user)
    payload = {"userIds": [bob.user.pk, charlie.user.pk], "type": "private"}
    assert alice.api.post("/rooms", payload) == (400, error("Private room must have 2 users"))
    assert not Room.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        '{"userIds": [',
        '{"userIds": "x"}',
        '{"userIds": 42}',
        '{"userIds": ["string"]}',
        '{"userIds": [true]}',
        '{"userIds": [0]}',
        '{"userIds": [99999999999999999999999]}',
        '{"adminUserIds": ["string"]}',
        '{"name": [42]}',
        '{"type": 42}',
        '{"type": "aaaaaaaaaaaaaaaaaaaaaaaa"}',
        '{"avatarFileId": "[42]"}',
        "[]",
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(alice, raw):
    status, body = alice.api.post("/rooms", raw=raw)
    assert status == 400
    assert body["status"] == "error"
    assert not Room.objects.exists()


def test_creating_needs_a_signed_in_device(anonymous):
    assert anonymous.post("/rooms", {"userIds": []})[0] == 401


# GET /rooms/:id


def test_a_member_gets_the_room_with_their_own_flags(alice, bob):
    room = room_with(alice.user, bob.user, admins=[alice.user], name="Pair")
    UserSetting.objects.create(user=alice.user, key=f"pin_{room.pk}", value="true")
    MessageFactory(room=room, from_user=bob.user)
    status, body = alice.api.get(f"/rooms/{room.pk}")
    assert status == 200
    assert body == success({"room": room_json(room, pinned=True, unread=1)})


def test_a_deleted_room_is_still_shown_to_its_members(alice, bob, charlie):
    room = room_with(alice.user, bob.user, charlie.user, deleted=True)
    status, body = bob.api.get(f"/rooms/{room.pk}")
    assert status == 200
    assert body["data"]["room"]["deleted"] is True


@pytest.mark.parametrize("room_id", ["0", "-1", "abc", "12abc", HUGE, "987654321"])
def test_unknown_room_ids_are_not_found(alice, room_id):
    assert alice.api.get(f"/rooms/{room_id}") == (404, error("Chat not found"))


def test_charlie_never_sees_alice_and_bobs_room(alice, bob, charlie):
    room = room_with(alice.user, bob.user, type=Room.Type.PRIVATE)
    group = room_with(alice.user, bob.user, name="secret")
    assert charlie.api.get(f"/rooms/{room.pk}") == (404, error("Chat not found"))
    assert charlie.api.get(f"/rooms/{group.pk}") == (404, error("Chat not found"))


def test_a_private_room_left_with_one_member_is_not_found(alice, bob):
    room = room_with(alice.user, type=Room.Type.PRIVATE)
    assert alice.api.get(f"/rooms/{room.pk}") == (404, error("Chat not found"))


# GET /rooms


def test_the_list_pages_the_callers_live_rooms_ten_at_a_time(alice, bob, charlie):
    rooms = [room_with(alice.user, bob.user, name=f"r{i:02}") for i in range(12)]
    room_with(alice.user, name="gone", deleted=True)
    room_with(bob.user, charlie.user, name="not alice's")
    status, first = alice.api.get("/rooms")
    assert status == 200
    assert [r["id"] for r in first["data"]["list"]] == [r.pk for r in rooms[:10]]
    status, second = alice.api.get("/rooms?page=2")
    assert second == success({"list": [room_json(r) for r in rooms[10:]], "count": 12, "limit": 10})


def test_the_list_filters_by_name_prefix(alice, bob):
    wanted = room_with(alice.user, bob.user, name="Holiday")
    room_with(alice.user, bob.user, name="Work holiday")
    status, body = alice.api.get("/rooms?keyword=hol")
    assert body == success({"list": [room_json(wanted)], "count": 1, "limit": 10})


def test_charlie_lists_none_of_alice_and_bobs_rooms(alice, bob, charlie):
    room_with(alice.user, bob.user)
    assert charlie.api.get("/rooms") == (200, success({"list": [], "count": 0, "limit": 10}))


@pytest.mark.parametrize("page", ["x", "0", "-2", HUGE])
def test_the_list_refuses_a_bad_page(alice, page):
    assert alice.api.get(f"/rooms?page={page}") == (400, error("page must be valid number"))


def test_the_list_takes_the_same_queries_for_many_rooms_and_members(
    alice, bob, django_assert_num_queries
):
    def fill(n):
        for _ in range(n):
            room = room_with(alice.user, bob.user, *UserFactory.create_batch(3))
            MessageFactory(room=room, from_user=bob.user)
            UserSetting.objects.create(user=alice.user, key=f"mute_{room.pk}", value="true")

    fill(1)
    alice.api.get("/rooms")
    baseline = queries_of(lambda: alice.api.get("/rooms"))
    fill(8)
    with django_assert_num_queries(baseline):
        status, body = alice.api.get("/rooms")
    assert len(body["data"]["list"]) == 9
    assert all(r["muted"] and r["unreadCount"] == 1 for r in body["data"]["list"])


# GET /rooms/users/:userId


def test_the_private_room_with_a_user_is_found(alice, bob):
    room = room_with(alice.user, bob.user, type=Room.Type.PRIVATE, name="")
    room_with(alice.user, bob.user, name="group of two")
    assert alice.api.get(f"/rooms/users/{bob.user.pk}") == (200, success({"room": room_json(room)}))


@pytest.mark.parametrize("user_id", ["0", "abc", HUGE, "987654321"])
def test_no_private_room_for_unknown_users(alice, user_id):
    assert alice.api.get(f"/rooms/users/{user_id}") == (404, error("Chat not found"))


def test_no_private_room_with_oneself_or_without_one(alice, bob, charlie):
    room_with(alice.user, bob.user, type=Room.Type.PRIVATE)
    room_with(alice.user, bob.user, type=Room.Type.PRIVATE, deleted=True)
    assert alice.api.get(f"/rooms/users/{alice.user.pk}") == (404, error("Chat not found"))
    assert charlie.api.get(f"/rooms/users/{alice.user.pk}") == (404, error("Chat not found"))


# GET /rooms/unread-count


def test_unread_counts_list_only_rooms_with_unread_messages(alice, bob, charlie):
    busy = room_with(alice.user, bob.user)
    quiet = room_with(alice.user, bob.user)
    gone = room_with(alice.user, bob.user, deleted=True)
    MessageFactory.create_batch(2, room=busy, from_user=bob.user)
    seen = MessageFactory(room=quiet, from_user=bob.user)
    MessageRecord.objects.create(message=seen, user=alice.user, type="seen")
    MessageFactory(room=quiet, from_user=alice.user)
    MessageFactory(room=gone, from_user=bob.user)
    assert alice.api.get("/rooms/unread-count") == (
        200,
        success({"unreadCounts": [{"roomId": busy.pk, "unreadCount": 2}]}),
    )
    assert charlie.api.get("/rooms/unread-count") == (200, success({"unreadCounts": []}))


# mute, unmute, pin, unpin


@pytest.mark.parametrize(
    ("flag", "key", "value"), [("mute", "muted", True), ("pin", "pinned", True)]
)
def test_mute_and_pin_set_the_callers_flag(alice, bob, flag, key, value):
    room = room_with(alice.user, bob.user)
    status, body = alice.api.post(f"/rooms/{room.pk}/{flag}")
    assert (status, body) == (200, success({"room": room_json(room, **{key: value})}))
    assert alice.api.post(f"/rooms/{room.pk}/{flag}")[0] == 200
    assert UserSetting.objects.filter(user=alice.user, value="true").count() == 1
    assert bob.api.get(f"/rooms/{room.pk}")[1]["data"]["room"][key] is False


@pytest.mark.parametrize(("flag", "undo"), [("mute", "unmute"), ("pin", "unpin")])
def test_unmute_and_unpin_are_idempotent(alice, bob, flag, undo):
    room = room_with(alice.user, bob.user, deleted=True)
    assert alice.api.post(f"/rooms/{room.pk}/{undo}") == (200, success({"room": room_json(room)}))
    alice.api.post(f"/rooms/{room.pk}/{flag}")
    assert alice.api.post(f"/rooms/{room.pk}/{undo}") == (200, success({"room": room_json(room)}))
    assert not UserSetting.objects.exists()


@pytest.mark.parametrize("flag", ["mute", "unmute", "pin", "unpin"])
def test_flags_of_unknown_or_foreign_rooms_are_refused(alice, bob, charlie, flag):
    room = room_with(alice.user, bob.user)
    assert charlie.api.post(f"/rooms/{room.pk}/{flag}") == (404, error("Chat not found"))
    assert charlie.api.post(f"/rooms/987654321/{flag}") == (404, error("Chat not found"))
    for bad in ("0", "abc", HUGE):
        assert charlie.api.post(f"/rooms/{bad}/{flag}") == (400, error("id is required"))
    assert not UserSetting.objects.exists()
