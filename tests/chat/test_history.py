"""GET /history and GET /history/roomId/:roomId, the chat list (spec §5.9)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import UserSetting
from chat.models import HiddenMessage, MessageRecord, Room, RoomUser
from tests.accounts.shapes import error, success
from tests.chat.expected import ms, queries_of
from tests.chat.messages_helpers import message_json
from tests.factories import MessageFactory, UserFactory, room_with

HUGE = "99999999999999999999999"


def _item(room, message, *, unread=0, muted=False, pinned=False, **shown):
    return {
        "roomId": room.pk,
        "muted": muted,
        "pinned": pinned,
        "lastMessage": message_json(message, **shown) if message else None,
        "unreadCount": unread,
    }


def test_the_chat_list_shows_each_chat_by_its_newest_message(alice, bob, charlie):
    private = room_with(alice.user, bob.user, type=Room.Type.PRIVATE, name="")
    group = room_with(alice.user, bob.user, charlie.user, name="Team")
    room_with(alice.user, bob.user, name="silent")
    MessageFactory(room=group, from_user=bob.user)
    older = MessageFactory(room=private, from_user=bob.user)
    MessageRecord.objects.create(message=older, user=alice.user, type="seen")
    newest = MessageFactory(room=private, from_user=bob.user)
    latest_in_group = MessageFactory(room=group, from_user=alice.user)
    UserSetting.objects.create(user=alice.user, key=f"pin_{private.pk}", value="true")
    status, body = alice.api.get("/history")
    assert status == 200
    assert body == success(
        {
            "list": [
                _item(group, latest_in_group, unread=1),
                _item(private, newest, unread=1, pinned=True),
            ],
            "count": 2,
            "limit": 10,
            "page": 1,
        }
    )


def test_the_chat_list_hides_what_the_caller_may_not_see(alice, bob, charlie):
    theirs = room_with(bob.user, charlie.user, name="theirs")
    MessageFactory(room=theirs, from_user=bob.user)
    gone = room_with(alice.user, bob.user, name="gone", deleted=True)
    MessageFactory(room=gone, from_user=bob.user)
    lonely = room_with(alice.user, type=Room.Type.PRIVATE)
    MessageFactory(room=lonely, from_user=alice.user)
    late = room_with(bob.user, name="late")
    MessageFactory(room=late, from_user=bob.user, created_at=timezone.now() - timedelta(hours=1))
    RoomUser.objects.create(room=late, user=alice.user)
    assert alice.api.get("/history") == (
        200,
        success({"list": [], "count": 0, "limit": 10, "page": 1}),
    )
    assert charlie.api.get("/history")[1]["data"]["count"] == 1


def test_a_message_deleted_for_the_caller_reads_as_deleted(alice, bob):
    room = room_with(alice.user, bob.user)
    message = MessageFactory(room=room, from_user=bob.user)
    hidden = HiddenMessage.objects.create(user=alice.user, message=message)
    [item] = alice.api.get("/history")[1]["data"]["list"]
    expected = _item(room, message, unread=1, body={"text": "Deleted message"}, deleted=True)
    expected["lastMessage"]["modifiedAt"] = ms(hidden.created_at)
    assert item == expected
    assert bob.api.get("/history")[1]["data"]["list"] == [_item(room, message)]


def test_the_keyword_finds_groups_by_name_and_private_chats_by_the_other_member(alice, bob):
    johnny = UserFactory(display_name="MarrkyJohnny")
    private = room_with(alice.user, johnny, type=Room.Type.PRIVATE, name="")
    group = room_with(alice.user, bob.user, name="Robocall")
    other = room_with(alice.user, bob.user, name="Other")
    for room in (private, group, other):
        MessageFactory(room=room, from_user=bob.user)
    assert [i["roomId"] for i in alice.api.get("/history?keyword=john")[1]["data"]["list"]] == [
        private.pk
    ]
    assert [i["roomId"] for i in alice.api.get("/history?keyword=obocal")[1]["data"]["list"]] == [
        group.pk
    ]
    # The caller's own name matches nothing.
    assert alice.api.get("/history?keyword=alice")[1]["data"]["list"] == []


def test_the_chat_list_pages_twenty_chats_at_a_time(alice, bob):
    rooms = [room_with(alice.user, bob.user) for _ in range(21)]
    for room in rooms:
        MessageFactory(room=room, from_user=alice.user)
    _, first = alice.api.get("/history")
    _, second = alice.api.get("/history?page=2")
    assert [i["roomId"] for i in first["data"]["list"]] == [r.pk for r in reversed(rooms[1:])]
    assert [i["roomId"] for i in second["data"]["list"]] == [rooms[0].pk]
    assert (second["data"]["count"], second["data"]["page"]) == (21, 2)


@pytest.mark.parametrize("page", ["x", "0", HUGE])
def test_the_chat_list_refuses_a_bad_page(alice, page):
    assert alice.api.get(f"/history?page={page}") == (400, error("page must be valid number"))


def test_the_chat_list_takes_the_same_queries_for_many_chats(alice, bob, django_assert_num_queries):
    def fill(n):
        for _ in range(n):
            room = room_with(alice.user, bob.user, *UserFactory.create_batch(2))
            hidden = MessageFactory(room=room, from_user=bob.user)
            HiddenMessage.objects.create(user=alice.user, message=hidden)
            MessageFactory.create_batch(2, room=room, from_user=bob.user)
            UserSetting.objects.create(user=alice.user, key=f"mute_{room.pk}", value="true")

    fill(1)
    alice.api.get("/history")
    baseline = queries_of(lambda: alice.api.get("/history"))
    fill(10)
    with django_assert_num_queries(baseline):
        _, body = alice.api.get("/history")
    assert body["data"]["count"] == 11
    assert all(i["muted"] and i["unreadCount"] == 3 for i in body["data"]["list"])


# GET /history/roomId/:roomId


def test_one_chat_list_row(alice, bob):
    room = room_with(alice.user, bob.user)
    MessageFactory(room=room, from_user=alice.user)
    last = MessageFactory(room=room, from_user=bob.user)
    UserSetting.objects.create(user=alice.user, key=f"mute_{room.pk}", value="true")
    assert alice.api.get(f"/history/roomId/{room.pk}") == (
        200,
        success(
            {
                "unreadCount": 1,
                "roomId": room.pk,
                "lastMessage": message_json(last),
                "muted": True,
                "pinned": False,
            }
        ),
    )


def test_a_row_without_a_visible_message_has_none(alice, bob):
    room = room_with(bob.user)
    MessageFactory(room=room, from_user=bob.user, created_at=timezone.now() - timedelta(hours=1))
    RoomUser.objects.create(room=room, user=alice.user)
    _, body = alice.api.get(f"/history/roomId/{room.pk}")
    assert body["data"]["lastMessage"] is None


def test_a_group_created_over_the_api_shows_its_creation_message(alice, bob, charlie):
    _, created = alice.api.post("/rooms", {"userIds": [bob.user.pk, charlie.user.pk]})
    room_id = created["data"]["room"]["id"]
    _, body = bob.api.get(f"/history/roomId/{room_id}")
    assert body["data"]["lastMessage"]["body"]["type"] == "created_group"
    assert body["data"]["unreadCount"] == 0
    assert [i["roomId"] for i in charlie.api.get("/history")[1]["data"]["list"]] == [room_id]


def test_charlie_never_reads_alice_and_bobs_row(alice, bob, charlie):
    room = room_with(alice.user, bob.user)
    MessageFactory(room=room, from_user=bob.user)
    assert charlie.api.get(f"/history/roomId/{room.pk}") == (404, error("Chat not found"))
    assert charlie.api.get("/history/roomId/987654321") == (404, error("Chat not found"))


@pytest.mark.parametrize("room_id", ["0", "abc", HUGE])
def test_a_row_needs_a_room_id(alice, room_id):
    assert alice.api.get(f"/history/roomId/{room_id}") == (400, error("Room id is required"))
