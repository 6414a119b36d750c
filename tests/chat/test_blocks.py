"""/blocks (spec §5.15): the web client asks GET /blocks/rooms/:id on every room open."""

import pytest

from accounts.models import Block
from chat.models import Room
from tests.accounts.shapes import error, success, user_json
from tests.chat.expected import ms
from tests.factories import room_with


def _block_json(block):
    return {
        "id": block.pk,
        "blockedId": block.blocked_id,
        "userId": block.user_id,
        "createdAt": ms(block.created_at),
    }


def test_a_room_without_a_block_answers_null(alice, bob, charlie):
    private = room_with(alice.user, bob.user, type=Room.Type.PRIVATE)
    group = room_with(alice.user, bob.user)
    for room_id in (private.pk, group.pk, 987654321, "abc", "99999999999999999999999"):
        assert alice.api.get(f"/blocks/rooms/{room_id}") == (200, success({"block": None}))


def test_the_callers_block_of_the_other_member_is_shown_to_the_caller_only(alice, bob, charlie):
    private = room_with(alice.user, bob.user, type=Room.Type.PRIVATE)
    block = Block.objects.create(user=alice.user, blocked=bob.user)
    Block.objects.create(user=charlie.user, blocked=alice.user)
    assert alice.api.get(f"/blocks/rooms/{private.pk}") == (
        200,
        success({"block": _block_json(block)}),
    )
    assert bob.api.get(f"/blocks/rooms/{private.pk}") == (200, success({"block": None}))
    assert charlie.api.get(f"/blocks/rooms/{private.pk}") == (200, success({"block": None}))


def test_blocking_listing_and_unblocking(alice, bob, charlie):
    status, body = alice.api.post("/blocks", {"blockedId": bob.user.pk})
    block = Block.objects.get()
    assert (status, body) == (200, success({"block": _block_json(block)}))
    assert alice.api.post("/blocks", {"blockedId": str(bob.user.pk)})[1] == body
    alice.api.post("/blocks", {"blockedId": charlie.user.pk})
    assert alice.api.get("/blocks") == (
        200,
        success({"blockedUsers": [user_json(bob.user), user_json(charlie.user)]}),
    )
    assert alice.api.delete(f"/blocks/userId/{bob.user.pk}") == (200, success({"deleted": True}))
    other = Block.objects.get(blocked=charlie.user)
    assert bob.api.delete(f"/blocks/{other.pk}") == (200, success({"deleted": True}))
    assert Block.objects.filter(pk=other.pk).exists()
    assert alice.api.delete(f"/blocks/{other.pk}") == (200, success({"deleted": True}))
    assert not Block.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "message"),
    [
        ("post", "/blocks", {}, 400, "blockedId must be number"),
        ("post", "/blocks", {"blockedId": "not valid"}, 400, "blockedId must be number"),
        ("post", "/blocks", {"blockedId": True}, 400, "blockedId must be number"),
        ("post", "/blocks", {"blockedId": 0}, 400, "blockedId must be number"),
        ("post", "/blocks", {"blockedId": 987654321}, 404, "there is no user with that blockedId"),
        ("delete", "/blocks/userId/abc", None, 400, "blockId must be number"),
        ("delete", "/blocks/abc", None, 400, "id must be number"),
    ],
)
def test_bad_block_requests(alice, method, path, payload, status, message):
    assert getattr(alice.api, method)(path, payload) == (status, error(message))
    assert not Block.objects.exists()


def test_malformed_json_blocks_nobody(alice):
    status, body = alice.api.post("/blocks", raw='{"blockedId": ')
    assert (status, body["status"]) == (400, "error")
    assert not Block.objects.exists()
