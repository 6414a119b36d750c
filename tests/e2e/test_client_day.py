"""A client's day, over real HTTP and SSE against the running server.

The calls are the ones Spika's 2024 web client makes in its everyday flow
(``spec/web-client-calls.md``), in its order: sign in, start up, list rooms, start a private
chat from a contact, send, receive live, delivered and seen ticks, react, edit, delete, then a
group: create, add and remove a member, leave. Alice uses two devices; charlie, who is never in
the private chat, must never hear of it.
"""

import hashlib
import uuid

import pytest

from tests.e2e.harness import SseStream, http_json, sign_in

pytestmark = pytest.mark.e2e

BROWSER = {
    "device-type": "browser",
    "os-name": "Firefox",
    "os-version": "128.0",
    "device-name": "Linux x86_64",
    "app-version": "1.0.0",
}


class Client:
    """One signed-in device: REST calls as the web client makes them, and its event stream."""

    def __init__(self, server, number, device_id, name):
        self.url = server.url
        self.token = sign_in(server.url, number, device_id, display_name=name)
        self.events = []  # every event received, for the no-leak check
        self.pending = []  # received, not yet asked for
        self.stream = None

    def call(self, method, path, data=None, expect=200):
        status, body = http_json(
            self.url, method, "/api/messenger" + path, data, token=self.token, headers=BROWSER
        )
        assert status == expect, (method, path, status, body)
        return body.get("data") if status < 400 else body

    def start(self) -> dict:
        """Start-up: me, device (its token opens the stream), settings, unread badge."""
        me = self.call("GET", "/me")["user"]
        token = self.call("GET", "/device")["device"]["token"]
        assert token == self.token
        self.call("GET", "/me/settings")
        self.stream = SseStream(self.url, "/api/sse", token=token)
        assert self.stream.status == 200
        self.call("GET", "/rooms/unread-count")
        return me

    def wait_for(self, event_type, timeout=10.0, **where) -> dict:
        """The first event of that type whose values match ``where`` (``a__b`` is nested).

        Events of one channel arrive in commit order, but one action may commit several
        events; those not asked for yet are kept for later calls.
        """
        for event in self.pending:
            if event["type"] == event_type and _matches(event, where):
                self.pending.remove(event)
                return event
        while True:
            event = self.stream.next_event(timeout=timeout)["data"]
            self.events.append(event)
            if event["type"] == event_type and _matches(event, where):
                return event
            self.pending.append(event)

    def close(self):
        if self.stream:
            self.stream.close()


def _matches(event: dict, where: dict) -> bool:
    for path, expected in where.items():
        value = event
        for key in path.split("__"):
            value = value.get(key) if isinstance(value, dict) else None
        if value != expected:
            return False
    return True


@pytest.fixture
def people(server):
    suffix = uuid.uuid4().hex[:6]
    clients = {
        "alice": Client(server, "+385921110001", f"alice-web-{suffix}", "Alice"),
        "alice_phone": Client(server, "+385921110001", f"alice-2nd-{suffix}", None),
        "bob": Client(server, "+385921110002", f"bob-web-{suffix}", "Bob"),
        "charlie": Client(server, "+385921110003", f"charlie-web-{suffix}", "Charlie"),
    }
    yield clients
    for client in clients.values():
        client.close()


def test_a_client_day(people):
    alice, alice_phone, bob, charlie = (
        people["alice"],
        people["alice_phone"],
        people["bob"],
        people["charlie"],
    )
    me = {name: client.start() for name, client in people.items()}
    assert me["alice"]["id"] == me["alice_phone"]["id"]
    alice_id, bob_id, charlie_id = me["alice"]["id"], me["bob"]["id"], me["charlie"]["id"]

    # The chat list starts empty.
    assert alice.call("GET", "/history?page=1")["list"] == []

    # A private chat starts from a contact, found through the phone book's hashes.
    bob_hash = hashlib.sha256(b"+385921110002").hexdigest()
    alice.call("POST", "/contacts", {"contacts": [bob_hash]})
    contacts = alice.call("GET", "/contacts?keyword=&")["list"]
    assert [c["id"] for c in contacts] == [bob_id]
    alice.call("GET", f"/rooms/users/{bob_id}", expect=404)
    room = alice.call("POST", "/rooms", {"userIds": [bob_id]})["room"]
    room_id = room["id"]
    assert room["type"] == "private"

    # Alice opens the room, as the client does on every open.
    alice.call("GET", f"/rooms/{room_id}")
    opened = alice.call("GET", f"/messages/roomId/{room_id}")
    assert opened == {"list": [], "count": 0, "limit": 50, "nextCursor": None}
    assert alice.call("GET", f"/blocks/rooms/{room_id}") == {"block": None}
    alice.call("POST", f"/messages/{room_id}/seen")
    alice_phone.wait_for("SEEN_ROOM", roomId=room_id)

    # Alice sends; the answer echoes her localId.
    local_id = "1716900000123"
    sent = alice.call(
        "POST",
        "/messages",
        {
            "roomId": room_id,
            "type": "text",
            "body": {"text": "Hi Bob", "localId": local_id},
            "localId": local_id,
            "hasLink": False,
        },
    )["message"]
    message_id = sent["id"]
    assert (sent["localId"], sent["body"]["text"], sent["fromUserId"]) == (
        local_id,
        "Hi Bob",
        alice_id,
    )
    alice.call("GET", f"/history/roomId/{room_id}")

    # Bob receives it live; so do both of alice's devices (the web client de-duplicates).
    new = bob.wait_for("NEW_MESSAGE", message__id=message_id)
    assert new["message"]["body"]["text"] == "Hi Bob"
    assert new["message"]["localId"] == local_id
    alice_phone.wait_for("NEW_MESSAGE", message__id=message_id)
    alice.wait_for("NEW_MESSAGE", message__id=message_id)

    # Bob's room is not open: the client reports delivery and refreshes the badge.
    bob.call("POST", "/messages/delivered", {"messageIds": [message_id]})
    assert bob.call("GET", "/rooms/unread-count") == {
        "unreadCounts": [{"roomId": room_id, "unreadCount": 1}]
    }
    delivered = alice.wait_for(
        "NEW_MESSAGE_RECORD", messageRecord__type="delivered", messageRecord__userId=bob_id
    )
    assert (delivered["deliveredCount"], delivered["messageRecord"]["roomId"]) == (2, room_id)

    # Bob opens the chat list and the room: seen tick for alice, SEEN_ROOM for bob.
    rows = bob.call("GET", "/history?page=1")["list"]
    assert [(r["roomId"], r["unreadCount"]) for r in rows] == [(room_id, 1)]
    listed = bob.call("GET", f"/messages/roomId/{room_id}")["list"]
    assert [(m["id"], m["messageRecords"]) for m in listed] == [(message_id, [])]
    bob.call("POST", f"/messages/{room_id}/seen")
    seen = alice.wait_for(
        "NEW_MESSAGE_RECORD", messageRecord__type="seen", messageRecord__userId=bob_id
    )
    assert (seen["seenCount"], seen["deliveredCount"], seen["totalUserCount"]) == (2, 2, 2)
    bob.wait_for("SEEN_ROOM", roomId=room_id)
    assert bob.call("GET", "/rooms/unread-count")["unreadCounts"] in (
        [],
        [{"roomId": room_id, "unreadCount": 0}],
    )

    # A reaction: everyone in the room hears it, the actor too.
    record = bob.call(
        "POST", "/message-records", {"messageId": message_id, "reaction": "👍", "type": "reaction"}
    )["messageRecord"]
    for client in (alice, bob):
        event = client.wait_for("NEW_MESSAGE_RECORD", messageRecord__id=record["id"])
        assert event["messageRecord"]["reaction"] == "👍"
        assert event["messageRecord"]["roomId"] == room_id

    # An edit.
    edited = alice.call("PUT", f"/messages/{message_id}", {"text": "Hi Bob!", "hasLink": False})
    assert edited["message"]["body"]["text"] == "Hi Bob!"
    update = bob.wait_for("UPDATE_MESSAGE", message__id=message_id)
    assert update["message"]["body"]["text"] == "Hi Bob!"

    # A delete for everyone, as the client sends it.
    deleted = alice.call(
        "POST",
        "/messages/delete-many?target=all",
        {"messageIds": [message_id], "target": "all"},
    )["messages"]
    assert [(m["id"], m["deleted"], m["body"]) for m in deleted] == [
        (message_id, True, {"text": "Deleted message"})
    ]
    for client in (alice, bob):
        event = client.wait_for("DELETE_MESSAGE", message__id=message_id)
        assert event["message"]["deleted"] is True
    row = bob.call("GET", f"/history/roomId/{room_id}")
    assert row["lastMessage"]["deleted"] is True

    # A group: bob hears of it through the creation system message.
    group = alice.call(
        "POST",
        "/rooms",
        {"userIds": [bob_id], "name": "Team", "type": "group", "avatarFileId": 0},
    )["room"]
    group_id = group["id"]
    created = bob.wait_for("NEW_MESSAGE", message__roomId=group_id)
    assert created["message"]["type"] == "system"
    assert created["message"]["body"]["type"] == "created_group"
    bob.call("GET", f"/history/roomId/{group_id}")
    assert bob.call("GET", f"/rooms/{group_id}")["room"]["name"] == "Team"

    # Charlie is added (UPDATE_ROOM tells him), then removed (REMOVED_FROM_ROOM).
    alice.call("PUT", f"/rooms/{group_id}", {"action": "addGroupUsers", "userIds": [charlie_id]})
    charlie.wait_for("UPDATE_ROOM", room__id=group_id)
    added = bob.wait_for("NEW_MESSAGE", message__roomId=group_id)
    assert added["message"]["body"]["type"] == "added_group_members"
    alice.call("PUT", f"/rooms/{group_id}", {"action": "removeGroupUsers", "userIds": [charlie_id]})
    charlie.wait_for("REMOVED_FROM_ROOM", roomId=group_id)
    charlie.call("GET", f"/messages/roomId/{group_id}", expect=404)

    # Bob leaves; alice is told, by a system message and a room update.
    bob.call("POST", f"/rooms/{group_id}/leave", {})
    bob.wait_for("REMOVED_FROM_ROOM", roomId=group_id)
    left = alice.wait_for(
        "NEW_MESSAGE", message__roomId=group_id, message__body__type="user_left_group"
    )
    assert left["message"]["fromUserId"] == bob_id
    alice.wait_for("UPDATE_ROOM", room__id=group_id)
    assert [u["userId"] for u in alice.call("GET", f"/rooms/{group_id}")["room"]["users"]] == [
        alice_id
    ]

    # Charlie never heard anything of the private chat.
    assert not [
        event
        for event in charlie.events
        if room_id in (event.get("roomId"), event.get("message", {}).get("roomId"))
        or event.get("room", {}).get("id") == room_id
    ]
