import json
from dataclasses import dataclass

import pytest
from django.test import Client

from tests.factories import DeviceFactory, UserFactory


class ApiClient:
    """Talks JSON to /api/messenger with a device's token; answers are (status, body)."""

    prefix = "/api/messenger"

    def __init__(self, token=None):
        self.client = Client()
        self.token = token

    def _headers(self, headers):
        base = {"accesstoken": self.token} if self.token else {}
        return {**base, **(headers or {})}

    def request(self, method, path, data=None, *, raw=None, headers=None):
        body = raw if raw is not None else (json.dumps(data) if data is not None else "")
        response = self.client.generic(
            method,
            self.prefix + path,
            body,
            content_type="application/json",
            headers=self._headers(headers),
        )
        try:
            payload = json.loads(response.content) if response.content else None
        except ValueError:
            payload = response.content.decode()
        return response.status_code, payload

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, data=None, **kw):
        return self.request("POST", path, data, **kw)

    def put(self, path, data=None, **kw):
        return self.request("PUT", path, data, **kw)

    def delete(self, path, data=None, **kw):
        return self.request("DELETE", path, data, **kw)


@pytest.fixture
def anonymous():
    return ApiClient()


@dataclass
class Persona:
    """A signed-in user: ``user``, one ``device`` and an ``api`` client holding its token."""

    user: object
    device: object
    api: ApiClient


def _persona(name, number):
    user = UserFactory(
        display_name=name, telephone_number=number, email_address=f"{name}@example.com"
    )
    device = DeviceFactory(user=user, device_id=f"{name}-web")
    return Persona(user=user, device=device, api=ApiClient(device.token))


@pytest.fixture
def alice(db):
    return _persona("alice", "+385910000001")


@pytest.fixture
def bob(db):
    return _persona("bob", "+385910000002")


@pytest.fixture
def charlie(db):
    return _persona("charlie", "+385910000003")
