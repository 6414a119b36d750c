import time
import warnings
from datetime import timedelta

import jwt
import pytest
from django.test import RequestFactory

from accounts.services import auth_logout
from eventstream.grip import (
    grip_items,
    grip_last_id,
    grip_next_after,
    grip_next_device,
    grip_next_state,
    grip_request_verified,
)
from eventstream.storage import Event

KEY = "unit-grip-key-" + "k" * 32


@pytest.fixture
def grip_settings(settings):
    settings.SPIKA_GRIP_KEY = KEY
    settings.SPIKA_GRIP_ISSUER = "pushpin"
    settings.SPIKA_GRIP_CHANNEL_PREFIX = "spika-"
    return settings


def signed_request(key, *, alg="HS256", iss="pushpin", expires_in=60, **headers):
    claims = {"iss": iss, "exp": int(time.time()) + expires_in}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        sig = jwt.encode(claims, key, algorithm=alg)
    return RequestFactory().get("/events", headers={"Grip-Sig": sig, **headers})


class TestGripRequestVerified:
    def test_it_trusts_a_signature_made_with_our_key(self, grip_settings):
        assert grip_request_verified(signed_request(KEY)) is True

    @pytest.mark.parametrize(
        "request_kwargs",
        [
            pytest.param({"key": None, "alg": "none"}, id="unsigned"),
            pytest.param({"key": "changeme"}, id="pushpin-stock-key"),
            pytest.param({"key": "x" * 40}, id="another-key"),
            pytest.param({"key": KEY, "expires_in": -5}, id="expired"),
            pytest.param({"key": KEY, "iss": "mallory"}, id="another-issuer"),
        ],
    )
    def test_it_refuses_a_signature_it_cannot_check(self, grip_settings, request_kwargs):
        assert grip_request_verified(signed_request(**request_kwargs)) is False

    def test_it_refuses_a_request_without_a_signature(self, grip_settings):
        assert grip_request_verified(RequestFactory().get("/events")) is False

    def test_it_refuses_everything_when_no_key_is_configured(self, grip_settings):
        grip_settings.SPIKA_GRIP_KEY = ""
        assert grip_request_verified(signed_request(KEY)) is False

    def test_it_refuses_everything_when_the_key_is_pushpins_stock_key(self, grip_settings):
        grip_settings.SPIKA_GRIP_KEY = "changeme"
        assert grip_request_verified(signed_request("changeme")) is False


class TestGripNextDevice:
    def test_it_finds_the_device_while_its_token_is_unchanged(self, alice):
        assert grip_next_device(grip_next_state(alice.device)) == alice.device

    def test_it_refuses_a_device_that_signed_out(self, alice):
        state = grip_next_state(alice.device)
        auth_logout(device=alice.device)
        assert grip_next_device(state) is None

    def test_it_refuses_a_device_whose_token_changed(self, alice):
        state = grip_next_state(alice.device)
        alice.device.token_hash = "0" * 64
        alice.device.save(update_fields=["token_hash"])
        assert grip_next_device(state) is None

    def test_it_refuses_an_expired_token(self, alice):
        state = grip_next_state(alice.device)
        later = alice.device.token_expired_at + timedelta(seconds=1)
        assert grip_next_device(state, now=later) is None

    def test_it_refuses_a_deactivated_user(self, alice):
        state = grip_next_state(alice.device)
        alice.user.is_active = False
        alice.user.save(update_fields=["is_active"])
        assert grip_next_device(state) is None

    def test_it_refuses_a_tampered_state(self, alice, bob):
        state = grip_next_state(alice.device)
        payload, _, signature = state.partition(":")
        forged = grip_next_state(bob.device).partition(":")[0] + ":" + signature
        assert grip_next_device(forged) is None
        assert grip_next_device(payload) is None

    def test_the_state_carries_where_a_cut_replay_goes_on(self, alice):
        assert grip_next_after(grip_next_state(alice.device, after=500)) == "500"
        assert grip_next_after(grip_next_state(alice.device)) is None


class TestGripLastId:
    def test_it_reads_the_users_channel_from_grip_last(self, grip_settings):
        request = RequestFactory().get(
            "/events", headers={"Grip-Last": "spika-user-9; last-id=4, spika-user-7; last-id=12"}
        )
        assert grip_last_id(request, 7) == "12"
        assert grip_last_id(request, 8) is None


def test_publish_items_chain_each_channels_events_by_prev_id(grip_settings):
    events = [Event(7, 3, '{"type":"SEEN_ROOM","roomId":1}'), Event(7, 4, '{"type":"X"}')]
    assert grip_items(events) == [
        {
            "channel": "spika-user-7",
            "id": "3",
            "prev-id": "2",
            "formats": {
                "http-stream": {
                    "content": 'id: 3\nevent: message\ndata: {"type":"SEEN_ROOM","roomId":1}\n\n'
                }
            },
        },
        {
            "channel": "spika-user-7",
            "id": "4",
            "prev-id": "3",
            "formats": {
                "http-stream": {"content": 'id: 4\nevent: message\ndata: {"type":"X"}\n\n'}
            },
        },
    ]
