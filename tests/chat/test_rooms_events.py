"""The events room routes cause, read from the users' channels.

The routes publish nothing themselves: the events come from the model signals of their writes.
"""

import pytest

from tests.chat.expected import befriend
from tests.eventstream.channels import Channels

MESSAGE_WITH_TICKS = ["NEW_MESSAGE", "NEW_MESSAGE_RECORD", "NEW_MESSAGE_RECORD"]


@pytest.fixture
def channels(db):
    return Channels()


@pytest.fixture
def group(alice, bob, channels):
    """A group alice created over the API, with bob; its events are already read."""
    with channels.commit():
        _, body = alice.api.post("/rooms", {"userIds": [bob.user.pk], "name": "T", "type": "group"})
    return body["data"]["room"]["id"]


def test_creating_a_group_tells_its_members_only(alice, bob, charlie, channels):
    befriend(alice.user, bob.user)
    with channels.commit():
        _, body = alice.api.post("/rooms", {"userIds": [bob.user.pk], "name": "T", "type": "group"})
    for member in (alice, bob):
        events = channels.new(member.user)
        assert [e["type"] for e in events] == ["NEW_ROOM", *MESSAGE_WITH_TICKS]
        assert events[1]["message"]["body"]["type"] == "created_group"
    assert channels.types(charlie.user) == []


def test_members_added_and_removed_hear_what_concerns_them(alice, bob, charlie, channels, group):
    channels.skip(alice.user, bob.user)
    add = {"action": "addGroupUsers", "userIds": [charlie.user.pk]}
    with channels.commit():
        alice.api.put(f"/rooms/{group}", add)
    for member in (alice, bob, charlie):
        assert channels.types(member.user) == ["UPDATE_ROOM", *MESSAGE_WITH_TICKS]
    remove = {"action": "removeGroupUsers", "userIds": [charlie.user.pk]}
    with channels.commit():
        alice.api.put(f"/rooms/{group}", remove)
    assert channels.types(bob.user) == ["UPDATE_ROOM", *MESSAGE_WITH_TICKS]
    assert channels.types(charlie.user) == ["REMOVED_FROM_ROOM"]


def test_leaving_muting_and_deleting(alice, bob, charlie, channels, group):
    channels.skip(alice.user, bob.user)
    with channels.commit():
        bob.api.post(f"/rooms/{group}/leave")
    assert channels.types(alice.user) == ["UPDATE_ROOM", "NEW_MESSAGE"]
    assert channels.types(bob.user) == ["REMOVED_FROM_ROOM"]
    with channels.commit():
        alice.api.post(f"/rooms/{group}/mute")
    assert channels.types(alice.user) == ["UPDATE_ROOM"]
    with channels.commit():
        alice.api.delete(f"/rooms/{group}")
    assert channels.types(alice.user) == ["DELETE_ROOM"]
    assert channels.types(bob.user) == channels.types(charlie.user) == []
