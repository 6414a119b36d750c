import pytest

from tests.chat.messages_helpers import joined_earlier
from tests.factories import room_with


@pytest.fixture
def room(alice, bob):
    """A room of alice and bob, who joined before any message the test makes."""
    room = room_with(alice.user, bob.user)
    joined_earlier(room, alice.user, bob.user)
    return room
