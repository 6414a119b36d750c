"""POST/DELETE /message-records (reactions) and GET /message-records/sync/:lastUpdate (§5.6)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Block
from chat.models import MessageRecord, Room
from spika.schemas import to_millis
from tests.chat.messages_helpers import joined_earlier, message_in, record_json
from tests.factories import MessageRecordFactory, room_with


@pytest.fixture
def message(alice, room):
    return message_in(room, alice.user)


def react(persona, message_id, reaction="👍", **extra):
    return persona.api.post(
        "/message-records", {"messageId": message_id, "reaction": reaction, **extra}
    )


def test_a_reaction_is_created_and_answered(bob, message):
    status, body = react(bob, message.id, type="reaction")

    record = MessageRecord.objects.get()
    assert status == 200
    assert body == {"status": "success", "data": {"messageRecord": record_json(record)}}
    assert (record.user_id, record.type, record.reaction) == (bob.user.id, "reaction", "👍")


def test_a_second_reaction_replaces_the_first_in_place(bob, message):
    _, first = react(bob, message.id, "👍")

    _, second = react(bob, message.id, "😂")

    assert second["data"]["messageRecord"]["id"] == first["data"]["messageRecord"]["id"]
    assert MessageRecord.objects.get().reaction == "😂"


def test_a_taken_back_reaction_comes_back_in_place(bob, message):
    _, first = react(bob, message.id, "👍")
    record_id = first["data"]["messageRecord"]["id"]
    bob.api.delete(f"/message-records/{record_id}")

    _, again = react(bob, message.id, "🎉")

    record = MessageRecord.objects.get()
    assert again["data"]["messageRecord"] == record_json(record)
    assert (record.id, record.is_deleted, record.reaction) == (record_id, False, "🎉")


def test_reactions_do_not_move_the_counters(bob, message):
    react(bob, message.id)

    message.refresh_from_db()
    assert (message.delivered_count, message.seen_count) == (0, 0)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"messageId": "MID"},
        {"messageId": "MID", "type": "delivered"},
        {"messageId": "MID", "reaction": ""},
        {"messageId": "MID", "reaction": 5},
        {"messageId": "MID", "reaction": "x" * 65},
        {"messageId": "MID", "reaction": "\x00"},
        {"messageId": "1", "reaction": "👍"},
        {"messageId": 2**64, "reaction": "👍"},
        {"messageId": True, "reaction": "👍"},
    ],
)
def test_reaction_rejects_bad_input(bob, message, payload):
    payload = {k: message.id if v == "MID" else v for k, v in payload.items()}

    status, body = bob.api.post("/message-records", payload)

    assert status == 400
    assert body["status"] == "error"
    assert not MessageRecord.objects.exists()


@pytest.mark.parametrize("case", ["unknown", "other room", "before joining"])
def test_reaction_on_a_message_the_caller_cannot_see_is_404(bob, charlie, room, case):
    elsewhere = room_with(charlie.user)
    joined_earlier(elsewhere, charlie.user)
    message_id = {
        "unknown": lambda: 987654,
        "other room": lambda: message_in(elsewhere, charlie.user).id,
        "before joining": lambda: (
            message_in(room, bob.user, created_at=timezone.now() - timedelta(days=1)).id
        ),
    }[case]()

    assert react(bob, message_id) == (404, {"status": "error", "message": "Message not found"})
    assert not MessageRecord.objects.exists()


def test_a_blocker_cannot_react_in_the_private_room(alice, bob):
    room = room_with(alice.user, bob.user, type=Room.Type.PRIVATE)
    joined_earlier(room, alice.user, bob.user)
    message = message_in(room, alice.user)
    Block.objects.create(user=bob.user, blocked=alice.user)

    assert react(bob, message.id) == (403, {"status": "error", "message": "Room is blocked"})
    assert not MessageRecord.objects.exists()


# DELETE /message-records/:id


def test_taking_a_reaction_back_is_a_soft_delete(bob, message):
    _, created = react(bob, message.id)
    record_id = created["data"]["messageRecord"]["id"]

    status, body = bob.api.delete(f"/message-records/{record_id}")

    record = MessageRecord.objects.get()
    assert status == 200
    assert body == {"status": "success", "data": {"messageRecord": record_json(record)}}
    assert (record.is_deleted, record.reaction) == (True, "Deleted reaction")


@pytest.mark.parametrize("record_id", ["alices", "987654", "165168485413514", "abc"])
def test_only_ones_own_records_can_be_deleted(alice, bob, message, record_id):
    _, created = react(alice, message.id)
    own_id = created["data"]["messageRecord"]["id"]

    status, body = bob.api.delete(
        f"/message-records/{own_id if record_id == 'alices' else record_id}"
    )

    assert (status, body) == (404, {"status": "error", "message": "Not found"})
    assert MessageRecord.objects.get().is_deleted is False


def test_only_reactions_can_be_deleted(bob, message):
    seen = MessageRecordFactory(message=message, user=bob.user, type="seen")

    status, body = bob.api.delete(f"/message-records/{seen.id}")

    assert (status, body) == (404, {"status": "error", "message": "Only reactions can be deleted"})
    assert MessageRecord.objects.filter(id=seen.id, is_deleted=False).exists()


# GET /message-records/sync/:lastUpdate


def test_records_sync_lists_changed_records_with_their_message(alice, bob, charlie, message):
    old = MessageRecordFactory(message=message, user=bob.user, type="delivered")
    MessageRecord.objects.filter(pk=old.pk).update(modified_at=timezone.now() - timedelta(days=1))
    since = timezone.now() - timedelta(minutes=1)
    _, created = react(bob, message.id)
    seen = MessageRecordFactory(message=message, user=bob.user, type="seen")
    message_in(room_with(charlie.user), charlie.user)
    message.refresh_from_db()
    about = {
        "message": {
            "id": message.id,
            "totalUserCount": message.total_user_count,
            "deliveredCount": message.delivered_count,
            "seenCount": message.seen_count,
            "roomId": message.room_id,
        }
    }
    reaction = MessageRecord.objects.get(type="reaction")

    status, body = alice.api.get(f"/message-records/sync/{to_millis(since)}")

    assert status == 200
    assert body == {
        "status": "success",
        "data": {
            "list": [record_json(reaction) | about, record_json(seen) | about],
            "limit": 500,
            "count": 2,
            "hasNext": False,
        },
    }


def test_records_sync_pages_by_five_hundred(alice, bob, message):
    others = [type(bob.user).objects.create(telephone_number=f"+1555{i:07d}") for i in range(501)]
    MessageRecord.objects.bulk_create(
        MessageRecord(message=message, user=user, type="delivered") for user in others
    )

    _, first = alice.api.get("/message-records/sync/0")
    _, second = alice.api.get("/message-records/sync/0?page=2")

    assert (len(first["data"]["list"]), first["data"]["count"], first["data"]["hasNext"]) == (
        500,
        501,
        True,
    )
    assert (len(second["data"]["list"]), second["data"]["hasNext"]) == (1, False)


@pytest.mark.parametrize(
    "path, text",
    [
        ("/abc58", "lastUpdate must be number"),
        ("/0?page=zero", "page must be valid number"),
        ("/0?page=0", "page must be valid number"),
    ],
)
def test_records_sync_rejects_bad_numbers(alice, path, text):
    status, body = alice.api.get("/message-records/sync" + path)

    assert (status, body) == (400, {"status": "error", "message": text})
