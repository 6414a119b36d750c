"""A direct stream (no Pushpin) ends once its token stops being valid, over real sockets.

The server rechecks its streams' tokens every ``SPIKA_SSE_RECHECK_SECONDS`` (1 s here). Each
test reads the stream until it ends; the read timeout is far above the interval, and nothing
else is timed.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Device
from tests.e2e.harness import ServerProcess, SseStream, http_json
from tests.factories import DeviceFactory

READ_TIMEOUT = 30


@pytest.fixture(scope="module")
def module_server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        server = ServerProcess(SPIKA_SSE_RECHECK_SECONDS=1, SPIKA_SSE_KEEPALIVE_SECONDS=1)
        server.start()
    yield server
    server.stop()


@pytest.fixture
def sse(module_server, transactional_db):
    return module_server


def open_stream(server, token):
    stream = SseStream(server.url, "/api/sse", token=token)
    assert stream.status == 200
    assert stream.next_frame()["comment"] == "stream open"
    return stream


def ends(stream) -> bool:
    """Read keep-alives until the server completes the response: its last chunk, not a dropped
    connection (False: still open at the timeout)."""
    assert stream.chunked
    try:
        while True:
            stream.next_frame(timeout=READ_TIMEOUT)
    except EOFError as error:
        return str(error) == "stream ended"
    except TimeoutError:
        return False


def still_live(stream, server, token) -> bool:
    """The stream still gets its user's events: a profile change through the server."""
    status, _ = http_json(
        server.url, "PUT", "/api/messenger/me", {"displayName": "Al"}, token=token
    )
    assert status == 200
    return stream.next_event(timeout=READ_TIMEOUT)["data"]["type"] == "USER_UPDATE"


class TestStreamEndsWithItsToken:
    def test_signing_out_ends_that_devices_stream_only(self, sse, alice):
        laptop = DeviceFactory(user=alice.user)
        with open_stream(sse, alice.device.token) as web, open_stream(sse, laptop.token) as other:
            status, _ = http_json(sse.url, "POST", "/api/messenger/auth/logout", token=laptop.token)
            assert status == 200
            assert ends(other)
            assert still_live(web, sse, alice.device.token)

    def test_an_expired_token_ends_its_stream(self, sse, alice):
        with open_stream(sse, alice.device.token) as stream:
            past = timezone.now() - timedelta(seconds=1)
            Device.objects.filter(pk=alice.device.pk).update(token_expired_at=past)
            assert ends(stream)

    def test_a_deleted_device_ends_its_stream(self, sse, alice):
        with open_stream(sse, alice.device.token) as stream:
            Device.objects.filter(pk=alice.device.pk).delete()
            assert ends(stream)

    def test_deleting_the_account_ends_its_streams(self, sse, alice):
        with open_stream(sse, alice.device.token) as stream:
            status, _ = http_json(sse.url, "DELETE", "/api/messenger/me", token=alice.device.token)
            assert status == 200
            assert ends(stream)

    def test_a_reconnect_with_the_old_token_is_refused(self, sse, alice):
        token = alice.device.token
        with open_stream(sse, token) as stream:
            http_json(sse.url, "POST", "/api/messenger/auth/logout", token=token)
            assert ends(stream)
        with SseStream(sse.url, "/api/sse", token=token) as again:
            assert again.status == 401
