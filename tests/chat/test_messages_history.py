"""GET /messages/roomId/:roomId (a room's history) and GET /messages/:id/message-records."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import HiddenMessage, MessageRecord
from chat.signals import records_bulk_created
from spika.schemas import to_millis
from tests.chat.messages_helpers import (
    history_item,
    joined_earlier,
    message_in,
    record_json,
    signals_caught,
)
from tests.factories import MessageRecordFactory, room_with


def test_history_lists_newest_first_with_reactions(alice, bob, room):
    older = message_in(room, alice.user, "older")
    newer = message_in(room, bob.user, "newer", local_id="l-9", has_link=True)
    first = MessageRecordFactory(message=older, user=bob.user, type="reaction", reaction="👍")
    taken_back = MessageRecordFactory(
        message=older, user=alice.user, type="reaction", reaction="Deleted reaction"
    )
    taken_back.is_deleted = True
    taken_back.save()
    MessageRecordFactory(message=older, user=bob.user, type="seen")
    # As Spika: the page shows the counts from before this opening delivered it.
    expected = [history_item(newer), history_item(older, reactions=[taken_back, first])]

    status, body = alice.api.get(f"/messages/roomId/{room.id}")

    assert status == 200
    assert body == {
        "status": "success",
        "data": {
            "list": expected,
            "count": 2,
            "limit": 50,
            "nextCursor": None,
        },
    }


def test_opening_the_room_delivers_what_it_shows_once(alice, bob, room):
    message = message_in(room, bob.user)

    with signals_caught(records_bulk_created) as first_time:
        alice.api.get(f"/messages/roomId/{room.id}")
    with signals_caught(records_bulk_created) as second_time:
        alice.api.get(f"/messages/roomId/{room.id}")

    record = MessageRecord.objects.get()
    assert (record.user_id, record.type, record.message_id) == (
        alice.user.id,
        "delivered",
        message.id,
    )
    assert first_time == [{"record_ids": [record.id]}]
    assert second_time == []
    message.refresh_from_db()
    assert (message.delivered_count, message.seen_count) == (1, 0)


def test_history_hides_what_was_sent_before_the_caller_joined(alice, bob, room):
    message_in(room, bob.user, "before", created_at=timezone.now() - timedelta(days=2))
    after = message_in(room, bob.user, "after")

    _, body = alice.api.get(f"/messages/roomId/{room.id}")

    assert [item["id"] for item in body["data"]["list"]] == [after.id]
    assert body["data"]["count"] == 1


def test_history_shows_a_message_deleted_for_me_as_deleted(alice, bob, room):
    message = message_in(room, bob.user, "theirs")
    hidden = HiddenMessage.objects.create(user=alice.user, message=message)
    expected = history_item(
        message,
        body={"text": "Deleted message"},
        deleted=True,
        modifiedAt=to_millis(hidden.created_at),
    )

    _, body = alice.api.get(f"/messages/roomId/{room.id}")

    assert body["data"]["list"] == [expected]


def test_history_pages_with_an_inclusive_cursor(alice, bob, room):
    start = timezone.now() - timedelta(minutes=30)
    messages = [
        message_in(room, bob.user, f"m{i}", created_at=start + timedelta(seconds=i))
        for i in range(56)
    ]

    _, first = alice.api.get(f"/messages/roomId/{room.id}")
    cursor = first["data"]["nextCursor"]
    _, second = alice.api.get(f"/messages/roomId/{room.id}?cursor={cursor}")

    assert [i["id"] for i in first["data"]["list"]] == [m.id for m in messages[:5:-1]]
    assert cursor == messages[6].id
    assert (first["data"]["count"], first["data"]["limit"]) == (56, 50)
    assert [i["id"] for i in second["data"]["list"]] == [m.id for m in messages[6::-1]]
    assert second["data"]["nextCursor"] is None


def test_a_target_message_widens_the_page_down_to_it(alice, bob, room):
    start = timezone.now() - timedelta(minutes=30)
    messages = [
        message_in(room, bob.user, f"m{i}", created_at=start + timedelta(seconds=i))
        for i in range(60)
    ]

    _, body = alice.api.get(f"/messages/roomId/{room.id}?targetMessageId={messages[3].id}")

    assert body["data"]["limit"] == 57
    assert body["data"]["list"][-1]["id"] == messages[3].id


@pytest.mark.parametrize("room_id", ["charlies", "987654", "65415361531115131", "12abc", "0"])
def test_history_of_a_room_the_caller_is_not_in_is_404(alice, charlie, room_id):
    own = room_with(charlie.user)
    message_in(own, charlie.user)

    status, body = alice.api.get(f"/messages/roomId/{own.id if room_id == 'charlies' else room_id}")

    assert (status, body) == (404, {"status": "error", "message": "No room found"})
    assert not MessageRecord.objects.filter(user=alice.user).exists()


@pytest.mark.parametrize("query", ["cursor=abc", "cursor=-1", "targetMessageId=x", "cursor=1e400"])
def test_history_rejects_a_bad_cursor(alice, room, query):
    status, body = alice.api.get(f"/messages/roomId/{room.id}?{query}")

    assert status == 400
    assert body["status"] == "error"


def test_an_unknown_cursor_gives_an_empty_page(alice, bob, room):
    message_in(room, bob.user)

    _, body = alice.api.get(f"/messages/roomId/{room.id}?cursor=987654")

    assert body["data"] == {"list": [], "count": 1, "limit": 50, "nextCursor": None}


# GET /messages/:id/message-records


def test_records_of_a_message_include_taken_back_reactions(alice, bob, room):
    message = message_in(room, alice.user)
    seen = MessageRecordFactory(message=message, user=bob.user, type="seen")
    reaction = MessageRecordFactory(message=message, user=bob.user, type="reaction", reaction="😀")
    gone = MessageRecordFactory(
        message=message, user=alice.user, type="reaction", reaction="Deleted reaction"
    )
    gone.is_deleted = True
    gone.save()

    status, body = bob.api.get(f"/messages/{message.id}/message-records")
    _, reactions = bob.api.get(f"/messages/{message.id}/message-records?type=reaction")

    assert status == 200
    assert body == {
        "status": "success",
        "data": {"messageRecords": [record_json(seen), record_json(reaction), record_json(gone)]},
    }
    assert reactions["data"] == {"messageRecords": [record_json(reaction)]}


@pytest.mark.parametrize("case", ["other room", "before joining", "unknown", "huge", "word"])
def test_records_of_a_message_the_caller_cannot_see_are_404(alice, charlie, room, case):
    elsewhere = room_with(charlie.user)
    joined_earlier(elsewhere, charlie.user)
    message_id = {
        "other room": lambda: message_in(elsewhere, charlie.user).id,
        "before joining": lambda: (
            message_in(room, alice.user, created_at=timezone.now() - timedelta(days=1)).id
        ),
        "unknown": lambda: 987654,
        "huge": lambda: "65415361531115131",
        "word": lambda: "abc",
    }[case]()

    status, body = alice.api.get(f"/messages/{message_id}/message-records")

    assert (status, body) == (404, {"status": "error", "message": "No message found"})
