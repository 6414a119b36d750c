import re

import pytest

from accounts.sms import OutboxSmsBackend

BROWSER = {
    "device-type": "browser",
    "os-name": "Firefox",
    "os-version": "128.0",
    "device-name": "Linux x86_64",
    "app-version": "1.0.0",
}
MOBILE = {
    "device-type": "android",
    "os-name": "Android",
    "os-version": "14",
    "device-name": "Pixel 8",
    "app-version": "2.1.0",
}


class SignIn:
    """Drives ``POST /auth`` and ``/auth/verify``; reads the SMS the sign-in sent.

    The SMS leaves after commit, so each code request runs its on-commit callbacks at once.
    """

    def __init__(self, capture_on_commit):
        self.capture_on_commit = capture_on_commit
        self.sent = OutboxSmsBackend.outbox

    def request_code(self, api, number, device_id, headers=BROWSER):
        body = {"telephoneNumber": number, "deviceId": device_id}
        with self.capture_on_commit(execute=True):
            return api.post("/auth", body, headers=headers)

    def verify(self, api, code, device_id):
        return api.post("/auth/verify", {"code": code, "deviceId": device_id})

    def last_code(self) -> str:
        return re.search(r"code is (\d{6})$", self.sent[-1]["text"]).group(1)

    def token(self, api, number, device_id, headers=BROWSER) -> str:
        """The whole sign-in; returns the new device token."""
        status, body = self.request_code(api, number, device_id, headers)
        assert status == 200, body
        status, body = self.verify(api, self.last_code(), device_id)
        assert status == 200, body
        return body["data"]["device"]["token"]


@pytest.fixture(autouse=True)
def sign_in_settings(settings):
    """Random codes sent through the outbox; the environment's fixed code does not leak in."""
    settings.SPIKA_FIXED_VERIFICATION_CODE = ""
    settings.SPIKA_SMS_BACKEND = "accounts.sms.OutboxSmsBackend"
    # Admin users have passwords; a slow hasher would dominate the admin tests' time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@pytest.fixture
def signin(db, django_capture_on_commit_callbacks):
    OutboxSmsBackend.outbox.clear()
    yield SignIn(django_capture_on_commit_callbacks)
    OutboxSmsBackend.outbox.clear()
