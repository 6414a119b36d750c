"""DELETE /messages/:id and POST /messages/delete-many, for everyone and for me (§5.5.3-4)."""

import pytest

from chat.models import HiddenMessage, Message
from chat.signals import messages_bulk_changed
from spika.schemas import to_millis
from tests.chat.messages_helpers import (
    deleted_json,
    message_in,
    message_json,
    signals_caught,
)


@pytest.fixture
def mine(alice, room):
    return message_in(room, alice.user, "mine")


@pytest.fixture
def theirs(bob, room):
    return message_in(room, bob.user, "theirs")


def test_delete_for_everyone_empties_the_message(alice, mine):
    with signals_caught(messages_bulk_changed) as sent:
        status, body = alice.api.delete(f"/messages/{mine.id}?target=all")

    assert status == 200
    assert body == {"status": "success", "data": {"message": deleted_json(mine)}}
    mine.refresh_from_db()
    assert (mine.deleted, mine.type, mine.body) == (True, "text", {"text": "Deleted message"})
    assert sent == [{"message_ids": [mine.id]}]


def test_delete_for_everyone_moves_modified_at(alice, mine):
    before = Message.objects.get(id=mine.id).modified_at

    alice.api.delete(f"/messages/{mine.id}?target=ALL")

    mine.refresh_from_db()
    assert mine.modified_at > before


def test_deleting_twice_is_allowed(alice, mine):
    alice.api.delete(f"/messages/{mine.id}?target=all")

    status, body = alice.api.delete(f"/messages/{mine.id}?target=all")

    assert (status, body) == (200, {"status": "success", "data": {"message": deleted_json(mine)}})


def test_delete_for_me_hides_it_from_the_caller_only(alice, bob, theirs):
    with signals_caught(messages_bulk_changed) as sent:
        status, body = alice.api.delete(f"/messages/{theirs.id}?target=user")

    hidden = HiddenMessage.objects.get()
    assert status == 200
    assert body["data"]["message"] == message_json(
        theirs,
        body={"text": "Deleted message"},
        deleted=True,
        modifiedAt=to_millis(hidden.created_at),
    )
    assert (hidden.user_id, hidden.message_id) == (alice.user.id, theirs.id)
    theirs.refresh_from_db()
    assert (theirs.deleted, theirs.body) == (False, {"text": "theirs"})
    assert sent == []
    _, seen_by_bob = bob.api.get(f"/messages/roomId/{theirs.room_id}")
    assert seen_by_bob["data"]["list"][0]["body"] == {"text": "theirs"}


@pytest.mark.parametrize("query", ["", "?target=", "?target=both", "?target[]=all"])
def test_delete_needs_a_target(alice, mine, query):
    status, body = alice.api.delete(f"/messages/{mine.id}{query}")

    assert (status, body) == (400, {"status": "error", "message": "Invalid target query param"})
    assert not Message.objects.get(id=mine.id).deleted


@pytest.mark.parametrize("message_id", ["987654", "65415361531115131", "1e3", "abc"])
def test_delete_of_an_unknown_message_is_404(alice, mine, message_id):
    status, body = alice.api.delete(f"/messages/{message_id}?target=all")

    assert (status, body) == (404, {"status": "error", "message": "Not found"})


def test_nobody_deletes_someone_elses_message_for_everyone(alice, theirs):
    status, body = alice.api.delete(f"/messages/{theirs.id}?target=all")

    assert (status, body) == (
        403,
        {"status": "error", "message": "User can't delete another users message"},
    )
    assert not Message.objects.get(id=theirs.id).deleted


@pytest.mark.parametrize("target", ["all", "user"])
def test_an_outsider_deletes_nothing(charlie, room, target):
    outsiders_own = message_in(room, charlie.user, "left behind")

    status, body = charlie.api.delete(f"/messages/{outsiders_own.id}?target={target}")

    assert (status, body) == (
        403,
        {"status": "error", "message": "User can't delete messages from room that he is not in"},
    )
    assert not HiddenMessage.objects.exists()
    assert not Message.objects.get(id=outsiders_own.id).deleted


# delete-many


def test_delete_many_deletes_them_all(alice, room):
    first, second = message_in(room, alice.user), message_in(room, alice.user)

    with signals_caught(messages_bulk_changed) as sent:
        status, body = alice.api.post(
            "/messages/delete-many?target=all",
            {"messageIds": [second.id, first.id], "target": "all"},
        )

    assert status == 200
    assert body == {
        "status": "success",
        "data": {"messages": [deleted_json(second), deleted_json(first)]},
    }
    assert sent == [{"message_ids": [first.id, second.id]}]


def test_delete_many_reads_the_target_from_the_body_too(alice, mine):
    status, body = alice.api.post(
        "/messages/delete-many", {"messageIds": [mine.id], "target": "user"}
    )

    assert status == 200
    assert HiddenMessage.objects.filter(user=alice.user, message=mine).exists()


@pytest.mark.parametrize(
    "ids, status, message",
    [
        (["mine", 987654], 404, "Not found"),
        (["mine", "theirs"], 403, "User can't delete another users message"),
    ],
)
def test_delete_many_changes_nothing_when_one_fails(alice, mine, theirs, ids, status, message):
    named = {"mine": mine.id, "theirs": theirs.id}
    message_ids = [named.get(i, i) for i in ids]

    answer = alice.api.post("/messages/delete-many?target=all", {"messageIds": message_ids})

    assert answer == (status, {"status": "error", "message": message})
    assert not Message.objects.filter(deleted=True).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"messageIds": "1"},
        {"messageIds": [True]},
        {"messageIds": ["x"]},
        {"messageIds": [2**64]},
        {"messageIds": None},
        {"messageIds": list(range(1, 1002))},
    ],
)
def test_delete_many_rejects_bad_input(alice, mine, payload):
    status, body = alice.api.post("/messages/delete-many?target=all", payload)

    assert status == 400
    assert body["status"] == "error"
    assert not Message.objects.filter(deleted=True).exists()


def test_delete_many_with_no_ids_deletes_nothing(alice, mine):
    status, body = alice.api.post("/messages/delete-many?target=all", {"messageIds": []})

    assert (status, body) == (200, {"status": "success", "data": {"messages": []}})
