"""GET /users/:id and GET /users/sync/:timestamp (spec §5.10)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from tests.accounts.shapes import error, success, user_json
from tests.chat.expected import befriend, ms, queries_of
from tests.factories import UserFactory, room_with

HUGE = "99999999999999999999999"


def test_a_user_reads_themself_a_contact_and_a_co_member(alice, bob, charlie):
    befriend(alice.user, bob.user)
    room_with(alice.user, charlie.user)
    for persona in (alice, bob, charlie):
        assert alice.api.get(f"/users/{persona.user.pk}") == (
            200,
            success({"user": user_json(persona.user)}),
        )


def test_strangers_and_unknown_ids_are_not_found(alice, bob, charlie):
    befriend(bob.user, alice.user)  # directed: bob has alice, not the other way round
    room_with(bob.user, charlie.user)
    for user_id in (bob.user.pk, charlie.user.pk, "987654321", "0", "abc", HUGE):
        assert alice.api.get(f"/users/{user_id}") == (404, error("User not found"))


def _age(*users, days):
    User.objects.filter(pk__in=[u.pk for u in users]).update(
        modified_at=timezone.now() - timedelta(days=days)
    )


def test_sync_answers_known_users_changed_since_the_timestamp(alice, bob, charlie):
    dave = UserFactory(display_name="dave")
    unverified = UserFactory(verified=False)
    stranger = UserFactory()
    befriend(alice.user, bob.user, unverified)
    room_with(alice.user, dave, charlie.user)
    _age(charlie.user, days=3)
    since = ms(timezone.now() - timedelta(days=1))
    status, body = alice.api.get(f"/users/sync/{since}")
    assert status == 200
    assert body == success(
        {"list": [user_json(bob.user), user_json(dave)], "count": 2, "limit": 100, "hasNext": False}
    )
    assert stranger.pk not in [u["id"] for u in alice.api.get("/users/sync/0")[1]["data"]["list"]]


def test_sync_pages_a_hundred_users_at_a_time(alice):
    users = UserFactory.create_batch(101)
    befriend(alice.user, *users)
    _, first = alice.api.get("/users/sync/0")
    _, second = alice.api.get("/users/sync/0?page=2")
    assert (first["data"]["count"], first["data"]["hasNext"], len(first["data"]["list"])) == (
        101,
        True,
        100,
    )
    assert second["data"]["list"] == [user_json(users[100])]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/users/sync/a54dsa5d4sa5d4as5", "timestamp must be number"),
        ("/users/sync/0?page=x", "page must be valid number"),
        ("/users/sync/0?page=0", "page must be valid number"),
    ],
)
def test_sync_refuses_bad_numbers(alice, path, message):
    assert alice.api.get(path) == (400, error(message))


def test_sync_takes_the_same_queries_for_many_users(alice, django_assert_num_queries):
    befriend(alice.user, *UserFactory.create_batch(2))
    room_with(alice.user, *UserFactory.create_batch(2))
    alice.api.get("/users/sync/0")
    baseline = queries_of(lambda: alice.api.get("/users/sync/0"))
    befriend(alice.user, *UserFactory.create_batch(20))
    room_with(alice.user, *UserFactory.create_batch(20))
    with django_assert_num_queries(baseline):
        _, body = alice.api.get("/users/sync/0")
    assert body["data"]["count"] == 44
