"""GET /contacts and POST /contacts (spec §5.3, TEAM_MODE off)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Contact
from tests.accounts.shapes import error, success, user_json
from tests.chat.expected import befriend, queries_of
from tests.factories import UserFactory


def test_contacts_lists_the_callers_verified_contacts_by_name(alice, bob, charlie):
    zed = UserFactory(display_name="Zed")
    befriend(alice.user, zed, charlie.user, bob.user, UserFactory(verified=False))
    befriend(alice.user, UserFactory(deleted=True))
    befriend(bob.user, UserFactory())
    status, body = alice.api.get("/contacts")
    assert status == 200
    assert body == success(
        {
            "list": [user_json(u) for u in (zed, bob.user, charlie.user)],
            "count": 3,
            "limit": 20,
            "nextCursor": None,
        }
    )


def test_contacts_filter_by_a_part_of_the_name(alice, bob, charlie):
    befriend(alice.user, bob.user, charlie.user)
    _, body = alice.api.get("/contacts?keyword=HAR")
    assert body["data"]["list"] == [user_json(charlie.user)]
    assert alice.api.get("/contacts?keyword=randomkeyword")[1]["data"]["list"] == []


def test_contacts_page_with_spikas_inclusive_cursor(alice):
    users = [UserFactory(display_name=f"user {i:02}") for i in range(45)]
    befriend(alice.user, *users)
    _, first = alice.api.get("/contacts")
    assert [u["id"] for u in first["data"]["list"]] == [u.pk for u in users[:20]]
    assert first["data"]["nextCursor"] == users[19].pk
    _, second = alice.api.get(f"/contacts?cursor={users[19].pk}")
    assert [u["id"] for u in second["data"]["list"]] == [u.pk for u in users[19:40]]
    assert second["data"]["nextCursor"] == users[39].pk
    _, third = alice.api.get(f"/contacts?cursor={users[39].pk}")
    assert [u["id"] for u in third["data"]["list"]] == [u.pk for u in users[39:]]
    assert (third["data"]["nextCursor"], third["data"]["count"]) == (None, 45)


@pytest.mark.parametrize("cursor", ["", "abc", "-1", "1.5"])
def test_contacts_refuse_a_bad_cursor(alice, cursor):
    status, body = alice.api.get(f"/contacts?cursor={cursor}")
    assert (status, body["status"]) == (400, "error")


def test_contacts_with_an_unknown_cursor_are_empty(alice, bob):
    befriend(alice.user, bob.user)
    for cursor in ("987654321", "99999999999999999999999"):
        assert alice.api.get(f"/contacts?cursor={cursor}")[1]["data"]["list"] == []


def test_contacts_take_the_same_queries_for_many_contacts(alice, django_assert_num_queries):
    befriend(alice.user, *UserFactory.create_batch(2))
    alice.api.get("/contacts")
    baseline = queries_of(lambda: alice.api.get("/contacts"))
    befriend(alice.user, *UserFactory.create_batch(30))
    with django_assert_num_queries(baseline):
        _, body = alice.api.get("/contacts")
    assert (len(body["data"]["list"]), body["data"]["count"]) == (20, 32)


# POST /contacts


def test_a_phone_book_upload_adds_the_verified_users_it_lists(alice, bob, charlie):
    unverified = UserFactory(verified=False)
    hashes = [bob.user.telephone_number_hashed, unverified.telephone_number_hashed, "fakeHash"]
    status, body = alice.api.post("/contacts", {"contacts": hashes})
    assert (status, body) == (
        200,
        success({"list": [user_json(bob.user)], "count": 1, "limit": 100}),
    )
    assert list(Contact.objects.values_list("user_id", "contact_id")) == [
        (alice.user.pk, bob.user.pk)
    ]
    again = f"{bob.user.telephone_number_hashed}, {charlie.user.telephone_number_hashed},"
    assert alice.api.post("/contacts", {"contacts": again})[1]["data"]["count"] == 2
    assert Contact.objects.filter(user=alice.user).count() == 2


def test_the_last_page_prunes_contacts_not_confirmed_lately(alice, bob, charlie):
    befriend(alice.user, bob.user, charlie.user)
    Contact.objects.update(last_confirmed_at=timezone.now() - timedelta(hours=1))
    payload = {"contacts": [charlie.user.telephone_number_hashed], "isLastPage": True}
    assert alice.api.post("/contacts", payload)[0] == 200
    assert list(Contact.objects.values_list("contact_id", flat=True)) == [charlie.user.pk]


def test_a_hundred_hashes_at_most(alice):
    assert alice.api.post("/contacts", {"contacts": ["h"] * 100})[0] == 200
    status, body = alice.api.post("/contacts", {"contacts": ["h"] * 101})
    assert (status, body["status"]) == (400, "error")


@pytest.mark.parametrize(
    "raw",
    [
        "{}",
        '{"contacts": true}',
        '{"contacts": 42}',
        '{"contacts": [42]}',
        '{"contacts": []}',
        '{"contacts": " , "}',
        '{"contacts": ["x"], "isLastPage": "maybe"}',
        '{"contacts": [',
    ],
)
def test_bad_uploads_are_a_400_and_write_nothing(alice, bob, raw):
    befriend(alice.user, bob.user)
    Contact.objects.update(last_confirmed_at=timezone.now() - timedelta(hours=1))
    status, body = alice.api.post(
        "/contacts", raw=raw.replace("x", bob.user.telephone_number_hashed)
    )
    assert (status, body["status"]) == (400, "error")
    assert Contact.objects.count() == 1


def test_contacts_need_a_signed_in_device(anonymous):
    assert anonymous.get("/contacts") == (401, error("No access token"))
