"""GET/PUT/DELETE /me (spec §5.7)."""

import hashlib

import pytest
from django.test import override_settings

from accounts.models import Block, Contact, Device, User, UserSetting
from tests.accounts.shapes import error, success, user_json


def test_me_answers_the_callers_profile(alice):
    status, body = alice.api.get("/me")

    assert (status, body) == (200, success({"user": user_json(alice.user)}))
    assert body["data"]["user"]["displayName"] == "alice"


def test_a_new_user_without_a_name_has_a_null_display_name(alice):
    User.objects.filter(pk=alice.user.pk).update(display_name="")

    assert alice.api.get("/me")[1]["data"]["user"]["displayName"] is None


def test_put_me_changes_the_given_fields_only(alice):
    status, body = alice.api.put("/me", {"displayName": "Alice A.", "avatarFileId": 7})

    alice.user.refresh_from_db()
    assert (status, body) == (200, success({"user": user_json(alice.user)}))
    assert (alice.user.display_name, alice.user.avatar_file_id) == ("Alice A.", 7)
    assert alice.user.email_address == "alice@example.com"
    assert alice.user.telephone_number == "+385910000001"


def test_put_me_with_a_new_number_recomputes_its_hash(alice):
    status, body = alice.api.put("/me", {"telephoneNumber": "+385919999999"})

    assert status == 200
    assert body["data"]["user"]["telephoneNumberHashed"] == (
        hashlib.sha256(b"+385919999999").hexdigest()
    )


def test_put_me_moves_the_modified_time(alice):
    before = alice.api.get("/me")[1]["data"]["user"]["modifiedAt"]

    status, body = alice.api.put("/me", {"displayName": "Alice"})

    assert body["data"]["user"]["modifiedAt"] >= before


def test_put_me_accepts_the_web_clients_name_form(alice):
    """The web client sends {displayName, avatarFileId: 0} after sign-in."""
    status, body = alice.api.put("/me", {"displayName": "Ana", "avatarFileId": 0})

    assert (status, body["data"]["user"]["displayName"]) == (200, "Ana")


def test_put_me_refuses_another_users_email(alice, bob):
    before = User.objects.values().get(pk=alice.user.pk)

    status, body = alice.api.put("/me", {"emailAddress": "bob@example.com", "displayName": "X"})

    assert (status, body) == (400, error("User with that email exists"))
    assert User.objects.values().get(pk=alice.user.pk) == before


def test_put_me_refuses_another_users_number(alice, bob):
    before = User.objects.values().get(pk=alice.user.pk)

    status, body = alice.api.put("/me", {"telephoneNumber": bob.user.telephone_number})

    assert (status, body) == (400, error("User with that telephoneNumber exists"))
    assert User.objects.values().get(pk=alice.user.pk) == before


def test_put_me_may_keep_the_callers_own_email_and_number(alice):
    status, _ = alice.api.put(
        "/me", {"emailAddress": "alice@example.com", "telephoneNumber": "+385910000001"}
    )

    assert status == 200


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"displayName": 5}, "body.displayName Input should be a valid string"),
        ({"avatarFileId": "7"}, "body.avatarFileId Input should be a valid integer"),
        ({"avatarFileId": 1.5}, "body.avatarFileId Input should be a valid integer"),
        ({"avatarFileId": -1}, "body.avatarFileId Input should be greater than or equal to 0"),
        (
            {"avatarFileId": 2**70},
            "body.avatarFileId Input should be less than or equal to 9223372036854775807",
        ),
        ({"telephoneNumber": 385}, "body.telephoneNumber Input should be a valid string"),
        ({"telephoneNumber": ""}, "body.telephoneNumber String should have at least 1 character"),
        ({"emailAddress": ["a@b.c"]}, "body.emailAddress Input should be a valid string"),
        (
            {"displayName": "x" * 256},
            "body.displayName String should have at most 255 characters",
        ),
    ],
)
def test_put_me_with_bad_input_is_400_and_writes_nothing(alice, payload, message):
    before = User.objects.values().get(pk=alice.user.pk)

    status, body = alice.api.put("/me", payload)

    assert (status, body) == (400, error(f"Invalid params ValidationError: {message}"))
    assert User.objects.values().get(pk=alice.user.pk) == before


@pytest.mark.parametrize("raw", ["{", "not json", '{"displayName": }'])
def test_put_me_with_malformed_json_is_400_and_writes_nothing(alice, raw):
    before = User.objects.values().get(pk=alice.user.pk)

    assert alice.api.put("/me", raw=raw) == (400, error("Cannot parse request body"))
    assert User.objects.values().get(pk=alice.user.pk) == before


def test_put_me_with_an_oversized_body_is_413_and_writes_nothing(alice):
    before = User.objects.values().get(pk=alice.user.pk)

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024):
        status, body = alice.api.put("/me", {"displayName": "x" * 2000})

    assert (status, body) == (413, error("Request body is too large"))
    assert User.objects.values().get(pk=alice.user.pk) == before


def test_delete_me_anonymises_the_account_and_cuts_every_tie(alice, bob, charlie):
    Device.objects.create(user=alice.user, device_id="alice-phone", type="ios")
    Contact.objects.create(user=alice.user, contact=bob.user)
    Contact.objects.create(user=bob.user, contact=alice.user)
    Block.objects.create(user=alice.user, blocked=charlie.user)
    Block.objects.create(user=charlie.user, blocked=alice.user)
    UserSetting.objects.create(user=alice.user, key="mute_1", value="1")

    status, body = alice.api.delete("/me")

    user = User.objects.get(pk=alice.user.pk)
    assert (status, body) == (200, success({"deleted": True}))
    assert user.deleted is True
    assert user.display_name == f"Deleted user {user.pk}"
    assert (user.avatar_file_id, user.telephone_number) == (0, None)
    assert (user.telephone_number_hashed, user.email_address) == (None, None)
    assert Device.objects.filter(user=user).count() == 0
    assert Contact.objects.filter(user=user).count() == 0
    assert Contact.objects.filter(contact=user).count() == 0
    assert Block.objects.filter(user=user).count() == 0
    assert Block.objects.filter(blocked=user).count() == 0
    assert UserSetting.objects.filter(user=user).count() == 0
    assert alice.api.get("/me") == (401, error("Invalid access token"))


def test_delete_me_leaves_other_users_alone(alice, bob):
    Contact.objects.create(user=bob.user, contact=alice.user)
    before = User.objects.values().get(pk=bob.user.pk)

    alice.api.delete("/me")

    assert User.objects.values().get(pk=bob.user.pk) == before
    assert bob.api.get("/me")[0] == 200


def test_a_deleted_users_number_can_sign_up_again_as_a_new_user(alice, anonymous):
    alice.api.delete("/me")

    status, body = anonymous.post(
        "/auth", {"telephoneNumber": "+385910000001", "deviceId": "new-laptop"}
    )

    assert status == 200
    assert body["data"]["isNewUser"] is True
    assert body["data"]["user"]["id"] != alice.user.pk


def test_me_routes_need_a_token(anonymous):
    assert anonymous.get("/me") == (401, error("No access token"))
    assert anonymous.put("/me", {"displayName": "x"}) == (401, error("No access token"))
    assert anonymous.delete("/me") == (401, error("No access token"))
