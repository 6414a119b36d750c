"""Sign-in: POST /auth, POST /auth/verify, POST /auth/logout (spec §5.2, issue 2 item 3)."""

import hashlib
import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import CodeRequest, Device, User, VerificationCode
from accounts.tokens import token_hash
from tests.accounts.conftest import BROWSER, MOBILE
from tests.accounts.shapes import device_json, error, success, user_json
from tests.conftest import ApiClient
from tests.factories import DeviceFactory, UserFactory

NUMBER = "+385991234567"


def counts():
    return {
        "users": User.objects.count(),
        "devices": Device.objects.count(),
        "codes": VerificationCode.objects.count(),
        "requests": CodeRequest.objects.count(),
    }


# --- POST /auth ---------------------------------------------------------------------------


def test_a_new_number_gets_an_unverified_user_a_browser_device_and_an_sms(anonymous, signin):
    status, body = signin.request_code(anonymous, NUMBER, "laptop-1")

    user = User.objects.get(telephone_number=NUMBER)
    device = Device.objects.get(device_id="laptop-1")
    assert status == 200
    assert body == success(
        {
            "isNewUser": True,
            "user": user_json(user),
            "device": device_json(device),
            "browserDeviceId": "laptop-1",
        }
    )
    assert body["data"]["user"]["verified"] is False
    # Spika's hash: lowercase hex SHA-256 of the number as sent.
    assert user.telephone_number_hashed == hashlib.sha256(NUMBER.encode()).hexdigest()
    assert (device.user, device.type, device.os_name, device.os_version) == (
        user,
        "browser",
        "Firefox",
        "128.0",
    )
    assert (device.device_name, device.app_version, device.token_hash) == (
        "Linux x86_64",
        "1.0.0",
        None,
    )
    assert len(signin.sent) == 1
    assert signin.sent[0]["telephone_number"] == NUMBER
    assert signin.sent[0]["text"] == (
        f"Thank you for your signup request.Your verification code is {signin.last_code()}"
    )


def test_the_code_from_the_sms_verifies_the_user_and_gives_the_device_a_token(anonymous, signin):
    signin.request_code(anonymous, NUMBER, "laptop-1")

    status, body = signin.verify(anonymous, signin.last_code(), "laptop-1")

    user = User.objects.get(telephone_number=NUMBER)
    device = Device.objects.get(device_id="laptop-1")
    token = body["data"]["device"]["token"]
    assert status == 200
    assert body == success({"user": user_json(user), "device": device_json(device, token)})
    assert user.verified is True
    assert len(token) == 32 and token.isalnum()
    assert device.token_hash == token_hash(token)
    assert VerificationCode.objects.count() == 0
    status, body = ApiClient(token).get("/me")
    assert (status, body) == (200, success({"user": user_json(user)}))


def test_a_new_token_lasts_the_configured_lifetime(anonymous, signin, settings):
    settings.SPIKA_TOKEN_LIFETIME_DAYS = 30
    before = timezone.now()

    signin.token(anonymous, NUMBER, "laptop-1")

    expiry = Device.objects.get(device_id="laptop-1").token_expired_at
    assert before + timedelta(days=30) <= expiry <= timezone.now() + timedelta(days=30)


def test_tokens_are_stored_hashed_never_in_the_clear(anonymous, signin):
    token = signin.token(anonymous, NUMBER, "laptop-1")

    rows = list(Device.objects.values_list()) + list(User.objects.values_list())
    assert token not in repr(rows)


def test_a_number_given_as_a_json_number_is_taken_as_its_digits(anonymous, signin):
    status, body = anonymous.post("/auth", {"telephoneNumber": 385991, "deviceId": "d"})

    assert status == 200
    assert body["data"]["user"]["telephoneNumber"] == "385991"


def test_a_returning_user_with_a_name_is_not_new_and_stays_verified(anonymous, signin):
    user = UserFactory(telephone_number=NUMBER, display_name="Ana", verified=True)

    status, body = signin.request_code(anonymous, NUMBER, "laptop-2")

    assert status == 200
    assert body["data"]["isNewUser"] is False
    assert body["data"]["user"] == user_json(user)
    assert user.verified is True
    assert User.objects.count() == 1


def test_a_returning_user_without_a_name_is_still_new(anonymous, signin):
    UserFactory(telephone_number=NUMBER, display_name="", verified=True)

    status, body = signin.request_code(anonymous, NUMBER, "laptop-2")

    assert (status, body["data"]["isNewUser"]) == (200, True)


def test_a_browser_asking_again_for_its_own_user_keeps_its_session(anonymous, signin):
    token = signin.token(anonymous, NUMBER, "laptop-1")

    status, body = signin.request_code(anonymous, NUMBER, "laptop-1")

    assert status == 200
    assert body["data"]["browserDeviceId"] == "laptop-1"
    assert ApiClient(token).get("/me")[0] == 200


def test_a_mobile_device_asking_again_loses_its_session_and_push_token(anonymous, signin):
    token = signin.token(anonymous, NUMBER, "phone-1", headers=MOBILE)
    Device.objects.filter(device_id="phone-1").update(push_token="fcm-1")

    status, body = signin.request_code(anonymous, NUMBER, "phone-1", headers=MOBILE)

    device = Device.objects.get(device_id="phone-1")
    assert status == 200
    assert body == success(
        {
            "isNewUser": True,
            "user": user_json(device.user),
            "device": device_json(device),
        }
    )
    assert "browserDeviceId" not in body["data"]
    assert device.push_token is None
    assert ApiClient(token).get("/me") == (401, error("Expired access token"))
    # Its new code signs it in again.
    status, body = signin.verify(anonymous, signin.last_code(), "phone-1")
    assert status == 200
    assert ApiClient(body["data"]["device"]["token"]).get("/me")[0] == 200


def test_a_signed_in_mobile_device_cannot_ask_for_another_number(anonymous, signin):
    token = signin.token(anonymous, NUMBER, "phone-1", headers=MOBILE)
    before = counts()

    status, body = signin.request_code(anonymous, "+385997654321", "phone-1", headers=MOBILE)

    assert (status, body) == (403, error("There is already phone number tied to this device"))
    assert counts() == before
    assert signin.sent[-1]["telephone_number"] == NUMBER
    assert ApiClient(token).get("/me")[0] == 200


def test_a_signed_out_mobile_device_may_ask_for_another_number(anonymous, signin):
    token = signin.token(anonymous, NUMBER, "phone-1", headers=MOBILE)
    ApiClient(token).post("/auth/logout")

    status, body = signin.request_code(anonymous, "+385997654321", "phone-1", headers=MOBILE)

    assert status == 200
    assert body["data"]["user"]["telephoneNumber"] == "+385997654321"


def test_a_browser_device_taken_over_by_another_number_loses_the_old_session(
    anonymous, signin, alice, bob
):
    """Spika keeps the token [quirk]; then alice's token would act as bob with no code."""
    status, body = signin.request_code(anonymous, bob.user.telephone_number, alice.device.device_id)

    alice.device.refresh_from_db()
    assert status == 200
    assert alice.device.user == bob.user
    assert alice.device.token_hash is None
    assert alice.api.get("/me") == (401, error("Invalid access token"))


def test_the_fixed_code_signs_in_and_no_sms_is_sent(anonymous, signin, settings):
    settings.SPIKA_FIXED_VERIFICATION_CODE = "000000"

    signin.request_code(anonymous, NUMBER, "laptop-1")
    status, body = signin.verify(anonymous, "000000", "laptop-1")

    assert status == 200
    assert body["data"]["user"]["verified"] is True
    assert signin.sent == []


def test_the_default_sms_backend_writes_the_code_to_the_log(anonymous, signin, settings, caplog):
    settings.SPIKA_SMS_BACKEND = "accounts.sms.LogSmsBackend"

    with caplog.at_level(logging.INFO, logger="spika.sms"):
        signin.request_code(anonymous, NUMBER, "laptop-1")

    [record] = [r for r in caplog.records if r.name == "spika.sms"]
    assert record.getMessage().startswith(
        f"SMS to {NUMBER}: Thank you for your signup request.Your verification code is "
    )
    assert signin.sent == []


def test_get_auth_is_not_allowed(anonymous):
    assert anonymous.get("/auth") == (405, error("Method not allowed"))


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"deviceId": "d"}, "Invalid params ValidationError: body.telephoneNumber Field required"),
        (
            {"telephoneNumber": NUMBER},
            "Invalid params ValidationError: body.deviceId Field required",
        ),
        (
            {"telephoneNumber": "", "deviceId": "d"},
            "Invalid params ValidationError: body.telephoneNumber "
            "String should have at least 1 character",
        ),
        (
            {"telephoneNumber": True, "deviceId": "d"},
            "Invalid params ValidationError: body.telephoneNumber Input should be a valid string",
        ),
        (
            {"telephoneNumber": ["1"], "deviceId": "d"},
            "Invalid params ValidationError: body.telephoneNumber Input should be a valid string",
        ),
        (
            {"telephoneNumber": "1" * 33, "deviceId": "d"},
            "Invalid params ValidationError: body.telephoneNumber "
            "String should have at most 32 characters",
        ),
        (
            {"telephoneNumber": NUMBER, "deviceId": None},
            "Invalid params ValidationError: body.deviceId Input should be a valid string",
        ),
    ],
)
def test_bad_code_requests_are_400_and_write_nothing(anonymous, signin, payload, message):
    status, body = anonymous.post("/auth", payload)

    assert (status, body) == (400, error(message))
    assert counts() == {"users": 0, "devices": 0, "codes": 0, "requests": 0}


@pytest.mark.parametrize("raw", ["{bad json", "", "[1, 2]", '"text"', "null"])
def test_a_body_that_is_not_a_json_object_is_400_and_writes_nothing(anonymous, signin, raw):
    status, body = anonymous.post("/auth", raw=raw)

    assert status == 400
    assert body["status"] == "error"
    assert counts() == {"users": 0, "devices": 0, "codes": 0, "requests": 0}


# --- POST /auth/verify --------------------------------------------------------------------


def test_verifying_an_unknown_device_is_404(anonymous, signin):
    assert signin.verify(anonymous, "123456", "nobody") == (404, error("Device not found"))


def test_a_wrong_code_is_refused_and_counted(anonymous, signin):
    signin.request_code(anonymous, NUMBER, "laptop-1")
    wrong = "000001" if signin.last_code() != "000001" else "000002"

    status, body = signin.verify(anonymous, wrong, "laptop-1")

    assert (status, body) == (403, error("Verification code is invalid"))
    assert VerificationCode.objects.get().attempts == 1
    user = User.objects.get()
    assert user.verified is False
    assert Device.objects.get().token_hash is None
    # The right code still works after a wrong try.
    assert signin.verify(anonymous, signin.last_code(), "laptop-1")[0] == 200


def test_a_code_works_once(anonymous, signin):
    signin.request_code(anonymous, NUMBER, "laptop-1")
    code = signin.last_code()
    signin.verify(anonymous, code, "laptop-1")

    assert signin.verify(anonymous, code, "laptop-1") == (
        403,
        error("Verification code is invalid"),
    )


def test_a_device_that_asked_for_no_code_cannot_verify(anonymous, signin, alice):
    assert signin.verify(anonymous, "123456", alice.device.device_id) == (
        403,
        error("Verification code is invalid"),
    )


def test_another_users_code_does_not_sign_this_device_in(anonymous, signin):
    signin.request_code(anonymous, NUMBER, "laptop-1")
    code = signin.last_code()
    signin.request_code(anonymous, "+385997654321", "laptop-2")

    assert signin.verify(anonymous, code, "laptop-2") == (
        403,
        error("Verification code is invalid"),
    )


def test_an_expired_code_is_refused_until_a_new_one_is_requested(anonymous, signin, settings):
    settings.SPIKA_CODE_LIFETIME_SECONDS = 600
    signin.request_code(anonymous, NUMBER, "laptop-1")
    VerificationCode.objects.update(created_at=timezone.now() - timedelta(seconds=601))

    status, body = signin.verify(anonymous, signin.last_code(), "laptop-1")

    assert (status, body) == (403, error("Verification code has expired, request a new one"))
    assert Device.objects.get().token_hash is None
    signin.request_code(anonymous, NUMBER, "laptop-1")
    assert signin.verify(anonymous, signin.last_code(), "laptop-1")[0] == 200


def test_too_many_wrong_codes_kill_the_code_until_a_new_one_is_requested(
    anonymous, signin, settings
):
    settings.SPIKA_CODE_MAX_ATTEMPTS = 5
    signin.request_code(anonymous, NUMBER, "laptop-1")
    right = signin.last_code()
    wrong = "999999" if right != "999999" else "999998"

    answers = [signin.verify(anonymous, wrong, "laptop-1") for _ in range(5)]

    assert answers == [(403, error("Verification code is invalid"))] * 4 + [
        (403, error("Too many wrong codes, request a new one"))
    ]
    assert signin.verify(anonymous, right, "laptop-1") == (
        403,
        error("Too many wrong codes, request a new one"),
    )
    assert Device.objects.get().token_hash is None
    signin.request_code(anonymous, NUMBER, "laptop-1")
    assert signin.verify(anonymous, signin.last_code(), "laptop-1")[0] == 200


def test_codes_are_stored_hashed(anonymous, signin):
    signin.request_code(anonymous, NUMBER, "laptop-1")

    stored = VerificationCode.objects.get()
    assert signin.last_code() not in repr(list(VerificationCode.objects.values_list()))
    assert len(stored.code_hash) == 64


@pytest.mark.parametrize(
    "payload",
    [
        {"code": 123456, "deviceId": "laptop-1"},
        {"code": "123456"},
        {"deviceId": "laptop-1"},
        {"code": "", "deviceId": "laptop-1"},
        {"code": "123456", "deviceId": ["laptop-1"]},
    ],
)
def test_bad_verify_requests_are_400_and_sign_nothing_in(anonymous, signin, payload):
    signin.request_code(anonymous, NUMBER, "laptop-1")
    before = counts()

    status, body = anonymous.post("/auth/verify", payload)

    assert status == 400
    assert body["message"].startswith("Invalid params ValidationError: body.")
    assert counts() == before
    assert Device.objects.get().token_hash is None
    assert VerificationCode.objects.get().attempts == 0


# --- rate limits --------------------------------------------------------------------------


def test_code_requests_are_limited_per_number(anonymous, signin, settings):
    settings.SPIKA_CODE_REQUESTS_PER_NUMBER = 2
    signin.request_code(anonymous, NUMBER, "laptop-1")
    signin.request_code(anonymous, NUMBER, "laptop-2")
    before = counts()

    status, body = signin.request_code(anonymous, NUMBER, "laptop-3")

    assert (status, body) == (
        429,
        error("Too many code requests for this number, try again later"),
    )
    assert counts() == before
    assert len(signin.sent) == 2
    # Another number from the same address is not held back.
    assert signin.request_code(anonymous, "+385997654321", "laptop-3")[0] == 200


def test_code_requests_are_limited_per_client_address(signin, settings):
    settings.SPIKA_CODE_REQUESTS_PER_ADDRESS = 2
    first, second = ApiClient(), ApiClient()
    first.client = Client(REMOTE_ADDR="203.0.113.1")
    second.client = Client(REMOTE_ADDR="203.0.113.2")
    signin.request_code(first, "+385990000001", "d1")
    signin.request_code(first, "+385990000002", "d2")
    before = counts()

    status, body = signin.request_code(first, "+385990000003", "d3")

    assert (status, body) == (
        429,
        error("Too many code requests from this address, try again later"),
    )
    assert counts() == before
    assert signin.request_code(second, "+385990000003", "d3")[0] == 200


def test_code_requests_older_than_the_window_do_not_count(anonymous, signin, settings):
    settings.SPIKA_CODE_REQUESTS_PER_NUMBER = 1
    settings.SPIKA_CODE_REQUEST_WINDOW_SECONDS = 3600
    signin.request_code(anonymous, NUMBER, "laptop-1")
    CodeRequest.objects.update(created_at=timezone.now() - timedelta(seconds=3601))

    status, _ = signin.request_code(anonymous, NUMBER, "laptop-1")

    assert status == 200
    # Requests past the window are trimmed as new ones arrive.
    assert CodeRequest.objects.count() == 1


# --- POST /auth/logout --------------------------------------------------------------------


def test_logout_ends_the_session_and_forgets_the_push_token(alice):
    Device.objects.filter(pk=alice.device.pk).update(push_token="fcm-1")

    status, body = alice.api.post("/auth/logout")

    assert (status, body) == (200, success({"device": device_json(alice.device)}))
    assert body["data"]["device"]["token"] is None
    assert body["data"]["device"]["pushToken"] is None
    assert alice.device.token_hash is None
    assert alice.device.token_expired_at <= timezone.now()
    assert alice.api.get("/me") == (401, error("Invalid access token"))


def test_logout_of_one_device_keeps_the_users_other_devices(alice):
    other = DeviceFactory(user=alice.user, token="alice-phone-token-000000000001")

    alice.api.post("/auth/logout")

    assert ApiClient(other.token).get("/me")[0] == 200


def test_logout_needs_a_token(anonymous):
    assert anonymous.post("/auth/logout") == (401, error("No access token"))


def test_behind_a_proxy_the_address_comes_from_the_configured_header(signin, settings):
    settings.SPIKA_CODE_REQUESTS_PER_ADDRESS = 1
    settings.SPIKA_CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
    proxy = ApiClient()
    proxy.client = Client(REMOTE_ADDR="10.0.0.1")

    def ask(number, forwarded):
        headers = {**BROWSER, "X-Forwarded-For": forwarded}
        return signin.request_code(proxy, number, number, headers=headers)[0]

    # The last hop is the one our proxy wrote; what the client put before it is not trusted.
    assert ask("+385990000001", "198.51.100.7, 203.0.113.1") == 200
    assert ask("+385990000002", "203.0.113.2") == 200
    assert ask("+385990000003", "198.51.100.7, 203.0.113.1") == 429
    assert set(CodeRequest.objects.values_list("client_address", flat=True)) == {
        "203.0.113.1",
        "203.0.113.2",
    }


def test_without_the_setting_a_forwarded_header_is_ignored(signin, settings):
    settings.SPIKA_CODE_REQUESTS_PER_ADDRESS = 1
    settings.SPIKA_CLIENT_ADDRESS_HEADER = ""
    headers = {**BROWSER, "X-Forwarded-For": "203.0.113.9"}
    client = ApiClient()

    assert signin.request_code(client, "+385990000001", "d1", headers=headers)[0] == 200
    headers["X-Forwarded-For"] = "203.0.113.10"
    assert signin.request_code(client, "+385990000002", "d2", headers=headers)[0] == 429
