"""POST /messages (send) and PUT /messages/:id (edit), spec §5.5.1-§5.5.2."""

import pytest

from accounts.models import Block
from chat.models import File, Message, MessageRecord, Room
from spika.schemas import to_millis
from tests.chat.messages_helpers import joined_earlier, message_in, message_json
from tests.factories import room_with


@pytest.fixture
def room(alice, bob):
    return room_with(alice.user, bob.user)


def send(persona, room, **fields):
    body = {"roomId": room.id, "type": "text", "body": {"text": "hi"}, **fields}
    return persona.api.post("/messages", body)


# Send


def test_send_answers_the_message_with_the_local_id_echoed(alice, room):
    status, body = send(
        alice, room, body={"text": "hi", "localId": "l-1"}, localId="l-1", hasLink=True
    )

    message = Message.objects.get()
    assert status == 200
    assert body == {"status": "success", "data": {"message": message_json(message)}}
    assert body["data"]["message"] | {"id": 0, "createdAt": 0, "modifiedAt": 0} == {
        "id": 0,
        "roomId": room.id,
        "fromUserId": alice.user.id,
        "totalUserCount": 2,
        "deliveredCount": 1,
        "seenCount": 1,
        "type": "text",
        "body": {"text": "hi", "localId": "l-1"},
        "createdAt": 0,
        "modifiedAt": 0,
        "localId": "l-1",
        "replyId": None,
        "deleted": False,
        "isForwarded": False,
        "hasLink": True,
    }
    assert message.from_device_id == alice.device.id


def test_send_gives_the_sender_a_delivered_and_a_seen_record(alice, room):
    send(alice, room)

    records = MessageRecord.objects.values_list("user_id", "type")
    assert sorted(records) == [(alice.user.id, "delivered"), (alice.user.id, "seen")]


def test_send_counts_every_member_bots_and_blockers_included(alice, bob, charlie):
    room = room_with(alice.user, bob.user, charlie.user)
    Block.objects.create(user=charlie.user, blocked=alice.user)

    status, body = send(alice, room)

    assert status == 200
    assert body["data"]["message"]["totalUserCount"] == 3


@pytest.mark.parametrize("room_id", ["charlies", "missing", 2**63 - 1])
def test_send_to_a_room_the_caller_is_not_in_is_chat_user_not_found(alice, charlie, room_id):
    own = room_with(charlie.user)
    target = {"charlies": own.id, "missing": own.id + 1000}.get(room_id, room_id)

    status, body = alice.api.post(
        "/messages", {"roomId": target, "type": "text", "body": {"text": "hi"}}
    )

    assert (status, body) == (400, {"status": "error", "message": "Chat user not found"})
    assert not Message.objects.exists()


def test_send_to_a_deleted_room_is_refused(alice, bob):
    room = room_with(alice.user, bob.user, deleted=True)

    assert send(alice, room) == (403, {"status": "error", "message": "Chat is deleted"})
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"type": "location"}, "Invalid type"),
        ({"type": "system"}, "Invalid type"),
        ({"body": {}}, "Text is missing"),
        ({"body": {"text": ""}}, "Text is missing"),
        ({"body": {"text": 5}}, "Text is missing"),
        ({"type": "image", "body": {}}, "fileId is missing"),
        ({"type": "image", "body": {"fileId": 987654}}, "Invalid fileId"),
        ({"type": "file", "body": {"fileId": "1"}}, "Invalid fileId"),
        ({"type": "video", "body": {"fileId": 2**70}}, "Invalid fileId"),
        ({"replyId": 987654}, "there is no message with replyId"),
    ],
)
def test_send_applies_spikas_type_and_body_rules(alice, room, fields, message):
    assert send(alice, room, **fields) == (400, {"status": "error", "message": message})
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"roomId": "1"},
        {"roomId": [42]},
        {"roomId": None},
        {"roomId": 2**64},
        {"type": True},
        {"type": [1]},
        {"type": None},
        {"body": "hi"},
        {"body": None},
        {"body": {"text": "a\x00b"}},
        {"body": {"text": "x" * 70_000}},
        {"localId": 5},
        {"localId": "x" * 256},
        {"localId": "a\x00"},
        {"replyId": True},
        {"replyId": "5"},
        {"replyId": 2**64},
        {"hasLink": "yes"},
    ],
)
def test_send_rejects_bad_input_and_writes_nothing(alice, room, fields):
    status, body = send(alice, room, **fields)

    assert status == 400
    assert body["status"] == "error"
    assert body["message"].startswith("Invalid params ValidationError: ")
    assert not Message.objects.exists()
    assert not MessageRecord.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        "[1, 2]",
        '{"roomId": 1, "type": "text", "body": {"text": "a", "n": NaN}}',
        '{"roomId": 1, "type": "text", "body": {"text": "a", "n": Infinity}}',
        '{"roomId": 1, "type": "text", "body": ' + '{"a":' * 40 + "1" + "}" * 41,
    ],
)
def test_send_rejects_bodies_postgresql_cannot_store(alice, room, raw):
    status, body = alice.api.post(
        "/messages", raw=raw.replace('"roomId": 1', f'"roomId": {room.id}')
    )

    assert status == 400
    assert body["status"] == "error"
    assert not Message.objects.exists()


def test_send_without_a_token_is_401(anonymous, room):
    status, body = anonymous.post("/messages", {"roomId": room.id, "type": "text", "body": {}})

    assert (status, body) == (401, {"status": "error", "message": "No access token"})


def test_send_formats_media_bodies_with_their_files(alice, room):
    image = File.objects.create(file_name="a.png", mime_type="image/png", size=10, meta_data={})
    thumb = File.objects.create(file_name="t.png", mime_type="image/png", size=2.5)

    status, body = send(alice, room, type="image", body={"fileId": image.id, "thumbId": thumb.id})

    assert status == 200
    assert body["data"]["message"]["body"] == {
        "fileId": image.id,
        "thumbId": thumb.id,
        "file": {
            "id": image.id,
            "fileName": "a.png",
            "mimeType": "image/png",
            "size": 10.0,
            "metaData": {},
        },
        "thumb": {
            "id": thumb.id,
            "fileName": "t.png",
            "mimeType": "image/png",
            "size": 2.5,
            "metaData": {},
        },
    }
    assert Message.objects.get().body == {"fileId": image.id, "thumbId": thumb.id}


def test_send_an_unknown_thumbnail_is_refused(alice, room):
    image = File.objects.create(file_name="a.png")

    status, body = send(alice, room, type="image", body={"fileId": image.id, "thumbId": 999999})

    assert (status, body) == (400, {"status": "error", "message": "Invalid thumbId"})


def test_a_reply_quotes_the_message_it_answers(alice, bob, room):
    joined_earlier(room, alice.user, bob.user)
    quoted = message_in(room, bob.user, "question?")

    status, body = send(
        alice, room, replyId=quoted.id, body={"text": "answer", "referenceMessage": {"x": 1}}
    )

    assert status == 200
    assert body["data"]["message"]["replyId"] == quoted.id
    assert body["data"]["message"]["body"] == {
        "text": "answer",
        "referenceMessage": message_json(quoted),
    }


def test_a_reply_needs_text(alice, bob, room):
    joined_earlier(room, alice.user, bob.user)
    quoted = message_in(room, bob.user)

    status, body = send(alice, room, replyId=quoted.id, body={})

    assert (status, body) == (400, {"status": "error", "message": "Text is missing"})


def test_a_reply_cannot_quote_a_message_of_another_room(alice, charlie, room):
    elsewhere = room_with(charlie.user)
    joined_earlier(elsewhere, charlie.user)
    secret = message_in(elsewhere, charlie.user, "secret")

    status, body = send(alice, room, replyId=secret.id, body={"text": "what?"})

    assert (status, body) == (
        400,
        {"status": "error", "message": "there is no message with replyId"},
    )
    assert not Message.objects.filter(room=room).exists()


def test_a_reply_cannot_quote_a_message_from_before_the_caller_joined(alice, bob, room):
    joined_earlier(room, bob.user)
    before = message_in(room, bob.user, "before alice came")
    before.created_at = before.created_at.replace(year=2000)
    before.save()

    status, body = send(alice, room, replyId=before.id, body={"text": "what?"})

    assert (status, body) == (
        400,
        {"status": "error", "message": "there is no message with replyId"},
    )


def test_a_quote_sent_without_a_reply_id_is_dropped(alice, room):
    status, body = send(alice, room, body={"text": "hi", "referenceMessage": {"body": "fake"}})

    assert body["data"]["message"]["body"] == {"text": "hi"}


# Edit


@pytest.fixture
def sent(alice, bob, room):
    joined_earlier(room, alice.user, bob.user)
    return message_in(room, alice.user, "first", from_device=alice.device)


def test_edit_replaces_the_text_and_answers_the_message(alice, sent):
    before = to_millis(Message.objects.get(id=sent.id).modified_at)

    status, body = alice.api.put(
        f"/messages/{sent.id}", {"text": "second", "thumbnailData": {"title": "t"}, "hasLink": True}
    )

    assert status == 200
    assert body == {"status": "success", "data": {"message": message_json(sent)}}
    assert sent.body == {"text": "second", "thumbnailData": {"title": "t"}}
    assert sent.has_link is True
    assert to_millis(sent.modified_at) >= before


def test_edit_keeps_other_body_keys_and_clears_the_preview(alice, sent):
    sent.body = {"text": "first", "localId": "l", "thumbnailData": {"title": "old"}}
    sent.save()

    status, _ = alice.api.put(f"/messages/{sent.id}", {"text": "second"})

    sent.refresh_from_db()
    assert status == 200
    assert sent.body == {"text": "second", "localId": "l", "thumbnailData": None}


@pytest.mark.parametrize("payload", [{}, {"text": ""}, {"text": None}, {"text": 5}])
def test_edit_without_text_is_refused(alice, sent, payload):
    status, body = alice.api.put(f"/messages/{sent.id}", payload)

    assert (status, body) == (400, {"status": "error", "message": "Text is required"})
    sent.refresh_from_db()
    assert sent.body == {"text": "first"}


@pytest.mark.parametrize("message_id", ["987654", "65415361531115131", "99999999999999999999", "x"])
def test_edit_of_an_unknown_message_is_404(alice, sent, message_id):
    status, body = alice.api.put(f"/messages/{message_id}", {"text": "x"})

    assert (status, body) == (404, {"status": "error", "message": "Not found"})


def test_edit_of_a_message_deleted_for_everyone_is_404(alice, sent):
    sent.deleted = True
    sent.save()

    status, body = alice.api.put(f"/messages/{sent.id}", {"text": "back"})

    assert (status, body) == (404, {"status": "error", "message": "Not found"})


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_edit_of_someone_elses_message_is_refused(request, sent, who):
    persona = request.getfixturevalue(who)

    status, body = persona.api.put(f"/messages/{sent.id}", {"text": "mine now"})

    assert (status, body) == (
        403,
        {"status": "error", "message": "User can't edit messages that he is not owner"},
    )
    sent.refresh_from_db()
    assert sent.body == {"text": "first"}


def test_only_text_messages_can_be_edited(alice, sent):
    sent.type = Message.Type.IMAGE
    sent.save()

    status, body = alice.api.put(f"/messages/{sent.id}", {"text": "x"})

    assert (status, body) == (
        400,
        {"status": "error", "message": "Only messages with type text can be edited"},
    )


def test_forwarded_messages_cannot_be_edited(alice, sent):
    sent.is_forwarded = True
    sent.save()

    status, body = alice.api.put(f"/messages/{sent.id}", {"text": "x"})

    assert (status, body) == (
        400,
        {"status": "error", "message": "Forwarded messages can't be edited"},
    )


def test_a_blocker_cannot_edit_in_the_private_room(alice, bob):
    room = room_with(alice.user, bob.user, type=Room.Type.PRIVATE)
    joined_earlier(room, alice.user, bob.user)
    message = message_in(room, alice.user, "first")
    Block.objects.create(user=alice.user, blocked=bob.user)

    status, body = alice.api.put(f"/messages/{message.id}", {"text": "x"})

    assert (status, body) == (403, {"status": "error", "message": "Room is blocked"})


@pytest.mark.parametrize(
    "payload",
    [{"text": "a\x00"}, {"text": "x", "thumbnailData": {"t": "\x00"}}, {"text": "x", "hasLink": 1}],
)
def test_edit_rejects_what_cannot_be_stored(alice, sent, payload):
    status, body = alice.api.put(f"/messages/{sent.id}", payload)

    assert status == 400
    assert body["status"] == "error"
    sent.refresh_from_db()
    assert sent.body == {"text": "first"}
