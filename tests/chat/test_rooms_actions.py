"""PUT /rooms/:id actions, POST /rooms/:id/leave, DELETE /rooms/:id, and their system messages."""

import pytest

from chat.models import Message, Room, RoomUser
from tests.accounts.shapes import error, success
from tests.chat.expected import room_json, system_messages
from tests.factories import UserFactory, room_with

HUGE = "99999999999999999999999"


@pytest.fixture
def group(alice, bob):
    """alice (admin) and bob in "Team"."""
    return room_with(alice.user, bob.user, admins=[alice.user], name="Team")


def _members(room):
    return list(
        RoomUser.objects.filter(room=room).order_by("id").values_list("user_id", "is_admin")
    )


def _body(actor, kind, text, objects, object_ids):
    return {
        "text": text,
        "subject": actor.display_name,
        "subjectId": actor.pk,
        "type": kind,
        "objects": objects,
        "objectIds": object_ids,
    }


# PUT /rooms/:id


def test_an_admin_adds_users_who_see_the_announcement(alice, bob, charlie, group):
    dave = UserFactory(display_name="dave")
    status, body = alice.api.put(
        f"/rooms/{group.pk}", {"action": "addGroupUsers", "userIds": [charlie.user.pk, dave.pk]}
    )
    assert (status, body) == (200, success({"room": room_json(group)}))
    assert group.type == "group"
    assert _members(group)[2:] == [(charlie.user.pk, False), (dave.pk, False)]
    assert system_messages(group) == [
        _body(
            alice.user,
            "added_group_members",
            "alice added charlie, dave to the group",
            ["charlie", "dave"],
            [charlie.user.pk, dave.pk],
        )
    ]
    message = Message.objects.get()
    assert message.total_user_count == 4
    # Posted at the new members' join time: they see it, unread for them it is not.
    assert message.created_at == RoomUser.objects.get(user=charlie.user).created_at
    assert charlie.api.get("/rooms/unread-count")[1]["data"]["unreadCounts"] == []
    assert bob.api.get("/rooms/unread-count")[1]["data"]["unreadCounts"] == [
        {"roomId": group.pk, "unreadCount": 1}
    ]


def test_adding_members_again_changes_nothing_and_announces_nothing(alice, bob, group):
    status, _ = alice.api.put(
        f"/rooms/{group.pk}", {"action": "addGroupUsers", "userIds": [bob.user.pk]}
    )
    assert status == 200
    assert len(_members(group)) == 2
    assert system_messages(group) == []


def test_adding_unknown_users_is_refused_and_writes_nothing(alice, charlie, group):
    payload = {"action": "addGroupUsers", "userIds": [charlie.user.pk, 987654321]}
    status, body = alice.api.put(f"/rooms/{group.pk}", payload)
    assert (status, body) == (400, error("Users doesn't exist, ids: 987654321"))
    assert len(_members(group)) == 2
    assert not Message.objects.exists()


def test_an_admin_removes_non_admins_only(alice, bob, charlie, group):
    RoomUser.objects.create(room=group, user=charlie.user, is_admin=True)
    payload = {"action": "removeGroupUsers", "userIds": [bob.user.pk, charlie.user.pk]}
    status, body = alice.api.put(f"/rooms/{group.pk}", payload)
    assert (status, body) == (200, success({"room": room_json(group)}))
    assert _members(group) == [(alice.user.pk, True), (charlie.user.pk, True)]
    assert system_messages(group) == [
        _body(
            alice.user,
            "removed_group_members",
            "alice removed bob from the group",
            ["bob"],
            [bob.user.pk],
        )
    ]
    assert Message.objects.get().total_user_count == 2
    assert bob.api.get(f"/rooms/{group.pk}") == (404, error("Chat not found"))


def test_an_admin_promotes_members(alice, bob, charlie, group):
    payload = {"action": "addGroupAdmins", "userIds": [bob.user.pk, charlie.user.pk]}
    status, body = alice.api.put(f"/rooms/{group.pk}", payload)
    assert (status, body) == (200, success({"room": room_json(group)}))
    assert _members(group) == [(alice.user.pk, True), (bob.user.pk, True)]
    assert system_messages(group) == [
        _body(
            alice.user, "added_group_admins", "alice added bob as admin(s)", ["bob"], [bob.user.pk]
        )
    ]


def test_an_admin_demotes_admins_but_never_the_last_one(alice, bob, group):
    RoomUser.objects.filter(room=group, user=bob.user).update(is_admin=True)
    everyone = {"action": "removeGroupAdmins", "userIds": [alice.user.pk, bob.user.pk]}
    assert alice.api.put(f"/rooms/{group.pk}", everyone) == (
        400,
        error("At least one admin should be in the group"),
    )
    assert _members(group) == [(alice.user.pk, True), (bob.user.pk, True)]
    status, body = alice.api.put(
        f"/rooms/{group.pk}", {"action": "removeGroupAdmins", "userIds": [alice.user.pk]}
    )
    assert (status, body) == (200, success({"room": room_json(group)}))
    assert _members(group) == [(alice.user.pk, False), (bob.user.pk, True)]
    assert system_messages(group) == [
        _body(
            alice.user,
            "removed_group_admins",
            "alice removed alice from admin(s)",
            ["alice"],
            [alice.user.pk],
        )
    ]


def test_an_admin_renames_the_group(alice, group):
    status, body = alice.api.put(
        f"/rooms/{group.pk}", {"action": "changeGroupName", "name": "Crew"}
    )
    assert (status, body) == (200, success({"room": room_json(group)}))
    assert group.name == "Crew"
    assert system_messages(group) == [
        _body(alice.user, "updated_group_name", "Updated room name", ["Crew"], [group.pk])
    ]


def test_an_empty_name_changes_nothing(alice, group):
    status, body = alice.api.put(f"/rooms/{group.pk}", {"action": "changeGroupName", "name": ""})
    assert status == 200
    assert body["data"]["room"]["name"] == "Team"
    assert system_messages(group) == []


def test_an_admin_changes_and_removes_the_avatar(alice, group):
    payload = {"action": "changeGroupAvatar", "avatarFileId": 42}
    status, body = alice.api.put(f"/rooms/{group.pk}", payload)
    assert (status, body) == (200, success({"room": room_json(group)}))
    assert group.avatar_file_id == 42
    payload = {"action": "changeGroupAvatar", "avatarFileId": 0}
    assert alice.api.put(f"/rooms/{group.pk}", payload)[1]["data"]["room"]["avatarFileId"] == 0
    assert system_messages(group) == [
        _body(alice.user, "updated_group_avatar", "Updated room avatar", ["Team"], [group.pk])
    ]


def test_an_unknown_action_only_touches_the_room(alice, group):
    before = group.modified_at
    status, body = alice.api.put(f"/rooms/{group.pk}", {"action": "dance", "name": "X"})
    assert (status, body) == (200, success({"room": room_json(group)}))
    assert (group.name, group.modified_at > before) == ("Team", True)


def test_a_custom_room_of_more_than_two_becomes_a_group(alice, bob, charlie):
    room = room_with(alice.user, bob.user, admins=[alice.user], type="custom")
    payload = {"action": "addGroupUsers", "userIds": [charlie.user.pk]}
    assert alice.api.put(f"/rooms/{room.pk}", payload)[1]["data"]["room"]["type"] == "group"


@pytest.mark.parametrize(
    ("path", "payload", "status", "message"),
    [
        ("/rooms/0", {"action": "changeGroupName"}, 404, "Room id parameter is required."),
        ("/rooms/abc", {"action": "changeGroupName"}, 404, "Room id parameter is required."),
        (f"/rooms/{HUGE}", {"action": "changeGroupName"}, 404, "Room id parameter is required."),
        ("/rooms/987654321", {"name": "x"}, 404, "Action field is required."),
        ("/rooms/987654321", {"action": ""}, 404, "Action field is required."),
        ("/rooms/987654321", {"action": "changeGroupName"}, 404, "Not found"),
    ],
)
def test_update_refuses_unknown_rooms_and_missing_actions(alice, path, payload, status, message):
    assert alice.api.put(path, payload) == (status, error(message))


def test_only_an_admin_of_a_live_group_may_update(alice, bob, charlie, group):
    private = room_with(alice.user, bob.user, admins=[alice.user], type=Room.Type.PRIVATE)
    deleted = room_with(alice.user, admins=[alice.user], deleted=True)
    rename = {"action": "changeGroupName", "name": "Hacked"}
    assert charlie.api.put(f"/rooms/{group.pk}", rename) == (403, error("Forbidden"))
    assert bob.api.put(f"/rooms/{group.pk}", rename) == (403, error("Forbidden"))
    assert alice.api.put(f"/rooms/{private.pk}", rename) == (
        403,
        error("Can't update private room"),
    )
    assert alice.api.put(f"/rooms/{deleted.pk}", rename) == (404, error("Not found"))
    assert set(Room.objects.values_list("name", flat=True)) != {"Hacked"}
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        '{"action": "addGroupUsers", "userIds": [',
        '{"action": "addGroupUsers", "userIds": ["5"]}',
        '{"action": "addGroupUsers", "userIds": [[5]]}',
        '{"action": "addGroupUsers", "userIds": [99999999999999999999999]}',
        '{"action": "changeGroupName", "name": 42}',
        '{"action": "changeGroupAvatar", "avatarFileId": "42"}',
        '{"action": 42}',
    ],
)
def test_update_bad_input_is_a_400_and_writes_nothing(alice, group, raw):
    status, body = alice.api.put(f"/rooms/{group.pk}", raw=raw)
    assert status == 400
    assert body["status"] == "error"
    assert len(_members(group)) == 2
    assert not Message.objects.exists()


# POST /rooms/:id/leave


def test_a_member_leaves_and_the_others_are_told(alice, bob, charlie, group):
    RoomUser.objects.create(room=group, user=charlie.user)
    status, body = bob.api.post(f"/rooms/{group.pk}/leave")
    assert (status, body) == (200, success({"room": room_json(group)}))
    assert bob.user.pk not in [u["userId"] for u in body["data"]["room"]["users"]]
    assert system_messages(group) == [
        _body(bob.user, "user_left_group", "bob left the room", ["Team"], [group.pk])
    ]
    message = Message.objects.get()
    assert (message.total_user_count, message.seen_count) == (2, 0)


def test_an_admin_leaves_when_another_admin_remains(alice, bob, group):
    RoomUser.objects.filter(room=group, user=bob.user).update(is_admin=True)
    assert alice.api.post(f"/rooms/{group.pk}/leave", {})[0] == 200
    assert _members(group) == [(bob.user.pk, True)]


def test_the_last_admin_must_name_a_new_one(alice, bob, charlie, group):
    for payload in (None, {}, {"adminUserIds": []}, {"adminUserIds": [alice.user.pk, 987654321]}):
        status, body = alice.api.post(f"/rooms/{group.pk}/leave", payload)
        assert (status, body) == (400, error("New admin(s) must be defined"))
    assert len(_members(group)) == 2
    payload = {"adminUserIds": [bob.user.pk, charlie.user.pk]}
    status, body = alice.api.post(f"/rooms/{group.pk}/leave", payload)
    assert (status, body) == (200, success({"room": room_json(group)}))
    assert _members(group) == [(bob.user.pk, True), (charlie.user.pk, True)]


def test_leaving_is_refused_for_private_foreign_and_unknown_rooms(alice, bob, charlie, group):
    private = room_with(alice.user, bob.user, type=Room.Type.PRIVATE)
    assert alice.api.post(f"/rooms/{private.pk}/leave") == (403, error("Can't leave private room"))
    assert charlie.api.post(f"/rooms/{group.pk}/leave") == (404, error("Not found"))
    for bad in ("987654321", "0", "abc", HUGE):
        assert alice.api.post(f"/rooms/{bad}/leave") == (404, error("Not found"))
    assert len(_members(group)) == 2
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "raw", ['{"adminUserIds": [', '{"adminUserIds": ["5"]}', '{"adminUserIds": 5}']
)
def test_leave_bad_input_is_a_400_and_writes_nothing(alice, group, raw):
    status, body = alice.api.post(f"/rooms/{group.pk}/leave", raw=raw)
    assert (status, body["status"]) == (400, "error")
    assert len(_members(group)) == 2


# DELETE /rooms/:id


def test_an_admin_deletes_a_group(alice, bob, group):
    status, body = alice.api.delete(f"/rooms/{group.pk}")
    assert (status, body) == (200, success({"room": room_json(group)}))
    assert body["data"]["room"]["deleted"] is True
    assert alice.api.delete(f"/rooms/{group.pk}")[0] == 200
    assert not Message.objects.exists()


def test_only_an_admin_deletes_and_never_a_private_room(alice, bob, charlie, group):
    private = room_with(alice.user, bob.user, admins=[alice.user], type=Room.Type.PRIVATE)
    assert bob.api.delete(f"/rooms/{group.pk}") == (403, error("Forbidden"))
    assert charlie.api.delete(f"/rooms/{group.pk}") == (403, error("Forbidden"))
    assert alice.api.delete(f"/rooms/{private.pk}") == (403, error("Can't delete private room"))
    for bad in ("987654321", "0", "abc", HUGE):
        assert alice.api.delete(f"/rooms/{bad}") == (404, error("Not found"))
    assert not Room.objects.filter(deleted=True).exists()
