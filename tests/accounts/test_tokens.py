"""The token -> device lookup and the ``accesstoken`` auth (spec §1.4), through a real route."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Device
from accounts.tokens import TOKEN_LENGTH, TokenError, device_for_token, token_hash, token_new
from tests.accounts.shapes import error
from tests.conftest import ApiClient
from tests.factories import DeviceFactory, UserFactory


def test_new_tokens_are_long_random_and_alphanumeric():
    tokens = {token_new() for _ in range(50)}

    assert len(tokens) == 50
    assert all(len(token) == TOKEN_LENGTH == 32 and token.isalnum() for token in tokens)


def test_the_stored_hash_is_the_sha256_of_the_token():
    assert token_hash("abc") == hashlib.sha256(b"abc").hexdigest()


# --- every 401 ----------------------------------------------------------------------------


def test_no_token_is_401_no_access_token(anonymous):
    assert anonymous.get("/me") == (401, error("No access token"))


def test_an_empty_token_is_401_no_access_token(db):
    assert ApiClient().get("/me", headers={"accesstoken": ""}) == (
        401,
        error("No access token"),
    )


def test_an_unknown_token_is_401_invalid_access_token(alice):
    assert ApiClient("not-a-token").get("/me") == (401, error("Invalid access token"))


def test_an_expired_token_is_401_expired_access_token(alice):
    Device.objects.filter(pk=alice.device.pk).update(
        token_expired_at=timezone.now() - timedelta(seconds=1)
    )

    assert alice.api.get("/me") == (401, error("Expired access token"))


def test_a_device_without_a_user_is_401_user_not_found(db):
    device = DeviceFactory(user=None, token="orphan-token-00000000000000000001")

    assert ApiClient(device.token).get("/me") == (401, error("User not found"))


@pytest.mark.parametrize("change", [{"is_active": False}, {"deleted": True}])
def test_a_deactivated_or_deleted_user_is_401_user_not_found(alice, change):
    type(alice.user).objects.filter(pk=alice.user.pk).update(**change)

    assert alice.api.get("/me") == (401, error("User not found"))


def test_an_unverified_user_is_401_user_is_not_verified(db):
    device = DeviceFactory(user=UserFactory(verified=False), token="unverified-token-000000001")

    assert ApiClient(device.token).get("/me") == (401, error("User is not verified"))


def test_the_lookup_refuses_a_missing_token_without_a_query():
    with pytest.raises(TokenError, match="^No access token$"):
        device_for_token(None)


def test_a_refused_token_writes_nothing(alice):
    Device.objects.filter(pk=alice.device.pk).update(
        token_expired_at=timezone.now() - timedelta(seconds=1)
    )
    before = Device.objects.values().get(pk=alice.device.pk)

    alice.api.get("/me", headers={"device-name": "changed", "os-name": "changed"})

    assert Device.objects.values().get(pk=alice.device.pk) == before


# --- where the token comes from -----------------------------------------------------------


@pytest.mark.parametrize("header", ["accesstoken", "accessToken", "ACCESSTOKEN"])
def test_the_token_header_is_read_in_any_case(alice, header):
    client = ApiClient()

    assert client.get("/me", headers={header: alice.device.token})[0] == 200


def test_a_bearer_authorization_header_is_accepted(alice):
    client = ApiClient()

    status, _ = client.get("/me", headers={"Authorization": f"Bearer {alice.device.token}"})

    assert status == 200


def test_the_rest_api_does_not_take_the_token_from_the_query(alice):
    """Only the event stream accepts ?accessToken= (a browser EventSource sets no headers)."""
    assert ApiClient().get(f"/me?accessToken={alice.device.token}") == (
        401,
        error("No access token"),
    )


# --- expiry -------------------------------------------------------------------------------


def test_a_token_without_expiry_never_expires_and_is_not_slid(db):
    device = DeviceFactory(token="bot-token-000000000000000000001", token_expired_at=None)

    assert ApiClient(device.token).get("/me")[0] == 200
    device.refresh_from_db()
    assert device.token_expired_at is None


def test_a_token_close_to_its_end_slides_to_a_full_lifetime(alice, settings):
    settings.SPIKA_TOKEN_LIFETIME_DAYS = 30
    settings.SPIKA_TOKEN_REFRESH_DAYS = 7
    Device.objects.filter(pk=alice.device.pk).update(
        token_expired_at=timezone.now() + timedelta(days=6, hours=23)
    )
    before = timezone.now()

    assert alice.api.get("/me")[0] == 200

    alice.device.refresh_from_db()
    assert before + timedelta(days=30) <= alice.device.token_expired_at
    assert alice.device.token_expired_at <= timezone.now() + timedelta(days=30)


def test_a_token_far_from_its_end_keeps_its_expiry(alice, settings):
    settings.SPIKA_TOKEN_REFRESH_DAYS = 7
    expiry = timezone.now() + timedelta(days=7, hours=1)
    Device.objects.filter(pk=alice.device.pk).update(token_expired_at=expiry)

    assert alice.api.get("/me")[0] == 200

    alice.device.refresh_from_db()
    assert alice.device.token_expired_at == expiry


# --- device headers -----------------------------------------------------------------------


def test_non_empty_device_headers_are_stored_on_each_authenticated_call(alice):
    Device.objects.filter(pk=alice.device.pk).update(os_name="Firefox", app_version="1.0.0")

    alice.api.get(
        "/me",
        headers={"os-name": "Chrome", "os-version": "126", "app-version": "", "device-type": ""},
    )

    alice.device.refresh_from_db()
    assert (alice.device.os_name, alice.device.os_version) == ("Chrome", "126")
    assert (alice.device.app_version, alice.device.type) == ("1.0.0", "browser")
