"""Changes become events for exactly the right users (events.md §4), read from their channels.

Every write goes through the real path: model signals -> receivers -> publish -> storage.
Alice and bob share rooms; charlie shares nothing with them and must never hear of them.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Block, User, UserSetting
from chat.models import File, HiddenMessage, Message, MessageRecord, Room, RoomUser
from chat.selectors import room_unread_counts
from chat.signals import messages_bulk_changed, records_bulk_created, room_seen
from eventstream import payloads
from spika.schemas import to_millis
from tests.eventstream.channels import Channels
from tests.factories import MessageFactory, MessageRecordFactory, UserFactory, room_with


@pytest.fixture
def channels(db):
    return Channels()


@pytest.fixture
def group(alice, bob, charlie, channels):
    with channels.commit():
        room = room_with(alice.user, bob.user, name="Ops", admins=[alice.user])
    channels.skip(alice.user, bob.user, charlie.user)
    return room


@pytest.fixture
def private(alice, bob, charlie, channels):
    with channels.commit():
        room = room_with(alice.user, bob.user, type=Room.Type.PRIVATE, name=None)
    channels.skip(alice.user, bob.user, charlie.user)
    return room


def fresh(instance):
    instance.refresh_from_db()
    return instance


def ms(value):
    return to_millis(value)


class TestMessages:
    def test_a_new_message_reaches_every_member_with_the_documented_json(
        self, group, alice, bob, charlie, channels
    ):
        with channels.commit():
            message = Message.objects.create(
                room=group, from_user=alice.user, body={"text": "lala"}, local_id="l-1"
            )
        expected = {
            "type": "NEW_MESSAGE",
            "message": {
                "id": message.pk,
                "roomId": group.pk,
                "fromUserId": alice.user.pk,
                "totalUserCount": 0,
                "deliveredCount": 0,
                "seenCount": 0,
                "type": "text",
                "body": {"text": "lala"},
                "createdAt": ms(message.created_at),
                "modifiedAt": ms(message.modified_at),
                "localId": "l-1",
                "deleted": False,
                "replyId": None,
                "isForwarded": False,
                "hasLink": False,
            },
        }
        assert channels.new(alice.user) == [expected]
        assert channels.new(bob.user) == [expected]
        assert channels.new(charlie.user) == []

    def test_a_new_image_message_carries_its_file_description(self, group, alice, bob, channels):
        photo = File.objects.create(file_name="cat.jpg", mime_type="image/jpeg", size=10)
        with channels.commit():
            Message.objects.create(
                room=group, from_user=alice.user, type="image", body={"fileId": photo.pk}
            )
        [event] = channels.new(bob.user)
        assert event["message"]["body"] == {
            "fileId": photo.pk,
            "file": {
                "id": photo.pk,
                "fileName": "cat.jpg",
                "mimeType": "image/jpeg",
                "size": 10,
                "metaData": {},
            },
        }

    def test_in_a_private_room_a_member_who_blocked_the_sender_gets_nothing(
        self, private, alice, bob, channels
    ):
        Block.objects.create(user=bob.user, blocked=alice.user)
        with channels.commit():
            MessageFactory(room=private, from_user=alice.user)
        assert channels.types(alice.user) == ["NEW_MESSAGE"]
        assert channels.new(bob.user) == []

    def test_in_a_group_a_block_does_not_filter_messages(self, group, alice, bob, channels):
        Block.objects.create(user=bob.user, blocked=alice.user)
        with channels.commit():
            MessageFactory(room=group, from_user=alice.user)
        assert channels.types(bob.user) == ["NEW_MESSAGE"]

    def test_an_edit_sends_update_message_to_every_member(
        self, private, alice, bob, charlie, channels
    ):
        Block.objects.create(user=bob.user, blocked=alice.user)
        with channels.commit():
            message = MessageFactory(room=private, from_user=alice.user)
        channels.skip(alice.user, bob.user)
        with channels.commit():
            message.body = {"text": "edited"}
            message.save()
        expected = [payloads.update_message(fresh(message))]
        assert expected[0]["message"]["body"] == {"text": "edited"}
        assert channels.new(alice.user) == expected
        assert channels.new(bob.user) == expected
        assert channels.new(charlie.user) == []

    def test_a_save_that_only_moves_counters_sends_nothing(self, group, alice, bob, channels):
        with channels.commit():
            message = MessageFactory(room=group, from_user=alice.user)
        channels.skip(alice.user, bob.user)
        with channels.commit():
            message.seen_count = 2
            message.save()
            message.delivered_count = 2
            message.save(update_fields=["delivered_count", "modified_at"])
        assert channels.new(alice.user) == []

    def test_a_soft_delete_sends_delete_message_once(self, group, alice, bob, charlie, channels):
        with channels.commit():
            message = MessageFactory(room=group, from_user=alice.user, body={"text": "secret"})
        channels.skip(alice.user, bob.user)
        with channels.commit():
            message.deleted = True
            message.body = {"text": "Deleted message"}
            message.save()
        [event] = channels.new(bob.user)
        assert event == payloads.delete_message(fresh(message))
        assert event["message"]["deleted"] is True
        assert event["message"]["body"] == {"text": "Deleted message"}
        assert channels.types(alice.user) == ["DELETE_MESSAGE"]
        assert channels.new(charlie.user) == []

    def test_removing_the_row_sends_delete_message_built_before_it_went(
        self, group, alice, bob, channels
    ):
        with channels.commit():
            message = MessageFactory(room=group, from_user=alice.user, body={"text": "secret"})
        channels.skip(alice.user, bob.user)
        expected = payloads.delete_message(fresh(message))
        with channels.commit():
            message.delete()
        assert channels.new(bob.user) == [expected]
        assert expected["message"]["body"] == {"text": "Deleted message"}

    def test_deleting_for_me_tells_only_my_devices(self, group, alice, bob, channels):
        with channels.commit():
            message = MessageFactory(room=group, from_user=alice.user)
        channels.skip(alice.user, bob.user)
        with channels.commit():
            HiddenMessage.objects.create(user=bob.user, message=message)
        assert channels.new(bob.user) == [payloads.delete_message(message)]
        assert channels.new(alice.user) == []

    def test_nothing_leaves_before_the_commit(self, group, alice, bob, channels):
        with channels.commit():
            MessageFactory(room=group, from_user=alice.user)
            assert channels.new(bob.user) == []
        assert channels.types(bob.user) == ["NEW_MESSAGE"]


class TestRecords:
    @pytest.fixture
    def message(self, group, alice, bob, channels):
        with channels.commit():
            message = MessageFactory(room=group, from_user=alice.user, total_user_count=2)
        channels.skip(alice.user, bob.user)
        return message

    def test_a_seen_record_reaches_every_member_with_the_counts_after_it(
        self, message, group, alice, bob, charlie, channels
    ):
        with channels.commit():
            MessageRecord.objects.create(
                message=message, user=alice.user, type=MessageRecord.Type.DELIVERED
            )
            record = MessageRecord.objects.create(
                message=message, user=bob.user, type=MessageRecord.Type.SEEN
            )
        channels.new(alice.user)
        [_, event] = channels.new(bob.user)
        assert event == {
            "type": "NEW_MESSAGE_RECORD",
            "messageRecord": {
                "id": record.pk,
                "messageId": message.pk,
                "userId": bob.user.pk,
                "type": "seen",
                "reaction": None,
                "modifiedAt": ms(record.modified_at),
                "createdAt": ms(record.created_at),
                "roomId": group.pk,
                "isDeleted": False,
            },
            "seenCount": 1,
            "deliveredCount": 1,
            "totalUserCount": 2,
        }
        assert channels.new(charlie.user) == []

    def test_a_changed_reaction_is_a_new_record_event_and_taking_it_back_deletes_it(
        self, message, alice, bob, channels
    ):
        with channels.commit():
            reaction = MessageRecordFactory(
                message=message, user=bob.user, type="reaction", reaction="👍"
            )
        with channels.commit():
            reaction.reaction = "😂"
            reaction.save()
        with channels.commit():
            reaction.is_deleted = True
            reaction.reaction = "Deleted reaction"
            reaction.save()
        with channels.commit():
            reaction.save()  # nothing changed: nothing sent
        events = channels.new(alice.user)
        assert [(e["type"], e["messageRecord"]["reaction"]) for e in events] == [
            ("NEW_MESSAGE_RECORD", "👍"),
            ("NEW_MESSAGE_RECORD", "😂"),
            ("DELETE_MESSAGE_RECORD", "Deleted reaction"),
        ]
        assert events[2]["messageRecord"]["isDeleted"] is True
        assert channels.new(bob.user) == events

    def test_removing_a_record_row_sends_delete_message_record(self, message, bob, channels):
        with channels.commit():
            reaction = MessageRecordFactory(
                message=message, user=bob.user, type="reaction", reaction="👍"
            )
        channels.skip(bob.user)
        with channels.commit():
            reaction.delete()
        [event] = channels.new(bob.user)
        assert event["type"] == "DELETE_MESSAGE_RECORD"
        assert event["messageRecord"]["id"] is not None
        assert event["messageRecord"]["isDeleted"] is True

    def test_in_a_private_room_a_member_who_blocked_the_author_gets_no_record(
        self, private, alice, bob, channels
    ):
        with channels.commit():
            message = MessageFactory(room=private, from_user=alice.user)
        channels.skip(alice.user, bob.user)
        Block.objects.create(user=alice.user, blocked=bob.user)
        with channels.commit():
            MessageRecordFactory(message=message, user=bob.user, type="delivered")
            reaction = MessageRecordFactory(
                message=message, user=bob.user, type="reaction", reaction="👍"
            )
        assert channels.types(bob.user) == ["NEW_MESSAGE_RECORD", "NEW_MESSAGE_RECORD"]
        assert channels.new(alice.user) == []
        with channels.commit():
            reaction.delete()
        # DELETE_MESSAGE_RECORD goes to every member (events.md §4).
        assert channels.types(alice.user) == ["DELETE_MESSAGE_RECORD"]

    def test_records_written_in_bulk_announce_themselves_through_the_signal(
        self, message, alice, bob, channels
    ):
        with channels.commit():
            records = MessageRecord.objects.bulk_create(
                [
                    MessageRecord(message=message, user=bob.user, type=t)
                    for t in ("delivered", "seen")
                ]
            )
            assert channels.new(alice.user) == []
            records_bulk_created.send(sender=MessageRecord, record_ids=[r.pk for r in records])
        events = channels.new(alice.user)
        assert [(e["type"], e["messageRecord"]["type"]) for e in events] == [
            ("NEW_MESSAGE_RECORD", "delivered"),
            ("NEW_MESSAGE_RECORD", "seen"),
        ]
        assert [(e["deliveredCount"], e["seenCount"]) for e in events] == [(1, 1), (1, 1)]


class TestBulkMessages:
    def test_messages_changed_in_bulk_send_update_or_delete_each(
        self, group, alice, bob, charlie, channels
    ):
        with channels.commit():
            edited = MessageFactory(room=group, from_user=alice.user)
            deleted = MessageFactory(room=group, from_user=alice.user)
        channels.skip(alice.user, bob.user)
        with channels.commit():
            Message.objects.filter(pk=edited.pk).update(body={"text": "new"})
            Message.objects.filter(pk=deleted.pk).update(deleted=True)
            messages_bulk_changed.send(sender=Message, message_ids=[deleted.pk, edited.pk])
        expected = [
            payloads.update_message(fresh(edited)),
            payloads.delete_message(fresh(deleted)),
        ]
        assert channels.new(alice.user) == expected
        assert channels.new(bob.user) == expected
        assert channels.new(charlie.user) == []


class TestRooms:
    def test_a_new_group_reaches_each_member_once_with_their_own_view_then_its_message(
        self, alice, bob, charlie, channels
    ):
        from chat.services.rooms import room_create

        with channels.commit():
            room, _ = room_create(
                actor=alice.user,
                user_ids=[bob.user.pk],
                admin_user_ids=[],
                name="Ops",
                type="group",
            )
        room = fresh(room)
        members = list(RoomUser.objects.filter(room=room).select_related("user").order_by("id"))
        for persona in (alice, bob):
            view = payloads.RoomView(muted=False, pinned=False, unread_count=0)
            events = channels.new(persona.user)
            assert [e["type"] for e in events] == [
                "NEW_ROOM",
                "NEW_MESSAGE",
                "NEW_MESSAGE_RECORD",
                "NEW_MESSAGE_RECORD",
            ]
            assert events[0] == payloads.room_event("NEW_ROOM", room, members, view)
        assert [user["userId"] for user in events[0]["room"]["users"]] == [
            bob.user.pk,
            alice.user.pk,
        ]
        assert channels.new(charlie.user) == []

    def test_room_events_carry_each_recipients_own_flags_and_unread_count(
        self, group, alice, bob, charlie, channels
    ):
        with channels.commit():
            UserSetting.objects.create(user=bob.user, key=f"mute_{group.pk}", value="true")
            MessageFactory(room=group, from_user=alice.user)
        channels.skip(alice.user, bob.user)
        with channels.commit():
            group.name = "Renamed"
            group.save()
        [for_alice] = channels.new(alice.user)
        [for_bob] = channels.new(bob.user)
        assert for_alice["type"] == for_bob["type"] == "UPDATE_ROOM"
        assert for_alice["room"]["name"] == "Renamed"
        assert (for_alice["room"]["muted"], for_alice["room"]["unreadCount"]) == (False, 0)
        assert (for_bob["room"]["muted"], for_bob["room"]["unreadCount"]) == (True, 1)
        assert channels.new(charlie.user) == []

    def test_each_members_unread_count_follows_the_one_rule(self, alice, bob, channels):
        """Joined strictly before, not their own, not seen: as ``room_unread_counts`` says."""
        carol = UserFactory()
        start = timezone.now() - timedelta(minutes=10)

        def at(minutes):
            return start + timedelta(minutes=minutes)

        with channels.commit():
            room = room_with(alice.user, bob.user, name="Ops")
            RoomUser.objects.filter(room=room).update(created_at=at(0))
            first = MessageFactory(room=room, from_user=alice.user, created_at=at(1))
            RoomUser.objects.create(room=room, user=carol, created_at=at(2))
            MessageFactory(room=room, from_user=bob.user, created_at=at(3))
            MessageFactory(room=room, from_user=None, type="system", created_at=at(4))
            MessageRecordFactory(message=first, user=bob.user, type="seen")
        channels.skip(alice.user, bob.user, carol)
        with channels.commit():
            room.name = "Renamed"
            room.save()
        counts = {
            user.pk: channels.new(user)[0]["room"]["unreadCount"]
            for user in (alice.user, bob.user, carol)
        }
        assert counts == {alice.user.pk: 2, bob.user.pk: 1, carol.pk: 2}
        for user_id, count in counts.items():
            assert room_unread_counts(user_id=user_id, room_ids=[room.pk]).get(room.pk, 0) == count

    def test_a_mute_or_pin_tells_only_the_user_who_changed_it(
        self, group, alice, bob, charlie, channels
    ):
        with channels.commit():
            setting = UserSetting.objects.create(user=bob.user, key=f"pin_{group.pk}", value="true")
        [event] = channels.new(bob.user)
        assert event["type"] == "UPDATE_ROOM"
        assert (event["room"]["muted"], event["room"]["pinned"]) == (False, True)
        assert channels.new(alice.user) == []
        with channels.commit():
            setting.delete()
        [event] = channels.new(bob.user)
        assert event["room"]["pinned"] is False

    def test_an_outsider_muting_a_room_learns_nothing_about_it(self, group, charlie, channels):
        with channels.commit():
            UserSetting.objects.create(user=charlie.user, key=f"mute_{group.pk}", value="true")
        assert channels.new(charlie.user) == []

    def test_adding_ten_members_sends_one_update_room_per_member(self, group, alice, bob, channels):
        newcomers = UserFactory.create_batch(10)
        with channels.commit():
            for user in newcomers:
                RoomUser.objects.create(room=group, user=user)
            group.name = "Bigger"
            group.save()
        for user in [alice.user, bob.user, *newcomers]:
            [event] = channels.new(user)
            assert event["type"] == "UPDATE_ROOM"
            assert event["room"]["name"] == "Bigger"
            assert len(event["room"]["users"]) == 12

    def test_leaving_sends_removed_from_room_to_the_leaver_and_update_room_to_the_rest(
        self, alice, bob, charlie, channels
    ):
        carol = UserFactory()
        with channels.commit():
            room = room_with(alice.user, bob.user, carol, name="Ops")
        channels.skip(alice.user, bob.user, carol)
        with channels.commit():
            RoomUser.objects.get(room=room, user=bob.user).delete()
        assert channels.new(bob.user) == [{"type": "REMOVED_FROM_ROOM", "roomId": room.pk}]
        for user in (alice.user, carol):
            [event] = channels.new(user)
            assert event["type"] == "UPDATE_ROOM"
            assert [u["userId"] for u in event["room"]["users"]] == [alice.user.pk, carol.pk]
        assert channels.new(charlie.user) == []

    def test_a_soft_delete_sends_delete_room_to_the_members_it_had(
        self, group, alice, bob, charlie, channels
    ):
        with channels.commit():
            group.name = "Going"
            group.save()
            group.deleted = True
            group.save()
        [event] = channels.new(alice.user)
        assert event["type"] == "DELETE_ROOM"
        assert event["room"]["deleted"] is True
        assert channels.types(bob.user) == ["DELETE_ROOM"]
        assert channels.new(charlie.user) == []

    def test_removing_the_row_sends_only_delete_room_not_its_contents(
        self, group, alice, bob, channels
    ):
        with channels.commit():
            message = MessageFactory(room=group, from_user=alice.user)
            MessageRecordFactory(message=message, user=bob.user)
        channels.skip(alice.user, bob.user)
        with channels.commit():
            group.delete()
        [event] = channels.new(bob.user)
        assert event["type"] == "DELETE_ROOM"
        assert [u["userId"] for u in event["room"]["users"]] == [alice.user.pk, bob.user.pk]
        assert channels.types(alice.user) == ["DELETE_ROOM"]

    def test_changing_an_admin_sends_update_room(self, group, alice, bob, channels):
        with channels.commit():
            membership = RoomUser.objects.get(room=group, user=bob.user)
            membership.is_admin = True
            membership.save(update_fields=["is_admin", "modified_at"])
        [event] = channels.new(alice.user)
        assert [u["isAdmin"] for u in event["room"]["users"]] == [True, True]
        assert channels.types(bob.user) == ["UPDATE_ROOM"]

    def test_a_save_that_changes_nothing_sends_nothing(self, group, alice, channels):
        with channels.commit():
            group.save()
            RoomUser.objects.get(room=group, user=alice.user).save()
        assert channels.new(alice.user) == []

    def test_a_rolled_back_savepoint_takes_its_batch_with_it(self, group, alice, bob, channels):
        with channels.commit():
            with pytest.raises(RuntimeError), transaction.atomic():
                group.name = "Never"
                group.save()
                raise RuntimeError
            assert channels.new(alice.user) == []
            group.refresh_from_db()
            group.avatar_file_id = 9
            group.save()
        [event] = channels.new(alice.user)
        assert (event["room"]["name"], event["room"]["avatarFileId"]) == ("Ops", 9)


class TestSeenAndUsers:
    def test_seen_room_goes_to_that_user_only(self, group, alice, bob, channels):
        with channels.commit():
            room_seen.send(sender=Room, user_id=bob.user.pk, room_id=group.pk)
        assert channels.new(bob.user) == [{"type": "SEEN_ROOM", "roomId": group.pk}]
        assert channels.new(alice.user) == []

    def test_a_profile_change_reaches_the_user_and_everyone_sharing_a_room(
        self, group, alice, bob, charlie, channels
    ):
        with channels.commit():
            alice.user.display_name = "Alice A."
            alice.user.save()
        expected = {
            "type": "USER_UPDATE",
            "user": {
                "id": alice.user.pk,
                "emailAddress": "alice@example.com",
                "telephoneNumber": "+385910000001",
                "telephoneNumberHashed": alice.user.telephone_number_hashed,
                "displayName": "Alice A.",
                "avatarFileId": 0,
                "createdAt": ms(alice.user.created_at),
                "modifiedAt": ms(fresh(alice.user).modified_at),
            },
        }
        assert channels.new(alice.user) == [expected]
        assert channels.new(bob.user) == [expected]
        assert channels.new(charlie.user) == []

    def test_sign_in_bookkeeping_is_not_a_profile_change(self, group, alice, bob, channels):
        with channels.commit():
            alice.user.set_password("x")
            alice.user.save()
            alice.user.verified = False
            alice.user.save(update_fields=["verified", "modified_at"])
        assert channels.new(bob.user) == []


class TestThroughTheApi:
    """The REST routes cause their documented events with no event code of their own."""

    def test_sending_a_message(self, group, alice, bob, charlie, channels):
        with channels.commit():
            status, body = alice.api.post(
                "/messages",
                {"roomId": group.pk, "type": "text", "body": {"text": "hi"}, "localId": "l-9"},
            )
        assert status == 200, body
        sent = body["data"]["message"]
        events = channels.new(bob.user)
        assert [e["type"] for e in events] == [
            "NEW_MESSAGE",
            "NEW_MESSAGE_RECORD",
            "NEW_MESSAGE_RECORD",
        ]
        assert events[0]["message"] == {**sent, "deliveredCount": 0, "seenCount": 0}
        # The sender's two records are written in one bulk: each carries the counts after it.
        assert [
            (e["messageRecord"]["type"], e["deliveredCount"], e["seenCount"]) for e in events[1:]
        ] == [
            ("delivered", 1, 1),
            ("seen", 1, 1),
        ]
        assert channels.new(alice.user) == events
        assert channels.new(charlie.user) == []

    def test_marking_a_room_seen(self, group, alice, bob, channels):
        with channels.commit():
            message = MessageFactory(room=group, from_user=alice.user)
        channels.skip(alice.user, bob.user)
        with channels.commit():
            status, body = bob.api.post(f"/messages/{group.pk}/seen")
        assert status == 200, body
        assert [
            (e["type"], e.get("messageRecord", {}).get("type")) for e in channels.new(bob.user)
        ] == [
            ("NEW_MESSAGE_RECORD", "delivered"),
            ("NEW_MESSAGE_RECORD", "seen"),
            ("SEEN_ROOM", None),
        ]
        records = channels.new(alice.user)
        assert [e["messageRecord"]["messageId"] for e in records] == [message.pk, message.pk]

    def test_renaming_a_group(self, group, alice, bob, charlie, channels):
        with channels.commit():
            status, body = alice.api.put(
                f"/rooms/{group.pk}", {"action": "changeGroupName", "name": "Renamed"}
            )
        assert status == 200, body
        events = channels.new(bob.user)
        assert [e["type"] for e in events] == [
            "UPDATE_ROOM",
            "NEW_MESSAGE",
            "NEW_MESSAGE_RECORD",
            "NEW_MESSAGE_RECORD",
        ]
        assert events[0]["room"]["name"] == "Renamed"
        assert events[1]["message"]["type"] == "system"
        assert channels.new(charlie.user) == []


class TestOtherWritePaths:
    """The admin and a shell go through the same signals as the API."""

    def test_an_operator_deleting_a_message_in_the_admin_sends_delete_message(
        self, group, alice, bob, channels
    ):
        operator = Client()
        operator.force_login(User.objects.create_superuser("+385990000000", "operator password"))
        with channels.commit():
            message = MessageFactory(room=group, from_user=alice.user)
        channels.skip(alice.user, bob.user)
        with channels.commit():
            response = operator.post(
                reverse("admin:chat_message_changelist"),
                {"action": "delete_for_everyone", "_selected_action": [message.pk]},
            )
        assert response.status_code == 302
        assert channels.new(bob.user) == [payloads.delete_message(fresh(message))]
        assert channels.types(alice.user) == ["DELETE_MESSAGE"]


def send_message(room, alice, bob):
    MessageFactory(room=room, from_user=alice)


def add_reaction(room, alice, bob):
    message = Message.objects.create(room=room, from_user=alice, body={"text": "hi"})
    MessageRecord.objects.create(message=message, user=bob, type="reaction", reaction="👍")


def rename_room(room, alice, bob):
    room.name = "Renamed"
    room.save()


def remove_member(room, alice, bob):
    RoomUser.objects.get(room=room, user=bob).delete()


def delete_room(room, alice, bob):
    room.delete()


def mute_room(room, alice, bob):
    UserSetting.objects.create(user=bob, key=f"mute_{room.pk}", value="true")


def mark_seen(room, alice, bob):
    room_seen.send(sender=Room, user_id=bob.pk, room_id=room.pk)


def change_profile(room, alice, bob):
    alice.display_name = "Alice A."
    alice.save()


EVERY_FAMILY = [
    send_message,
    add_reaction,
    rename_room,
    remove_member,
    delete_room,
    mute_room,
    mark_seen,
    change_profile,
]


@pytest.mark.parametrize("change", EVERY_FAMILY)
def test_no_event_of_any_family_leaves_before_the_commit(group, alice, bob, channels, change):
    channels.skip(alice.user, bob.user)
    with channels.commit():
        change(group, alice.user, bob.user)
        assert channels.new(alice.user) == channels.new(bob.user) == []
    assert channels.new(alice.user) + channels.new(bob.user) != []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", EVERY_FAMILY)
def test_no_event_of_any_family_survives_a_rollback(alice, bob, change):
    channels = Channels()
    room = room_with(alice.user, bob.user, name="Ops")
    channels.skip(alice.user, bob.user)
    with pytest.raises(RuntimeError), transaction.atomic():
        change(room, alice.user, bob.user)
        raise RuntimeError
    assert channels.new(alice.user) == channels.new(bob.user) == []
    room = Room.objects.get(name="Ops")  # a rolled-back delete() left the instance without a pk
    change(room, alice.user, bob.user)  # autocommit: the same change, committed, is published
    assert channels.new(alice.user) + channels.new(bob.user) != []


@pytest.mark.django_db(transaction=True)
class TestRealCommits:
    """Without the test's wrapping transaction: real commits, real rollbacks, autocommit."""

    def test_a_rolled_back_transaction_publishes_nothing(self, alice, bob):
        channels = Channels()
        room = room_with(alice.user, bob.user, name="Ops")
        channels.skip(alice.user, bob.user)
        with pytest.raises(RuntimeError), transaction.atomic():
            MessageFactory(room=room, from_user=alice.user)
            room.name = "Never"
            room.save()
            RoomUser.objects.filter(room=room, user=bob.user).get().delete()
            raise RuntimeError
        assert channels.new(alice.user) == []
        assert channels.new(bob.user) == []

    def test_a_committed_transaction_publishes_in_the_order_of_its_changes(self, alice, bob):
        channels = Channels()
        with transaction.atomic():
            room = room_with(alice.user, bob.user, name="Ops")
            MessageFactory(room=room, from_user=alice.user)
        assert channels.types(bob.user) == ["NEW_ROOM", "NEW_MESSAGE"]

    def test_in_autocommit_each_save_is_its_own_transaction(self, alice, bob):
        """A shell session: the room is announced as its members arrive."""
        channels = Channels()
        room = Room.objects.create(type=Room.Type.GROUP, name="Shell")
        RoomUser.objects.create(room=room, user=alice.user)
        RoomUser.objects.create(room=room, user=bob.user)
        assert channels.types(alice.user) == ["UPDATE_ROOM", "UPDATE_ROOM"]
        assert channels.types(bob.user) == ["UPDATE_ROOM"]
