"""The event stream over real sockets: real servers, a private Redis, the test database.

Events are published by this test process with ``eventstream.publish.publish``: stored in the
test database, then announced through the private Redis, exactly as a management command or a
shell in production does. Every server here listens on that Redis.
"""

import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from eventstream.models import StoredEvent
from eventstream.publish import publish
from eventstream.storage import events_trim
from tests.e2e.harness import RedisProcess, ServerProcess, SseStream
from tests.factories import DeviceFactory, UserFactory

PREFIX = f"e2e-sse-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def redis_process():
    with RedisProcess() as process:
        yield process


def server_env(redis_process):
    return {
        "REDIS_URL": redis_process.url,
        "SPIKA_REDIS_PREFIX": PREFIX,
        "SPIKA_SSE_KEEPALIVE_SECONDS": 1,
    }


@pytest.fixture(scope="module")
def module_server(django_db_setup, django_db_blocker, redis_process):
    with django_db_blocker.unblock():
        server = ServerProcess(**server_env(redis_process)).start()
    yield server
    server.stop()


@pytest.fixture
def sse(module_server, transactional_db, settings, redis_process):
    """The server; this process publishes through the same Redis."""
    settings.REDIS_URL = redis_process.url
    settings.SPIKA_REDIS_PREFIX = PREFIX
    return module_server


def seen(user, room_id):
    publish([(user.user.pk, {"type": "SEEN_ROOM", "roomId": room_id})])


def frame(event_id, room_id):
    return {
        "id": str(event_id),
        "event": "message",
        "data": {"type": "SEEN_ROOM", "roomId": room_id},
    }


def open_stream(server, persona, **kw):
    stream = SseStream(server.url, token=persona.device.token, **kw)
    assert stream.status == 200
    return stream


class TestAuthentication:
    def test_a_stream_without_a_valid_token_is_refused_before_it_opens(self, sse, alice):
        expired = DeviceFactory(user=alice.user, token_expired_at=timezone.now())
        unverified = DeviceFactory(
            user=UserFactory(verified=False, telephone_number="+385990000001")
        )
        cases = [
            ({}, "No access token"),
            ({"accessToken": "not-a-token"}, "Invalid access token"),
            ({"accessToken": expired.token}, "Expired access token"),
            ({"accessToken": unverified.token}, "User is not verified"),
        ]
        for query, message in cases:
            with SseStream(sse.url, "/api/sse", query=query) as stream:
                assert (stream.status, stream.headers["content-type"]) == (401, "application/json")
                assert stream.read_body() == f'{{"status": "error", "message": "{message}"}}'

    @pytest.mark.parametrize("path", ["/events", "/events/", "/api/sse", "/api/sse/"])
    def test_every_path_takes_the_token_from_headers_or_query(self, sse, alice, path):
        token = alice.device.token
        for kw in [
            {"headers": {"accesstoken": token}},
            {"headers": {"Authorization": f"Bearer {token}"}},
            {"query": {"accesstoken": token}},
            {"query": {"accessToken": token}},
        ]:
            with SseStream(sse.url, path, **kw) as stream:
                assert stream.status == 200
                assert stream.headers["content-type"] == "text/event-stream"
                assert stream.headers["cache-control"] == "no-cache"
                assert stream.headers["x-accel-buffering"] == "no"

    def test_another_users_channel_is_refused(self, sse, alice, bob):
        query = {"channel": f"user-{bob.user.pk}"}
        with SseStream(sse.url, token=alice.device.token, query=query) as stream:
            assert stream.status == 403
            assert stream.read_body() == '{"status": "error", "message": "Forbidden channel"}'
        with open_stream(sse, alice, query={"channel": f"user-{alice.user.pk}"}):
            pass


class TestLive:
    def test_both_devices_of_a_user_get_the_users_events_and_nobody_else(self, sse, alice, bob):
        laptop = DeviceFactory(user=alice.user)
        with (
            open_stream(sse, alice) as web,
            SseStream(sse.url, token=laptop.token) as other,
            open_stream(sse, bob) as bobs,
        ):
            seen(alice, 7)
            seen(bob, 8)
            assert web.next_event() == frame(1, 7)
            assert other.next_event() == frame(1, 7)
            assert bobs.next_event() == frame(1, 8)

    def test_a_keep_alive_comes_while_nothing_happens(self, sse, alice):
        with open_stream(sse, alice) as stream:
            frames = [stream.next_frame(timeout=5) for _ in range(2)]
        assert frames[0]["comment"] == "stream open"
        assert frames[1]["data"] == '{"type":"PING"}'

    def test_a_burst_of_1000_events_arrives_complete_and_in_order(self, sse, alice):
        """Two publishers at once: ids are consecutive, and each one's events keep their order."""

        def publisher(name):
            for n in range(500):
                publish([(alice.user.pk, {"type": "SEEN_ROOM", "roomId": n, "by": name})])
            connection.close()

        with open_stream(sse, alice) as stream:
            threads = [threading.Thread(target=publisher, args=(n,)) for n in ("a", "b")]
            for thread in threads:
                thread.start()
            received = [stream.next_event(timeout=30) for _ in range(1000)]
            for thread in threads:
                thread.join()
        assert [int(event["id"]) for event in received] == list(range(1, 1001))
        for name in ("a", "b"):
            rooms = [e["data"]["roomId"] for e in received if e["data"]["by"] == name]
            assert rooms == list(range(500))

    def test_an_event_committed_once_the_stream_is_open_is_never_lost(self, sse, alice):
        for attempt in range(1, 11):
            with open_stream(sse, alice) as stream:
                seen(alice, attempt)
                assert stream.next_event() == frame(attempt, attempt)


class TestResume:
    def test_a_reconnect_gets_exactly_the_missed_events_then_live_ones(self, sse, alice):
        with open_stream(sse, alice) as stream:
            seen(alice, 1)
            assert stream.next_event() == frame(1, 1)
        for room_id in (2, 3, 4):
            seen(alice, room_id)
        with open_stream(sse, alice, headers={"Last-Event-ID": "1"}) as stream:
            assert [stream.next_event() for _ in range(3)] == [
                frame(2, 2),
                frame(3, 3),
                frame(4, 4),
            ]
            seen(alice, 5)
            assert stream.next_event() == frame(5, 5)
        with open_stream(sse, alice, query={"lastEventId": "3"}) as stream:
            assert [stream.next_event() for _ in range(2)] == [frame(4, 4), frame(5, 5)]

    @pytest.mark.parametrize("last_id", ["garbage", "-4", "99", "user-1:2", "1" * 40])
    def test_an_id_it_cannot_honour_gets_a_reset_then_the_live_stream(self, sse, alice, last_id):
        seen(alice, 1)
        seen(alice, 2)
        with open_stream(sse, alice, headers={"Last-Event-ID": last_id}) as stream:
            assert stream.next_event() == {
                "id": "2",
                "event": "stream-reset",
                "data": {"type": "STREAM_RESET", "lastEventId": "2"},
            }
            seen(alice, 3)
            assert stream.next_event() == frame(3, 3)

    def test_an_id_older_than_retention_gets_a_reset(self, sse, alice):
        for room_id in (1, 2, 3):
            seen(alice, room_id)
        old = timezone.now() - timedelta(hours=25)
        StoredEvent.objects.filter(seq__lte=2).update(created_at=old)
        seen(alice, 4)
        events_trim()
        with open_stream(sse, alice, headers={"Last-Event-ID": "1"}) as stream:
            assert stream.next_event()["event"] == "stream-reset"
        with open_stream(sse, alice, headers={"Last-Event-ID": "2"}) as stream:
            assert [stream.next_event() for _ in range(2)] == [frame(3, 3), frame(4, 4)]


class TestManyProcesses:
    def test_a_server_restart_loses_nothing(self, sse, redis_process, alice):
        server = ServerProcess(**server_env(redis_process)).start()
        try:
            with open_stream(server, alice) as stream:
                seen(alice, 1)
                assert stream.next_event() == frame(1, 1)
            server.stop()
            seen(alice, 2)
            seen(alice, 3)
            server = ServerProcess(port=server.port, **server_env(redis_process)).start()
            with open_stream(server, alice, headers={"Last-Event-ID": "1"}) as stream:
                assert [stream.next_event() for _ in range(2)] == [frame(2, 2), frame(3, 3)]
        finally:
            server.stop()

    def test_two_servers_and_a_redis_restart_lose_nothing(self, sse, settings, alice, bob):
        with RedisProcess() as redis_process:
            settings.REDIS_URL = redis_process.url
            servers = [ServerProcess(**server_env(redis_process)).start() for _ in range(2)]
            try:
                self._through_redis(servers, redis_process, alice, bob)
            finally:
                for server in servers:
                    server.stop()

    def _through_redis(self, servers, redis_process, alice, bob):
        one, two = servers
        with open_stream(one, alice) as a1, open_stream(two, alice) as a2:
            with open_stream(two, bob) as b2:
                seen(alice, 1)
                seen(bob, 1)
                assert (a1.next_event(), a2.next_event()) == (frame(1, 1), frame(1, 1))
                assert b2.next_event() == frame(1, 1)

                redis_process.stop()
                seen(alice, 2)  # stored; its announcement is lost with Redis
                redis_process.start()
                seen(alice, 3)
                for stream in (a1, a2):
                    assert [stream.next_event(timeout=15) for _ in range(2)] == [
                        frame(2, 2),
                        frame(3, 3),
                    ]
