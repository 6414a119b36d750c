"""Golden tests: each event's whole JSON, written from spec/events.md §3 (not from the output).

The builders are pure, so they run on unsaved instances with the spec's own example values.
"""

import json
from datetime import UTC, datetime

from accounts.models import User
from chat.models import File, Message, MessageRecord, Room, RoomUser
from eventstream import payloads

T = datetime(2024, 11, 28, 10, 33, 20, tzinfo=UTC)  # 1732790000000 ms
T_MS = 1732790000000
LATER = datetime(2024, 11, 28, 10, 33, 21, 250000, tzinfo=UTC)
LATER_MS = 1732790001250


def johnny():
    return User(
        pk=55,
        email_address="johny25@example.com",
        telephone_number="+385978774088",
        telephone_number_hashed="54f3d56s4f3sd4fds",
        display_name="johnny",
        avatar_file_id=55,
        created_at=T,
        modified_at=T,
        short_description="not in the payload",
        verified=True,
    )


JOHNNY_JSON = {
    "id": 55,
    "emailAddress": "johny25@example.com",
    "telephoneNumber": "+385978774088",
    "telephoneNumberHashed": "54f3d56s4f3sd4fds",
    "displayName": "johnny",
    "avatarFileId": 55,
    "createdAt": 1732790000000,
    "modifiedAt": 1732790000000,
}


def lala(**fields):
    values = dict(
        pk=22,
        room_id=58,
        from_user_id=88,
        total_user_count=4,
        delivered_count=2,
        seen_count=1,
        type="text",
        body={"text": "lala"},
        created_at=T,
        modified_at=T,
        local_id="uuid-dsauhs5dsad1a5sd1as",
        deleted=False,
    )
    return Message(**{**values, **fields})


def test_new_message_is_the_spec_example_with_the_listed_extras():
    assert payloads.new_message(lala()) == {
        "type": "NEW_MESSAGE",
        "message": {
            "id": 22,
            "roomId": 58,
            "fromUserId": 88,
            "totalUserCount": 4,
            "deliveredCount": 2,
            "seenCount": 1,
            "type": "text",
            "body": {"text": "lala"},
            "createdAt": 1732790000000,
            "modifiedAt": 1732790000000,
            "localId": "uuid-dsauhs5dsad1a5sd1as",
            "deleted": False,
            "replyId": None,
            "isForwarded": False,
            "hasLink": False,
        },
    }


def test_update_message_carries_the_new_body_and_modified_at():
    message = lala(body={"text": "lala, edited"}, modified_at=LATER, reply_id=21, has_link=True)
    assert payloads.update_message(message) == {
        "type": "UPDATE_MESSAGE",
        "message": {
            "id": 22,
            "roomId": 58,
            "fromUserId": 88,
            "totalUserCount": 4,
            "deliveredCount": 2,
            "seenCount": 1,
            "type": "text",
            "body": {"text": "lala, edited"},
            "createdAt": 1732790000000,
            "modifiedAt": 1732790001250,
            "localId": "uuid-dsauhs5dsad1a5sd1as",
            "deleted": False,
            "replyId": 21,
            "isForwarded": False,
            "hasLink": True,
        },
    }


def test_a_media_message_describes_its_file_and_thumbnail_as_the_rest_answer_does():
    photo = File(pk=7, file_name="cat.jpg", mime_type="image/jpeg", size=2048.5, meta_data={})
    thumb = File(pk=8, file_name="cat-t.jpg", mime_type="image/jpeg", size=99, meta_data={"w": 9})
    image = lala(type="image", body={"fileId": 7, "thumbId": 8})

    payload = payloads.new_message(image, files={7: photo, 8: thumb})

    assert payload["message"]["type"] == "image"
    assert payload["message"]["body"] == {
        "fileId": 7,
        "thumbId": 8,
        "file": {
            "id": 7,
            "fileName": "cat.jpg",
            "mimeType": "image/jpeg",
            "size": 2048.5,
            "metaData": {},
        },
        "thumb": {
            "id": 8,
            "fileName": "cat-t.jpg",
            "mimeType": "image/jpeg",
            "size": 99,
            "metaData": {"w": 9},
        },
    }


def test_delete_message_hides_the_content_the_way_spika_does():
    image = lala(type="image", body={"fileId": 7, "thumbId": 8}, local_id=None, from_user_id=None)
    assert payloads.delete_message(image) == {
        "type": "DELETE_MESSAGE",
        "message": {
            "id": 22,
            "roomId": 58,
            "fromUserId": None,
            "totalUserCount": 4,
            "deliveredCount": 2,
            "seenCount": 1,
            "type": "text",
            "body": {"text": "Deleted message"},
            "createdAt": 1732790000000,
            "modifiedAt": 1732790000000,
            "localId": None,
            "deleted": True,
            "replyId": None,
            "isForwarded": False,
            "hasLink": False,
        },
    }


def seen_record(**fields):
    values = dict(
        pk=22, message_id=55, user_id=88, type="seen", reaction=None, created_at=T, modified_at=T
    )
    return MessageRecord(**{**values, **fields})


def test_new_message_record_carries_room_id_and_the_message_counts():
    counts = payloads.MessageCounts(seen=3, delivered=4, total_users=4)
    assert payloads.new_message_record(seen_record(), room_id=58, counts=counts) == {
        "type": "NEW_MESSAGE_RECORD",
        "messageRecord": {
            "id": 22,
            "messageId": 55,
            "userId": 88,
            "type": "seen",
            "reaction": None,
            "modifiedAt": 1732790000000,
            "createdAt": 1732790000000,
            "roomId": 58,
            "isDeleted": False,
        },
        "seenCount": 3,
        "deliveredCount": 4,
        "totalUserCount": 4,
    }


def test_delete_message_record_is_a_reaction_taken_back():
    record = seen_record(type="reaction", reaction="👍", is_deleted=True, modified_at=LATER)
    counts = payloads.MessageCounts(seen=1, delivered=2, total_users=2)
    assert payloads.delete_message_record(record, room_id=58, counts=counts) == {
        "type": "DELETE_MESSAGE_RECORD",
        "messageRecord": {
            "id": 22,
            "messageId": 55,
            "userId": 88,
            "type": "reaction",
            "reaction": "Deleted reaction",
            "modifiedAt": 1732790001250,
            "createdAt": 1732790000000,
            "roomId": 58,
            "isDeleted": True,
        },
        "seenCount": 1,
        "deliveredCount": 2,
        "totalUserCount": 2,
    }


def private_room(**fields):
    values = dict(pk=55, name=None, avatar_file_id=55, type="private", created_at=T, modified_at=T)
    return Room(**{**values, **fields})


def membership():
    return RoomUser(room_id=55, user=johnny(), is_admin=True, created_at=LATER)


ROOM_USERS_JSON = [
    {
        "userId": 55,
        "isAdmin": True,
        "roomId": 55,
        "createdAt": 1732790001250,
        "user": JOHNNY_JSON,
    }
]


def test_new_room_is_built_for_one_recipient_with_their_own_flags():
    view = payloads.RoomView(muted=True, pinned=False, unread_count=3)
    assert payloads.room_event("NEW_ROOM", private_room(), [membership()], view) == {
        "type": "NEW_ROOM",
        "room": {
            "id": 55,
            "name": None,
            "avatarFileId": 55,
            "type": "private",
            "createdAt": 1732790000000,
            "modifiedAt": 1732790000000,
            "deleted": False,
            "users": ROOM_USERS_JSON,
            "muted": True,
            "pinned": False,
            "unreadCount": 3,
        },
    }


def test_update_room_has_the_room_shape():
    room = private_room(name="Ops", type="group", modified_at=LATER)
    view = payloads.RoomView(muted=False, pinned=True, unread_count=0)
    assert payloads.room_event("UPDATE_ROOM", room, [membership()], view) == {
        "type": "UPDATE_ROOM",
        "room": {
            "id": 55,
            "name": "Ops",
            "avatarFileId": 55,
            "type": "group",
            "createdAt": 1732790000000,
            "modifiedAt": 1732790001250,
            "deleted": False,
            "users": ROOM_USERS_JSON,
            "muted": False,
            "pinned": True,
            "unreadCount": 0,
        },
    }


def test_delete_room_says_deleted_even_for_a_row_being_removed():
    view = payloads.RoomView(muted=False, pinned=False, unread_count=0)
    assert payloads.room_event("DELETE_ROOM", private_room(), [], view) == {
        "type": "DELETE_ROOM",
        "room": {
            "id": 55,
            "name": None,
            "avatarFileId": 55,
            "type": "private",
            "createdAt": 1732790000000,
            "modifiedAt": 1732790000000,
            "deleted": True,
            "users": [],
            "muted": False,
            "pinned": False,
            "unreadCount": 0,
        },
    }


def test_seen_room():
    assert payloads.seen_room(55) == {"type": "SEEN_ROOM", "roomId": 55}


def test_removed_from_room():
    assert payloads.removed_from_room(55) == {"type": "REMOVED_FROM_ROOM", "roomId": 55}


def test_user_update_carries_the_public_profile_only():
    assert payloads.user_update(johnny()) == {"type": "USER_UPDATE", "user": JOHNNY_JSON}


def test_a_user_without_email_or_number_sends_nulls():
    user = User(pk=9, display_name="", avatar_file_id=0, created_at=T, modified_at=T)
    assert payloads.user_json(user) == {
        "id": 9,
        "emailAddress": None,
        "telephoneNumber": None,
        "telephoneNumberHashed": None,
        "displayName": "",
        "avatarFileId": 0,
        "createdAt": T_MS,
        "modifiedAt": T_MS,
    }


def test_every_payload_is_plain_json():
    """What publish stores must survive a JSON round trip unchanged (no datetimes, no sets)."""
    view = payloads.RoomView(muted=False, pinned=False, unread_count=0)
    counts = payloads.MessageCounts(seen=0, delivered=0, total_users=1)
    built = [
        payloads.new_message(lala()),
        payloads.delete_message(lala()),
        payloads.new_message_record(seen_record(), room_id=58, counts=counts),
        payloads.room_event("NEW_ROOM", private_room(), [membership()], view),
        payloads.user_update(johnny()),
    ]
    for payload in built:
        assert json.loads(json.dumps(payload)) == payload
