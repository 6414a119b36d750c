"""GET/PUT /device (spec §5.8): the web client reads its own token back to open its stream."""

import pytest

from accounts.models import Device
from tests.accounts.shapes import device_json, error, success


def test_get_device_echoes_the_callers_token(alice):
    status, body = alice.api.get("/device")

    assert (status, body) == (
        200,
        success({"device": device_json(alice.device, alice.device.token)}),
    )


def test_get_device_shows_the_callers_own_device_only(alice):
    Device.objects.create(user=alice.user, device_id="alice-phone", type="ios")

    status, body = alice.api.get("/device")

    assert body["data"]["device"]["deviceId"] == "alice-web"


def test_put_device_stores_the_push_token(alice):
    status, body = alice.api.put("/device", {"pushToken": "fcm-token-1"})

    alice.device.refresh_from_db()
    assert alice.device.push_token == "fcm-token-1"
    assert (status, body) == (
        200,
        success({"device": device_json(alice.device, alice.device.token)}),
    )


def test_put_device_ignores_other_keys(alice):
    before = Device.objects.values().get(pk=alice.device.pk)

    status, body = alice.api.put("/device", {"osName": "Hacked", "userId": 99, "token": "mine"})

    assert status == 200
    after = Device.objects.values().get(pk=alice.device.pk)
    assert {**after, "modified_at": None} == {**before, "modified_at": None}


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"pushToken": None}, "body.pushToken Input should be a valid string"),
        ({"pushToken": 5}, "body.pushToken Input should be a valid string"),
        ({"pushToken": ["a"]}, "body.pushToken Input should be a valid string"),
        ({"pushToken": "x" * 513}, "body.pushToken String should have at most 512 characters"),
    ],
)
def test_put_device_with_bad_input_is_400_and_writes_nothing(alice, payload, message):
    before = Device.objects.values().get(pk=alice.device.pk)

    status, body = alice.api.put("/device", payload)

    assert (status, body) == (400, error(f"Invalid params ValidationError: {message}"))
    assert Device.objects.values().get(pk=alice.device.pk) == before


def test_put_device_with_malformed_json_is_400_and_writes_nothing(alice):
    before = Device.objects.values().get(pk=alice.device.pk)

    assert alice.api.put("/device", raw='{"pushToken": "a"') == (
        400,
        error("Cannot parse request body"),
    )
    assert Device.objects.values().get(pk=alice.device.pk) == before


def test_device_routes_need_a_token(anonymous):
    assert anonymous.get("/device") == (401, error("No access token"))
    assert anonymous.put("/device", {"pushToken": "x"}) == (401, error("No access token"))
