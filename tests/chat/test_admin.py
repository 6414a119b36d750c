"""The chat admin: every page loads, searches find, actions write row by row, lists stay flat."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from chat.models import Message, MessageRecord, Room, RoomUser
from tests.factories import (
    MessageFactory,
    MessageRecordFactory,
    RoomFactory,
    UserFactory,
    room_with,
)

MODELS = ("room", "roomuser", "message", "messagerecord")


@pytest.fixture
def operator(db):
    """A signed-in superuser's browser."""
    user = User.objects.create_superuser("+385990000000", "operator password")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def chat(alice, bob):
    """A group of alice (admin) and bob with one message and bob's seen record on it."""
    room = room_with(alice.user, bob.user, name="Climbing", admins=[alice.user])
    message = MessageFactory(room=room, from_user=alice.user, body={"text": "rope at six"})
    record = MessageRecordFactory(message=message, user=bob.user)
    return {"room": room, "message": message, "record": record}


def changelist(model, **params):
    url = reverse(f"admin:chat_{model}_changelist")
    return url, params


def get_ok(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:500]
    return response


def listed_ids(response) -> list[int]:
    return sorted(obj.pk for obj in response.context["cl"].result_list)


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_and_add_form_loads(operator, chat, model):
    get_ok(operator, reverse(f"admin:chat_{model}_changelist"))
    get_ok(operator, reverse(f"admin:chat_{model}_add"))


def test_every_change_form_loads(operator, chat):
    membership = RoomUser.objects.filter(room=chat["room"]).first()
    for model, obj in [
        ("room", chat["room"]),
        ("roomuser", membership),
        ("message", chat["message"]),
        ("messagerecord", chat["record"]),
    ]:
        response = get_ok(operator, reverse(f"admin:chat_{model}_change", args=[obj.pk]))
        assert response.context["original"] == obj


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("term", ["climbing", "+38591000000", "bob", "1", "99999999999999999999"])
def test_every_search_loads(operator, chat, model, term):
    get_ok(operator, reverse(f"admin:chat_{model}_changelist"), {"q": term})


def test_rooms_are_found_by_name_member_number_member_name_and_id(operator, chat, charlie):
    other = room_with(charlie.user, name="Knitting")
    url = reverse("admin:chat_room_changelist")
    room_id = chat["room"].pk
    assert listed_ids(get_ok(operator, url, {"q": "climb"})) == [room_id]
    assert listed_ids(get_ok(operator, url, {"q": "+385910000002"})) == [room_id]
    assert listed_ids(get_ok(operator, url, {"q": "charlie"})) == [other.pk]
    # An id also matches as text (a member's number may contain its digits), so only its
    # presence is certain; an id nobody has finds nothing.
    assert other.pk in listed_ids(get_ok(operator, url, {"q": str(other.pk)}))
    assert listed_ids(get_ok(operator, url, {"q": "987654321"})) == []


def test_a_room_with_two_matching_members_is_listed_once(operator, chat):
    response = get_ok(operator, reverse("admin:chat_room_changelist"), {"q": "+3859100000"})
    assert listed_ids(response) == [chat["room"].pk]


def test_the_room_list_counts_members_and_messages(operator, chat, alice):
    MessageFactory(room=chat["room"], from_user=alice.user)
    response = get_ok(operator, reverse("admin:chat_room_changelist"))
    [room] = response.context["cl"].result_list
    assert (room.member_total, room.message_total) == (2, 2)
    assert f'href="/admin/chat/message/?room={room.pk}">2</a>' in response.content.decode()


def test_rooms_filter_by_type_deleted_and_member(operator, chat, charlie, alice):
    private = room_with(alice.user, charlie.user, type=Room.Type.PRIVATE, name=None)
    gone = RoomFactory(deleted=True)
    url = reverse("admin:chat_room_changelist")
    assert listed_ids(get_ok(operator, url, {"type__exact": "private"})) == [private.pk]
    assert listed_ids(get_ok(operator, url, {"deleted__exact": "1"})) == [gone.pk]
    assert listed_ids(get_ok(operator, url, {"member": charlie.user.pk})) == [private.pk]
    both = sorted([chat["room"].pk, private.pk])
    assert listed_ids(get_ok(operator, url, {"member": alice.user.pk})) == both


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "99999999999999999999", " "])
def test_an_id_filter_with_a_bad_value_lists_nothing_and_does_not_fail(operator, chat, bad):
    response = get_ok(operator, reverse("admin:chat_message_changelist"), {"room": bad})
    assert listed_ids(response) == ([] if bad.strip() else [chat["message"].pk])


def test_the_id_filter_box_keeps_the_other_filters(operator, chat):
    url = reverse("admin:chat_message_changelist")
    html = get_ok(operator, url, {"type__exact": "text", "room": "7"}).content.decode()
    assert '<input type="hidden" name="type__exact" value="text">' in html
    assert 'name="room" value="7"' in html


def test_messages_are_found_by_text_and_id_and_filtered_by_room_type_deleted(
    operator, chat, alice, charlie
):
    elsewhere = room_with(charlie.user)
    other = MessageFactory(room=elsewhere, from_user=charlie.user, body={"text": "ROPE burn"})
    image = MessageFactory(room=chat["room"], type=Message.Type.IMAGE, body={"fileId": 3})
    gone = MessageFactory(room=chat["room"], deleted=True, body={"text": "Deleted message"})
    first = chat["message"].pk
    url = reverse("admin:chat_message_changelist")
    assert listed_ids(get_ok(operator, url, {"q": "rope"})) == [first, other.pk]
    assert listed_ids(get_ok(operator, url, {"q": str(image.pk)})) == [image.pk]
    assert listed_ids(get_ok(operator, url, {"room": elsewhere.pk})) == [other.pk]
    assert listed_ids(get_ok(operator, url, {"type__exact": "image"})) == [image.pk]
    assert listed_ids(get_ok(operator, url, {"deleted__exact": "1"})) == [gone.pk]


def test_message_counters_are_read_only(operator, chat):
    message = chat["message"]
    url = reverse("admin:chat_message_change", args=[message.pk])
    form = get_ok(operator, url).context["adminform"].form
    assert {"total_user_count", "delivered_count", "seen_count"}.isdisjoint(form.fields)


def test_records_filter_by_type_message_and_user(operator, chat, alice):
    reaction = MessageRecordFactory(
        message=chat["message"], user=alice.user, type="reaction", reaction="👍"
    )
    url = reverse("admin:chat_messagerecord_changelist")
    assert listed_ids(get_ok(operator, url, {"type__exact": "reaction"})) == [reaction.pk]
    assert listed_ids(get_ok(operator, url, {"user": alice.user.pk})) == [reaction.pk]
    both = sorted([chat["record"].pk, reaction.pk])
    assert listed_ids(get_ok(operator, url, {"message": chat["message"].pk})) == both
    assert listed_ids(get_ok(operator, url, {"q": "👍"})) == [reaction.pk]


def post_action(client, model, action, objects):
    url = reverse(f"admin:chat_{model}_changelist")
    data = {"action": action, "_selected_action": [obj.pk for obj in objects]}
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_deleting_rooms_marks_them_deleted_and_keeps_their_rows(operator, chat, charlie):
    other = room_with(charlie.user)
    notes = post_action(operator, "room", "soft_delete_rooms", [chat["room"], other])
    assert notes == ["Deleted 2 room(s)."]
    assert list(Room.objects.order_by("id").values_list("deleted", flat=True)) == [True, True]
    assert Message.objects.filter(room=chat["room"]).count() == 1
    assert RoomUser.objects.filter(room=chat["room"]).count() == 2


def test_deleting_an_already_deleted_room_changes_nothing(operator):
    room = RoomFactory(deleted=True)
    before = Room.objects.get(pk=room.pk).modified_at
    assert post_action(operator, "room", "soft_delete_rooms", [room]) == ["Deleted 0 room(s)."]
    assert Room.objects.get(pk=room.pk).modified_at == before


def test_the_bulk_hard_delete_is_not_offered(operator, chat):
    for model in MODELS[:3]:
        response = get_ok(operator, reverse(f"admin:chat_{model}_changelist"))
        assert "delete_selected" not in response.context["action_form"].fields["action"].choices


def test_removing_members_deletes_their_memberships_only(operator, chat, bob, alice):
    membership = RoomUser.objects.get(room=chat["room"], user=bob.user)
    notes = post_action(operator, "roomuser", "remove_members", [membership])
    assert notes == ["Removed 1 member(s)."]
    remaining = RoomUser.objects.filter(room=chat["room"]).values_list("user_id", flat=True)
    assert list(remaining) == [alice.user.pk]


def test_members_are_made_and_unmade_admins(operator, chat, bob):
    membership = RoomUser.objects.get(room=chat["room"], user=bob.user)
    assert post_action(operator, "roomuser", "make_admins", [membership]) == [
        "Changed 1 member(s)."
    ]
    assert RoomUser.objects.get(pk=membership.pk).is_admin is True
    post_action(operator, "roomuser", "revoke_admins", [membership])
    assert RoomUser.objects.get(pk=membership.pk).is_admin is False


def test_deleting_messages_for_everyone_does_what_the_api_does(operator, chat):
    message = chat["message"]
    image = MessageFactory(room=chat["room"], type=Message.Type.IMAGE, body={"fileId": 3})
    notes = post_action(operator, "message", "delete_for_everyone", [message, image])
    assert notes == ["Deleted 2 message(s)."]
    rows = Message.objects.filter(pk__in=[message.pk, image.pk]).values("type", "body", "deleted")
    expected = {"type": "text", "body": {"text": "Deleted message"}, "deleted": True}
    assert list(rows) == [expected, expected]


def room_form(room=None, *, members=(), new_members=(), **fields):
    """The POST of the room form: ``members`` are (membership, admin, delete) of existing
    members, ``new_members`` are (user, admin) to add."""
    data = {
        "type": room.type if room else "group",
        "name": room.name if room else "",
        "avatar_file_id": room.avatar_file_id if room else 0,
        **fields,
    }
    for prefix, total, initial in [
        ("members", len(members), len(members)),
        ("members-2", len(new_members), 0),
    ]:
        data |= {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": initial}
        data |= {f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000}
    room_id = room.pk if room else ""
    for i, (membership, is_admin, delete) in enumerate(members):
        data |= {f"members-{i}-id": membership.pk, f"members-{i}-room": room_id}
        if is_admin:
            data[f"members-{i}-is_admin"] = "on"
        if delete:
            data[f"members-{i}-DELETE"] = "on"
    for i, (user, is_admin) in enumerate(new_members):
        data |= {f"members-2-{i}-room": room_id, f"members-2-{i}-user": user.pk}
        if is_admin:
            data[f"members-2-{i}-is_admin"] = "on"
    return data


def test_the_room_form_renames_adds_removes_and_promotes_members(
    operator, chat, alice, bob, charlie
):
    room = chat["room"]
    mine = RoomUser.objects.get(room=room, user=alice.user)
    bobs = RoomUser.objects.get(room=room, user=bob.user)
    data = room_form(
        room,
        name="Bouldering",
        members=[(mine, True, False), (bobs, False, True)],
        new_members=[(charlie.user, True)],
    )
    response = operator.post(reverse("admin:chat_room_change", args=[room.pk]), data)
    assert response.status_code == 302, response.context["errors"]
    assert Room.objects.get(pk=room.pk).name == "Bouldering"
    members = RoomUser.objects.filter(room=room).values_list("user_id", "is_admin")
    assert list(members) == [(alice.user.pk, True), (charlie.user.pk, True)]


def test_a_room_is_created_with_its_members_from_the_add_form(operator, alice, bob):
    data = room_form(name="New group", new_members=[(alice.user, True), (bob.user, False)])
    response = operator.post(reverse("admin:chat_room_add"), data)
    assert response.status_code == 302, response.context["errors"]
    room = Room.objects.get(name="New group")
    members = RoomUser.objects.filter(room=room).values_list("user_id", "is_admin")
    assert list(members) == [(alice.user.pk, True), (bob.user.pk, False)]


def test_adding_a_member_twice_is_a_form_error(operator, chat, bob):
    room = chat["room"]
    memberships = [(m, m.is_admin, False) for m in RoomUser.objects.filter(room=room)]
    data = room_form(room, members=memberships, new_members=[(bob.user, False)])
    response = operator.post(reverse("admin:chat_room_change", args=[room.pk]), data)
    assert response.status_code == 200
    assert "bob (+385910000002) is already a member of this room." in str(
        response.context["errors"]
    )
    assert RoomUser.objects.filter(room=room).count() == 2


def test_a_message_sent_from_the_admin_counts_the_room_members(operator, chat, alice):
    data = {"room": chat["room"].pk, "from_user": alice.user.pk, "type": "text"}
    data |= {"body": '{"text": "from the operator"}', "local_id": ""}
    response = operator.post(reverse("admin:chat_message_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    message = Message.objects.get(body__text="from the operator")
    assert (message.room_id, message.total_user_count) == (chat["room"].pk, 2)


def test_pages_need_a_staff_user(alice):
    client = Client()
    client.force_login(alice.user)
    response = client.get(reverse("admin:chat_room_changelist"))
    assert response.status_code == 302


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        get_ok(client, url)
    return len(queries)


def grow(alice, bob, charlie):
    """Ten more rooms, each with members, messages and records."""
    for i in range(10):
        room = room_with(alice.user, bob.user, charlie.user, name=f"bulk {i}")
        message = MessageFactory(room=room, from_user=alice.user)
        MessageRecordFactory(message=message, user=bob.user)
        MessageRecordFactory(message=message, user=charlie.user, type="delivered")


@pytest.mark.parametrize("model", MODELS)
def test_changelist_queries_do_not_grow_with_rows(operator, chat, alice, bob, charlie, model):
    url = reverse(f"admin:chat_{model}_changelist")
    few = queries_for(operator, url)
    grow(alice, bob, charlie)
    assert queries_for(operator, url) == few


def test_the_room_change_form_queries_do_not_grow_with_members(operator, chat):
    room = chat["room"]
    url = reverse("admin:chat_room_change", args=[room.pk])
    few = queries_for(operator, url)
    for _ in range(10):
        RoomUser.objects.create(room=room, user=UserFactory())
    assert queries_for(operator, url) == few


def test_message_records_keep_their_room_in_the_list(operator, chat):
    response = get_ok(operator, reverse("admin:chat_messagerecord_changelist"))
    html = response.content.decode()
    assert f'<td class="field-room_id">{chat["room"].pk}</td>' in html
    assert MessageRecord.objects.count() == 1


def test_a_users_page_links_to_the_rooms_they_are_in(operator, chat, bob, charlie):
    room_with(charlie.user, name="Knitting")
    page = get_ok(operator, reverse("admin:accounts_user_change", args=[bob.user.pk]))
    link = f"/admin/chat/room/?member={bob.user.pk}"
    assert f'<a href="{link}">Rooms this user is in</a>' in page.content.decode()
    assert listed_ids(get_ok(operator, link)) == [chat["room"].pk]
