"""Client -> Pushpin -> Django, over real sockets: Pushpin holds the streams, Django publishes.

Each server here runs in GRIP mode (``SPIKA_GRIP_KEY``, ``SPIKA_GRIP_PUBLISH_URLS``) behind a
private Pushpin configured by ``deploy/pushpin/render.py``. Events come from the server (a REST
write) or from this test process through ``eventstream.publish.publish``, which stores them in
the test database and posts them to Pushpin, as a management command would.
"""

import threading
import time
import warnings
from datetime import timedelta

import jwt
import pytest
from django.db import connection
from django.utils import timezone

from eventstream import storage
from eventstream.grip import NEXT_PARAM
from eventstream.publish import publish
from tests.e2e.harness import ServerProcess, SseStream, http_json
from tests.e2e.pushpin_harness import TEST_GRIP_KEY, PushpinProcess

RECHECK_SECONDS = 1


def grip_env(pushpin: PushpinProcess) -> dict:
    return {
        "SPIKA_GRIP_KEY": TEST_GRIP_KEY,
        "SPIKA_GRIP_PUBLISH_URLS": pushpin.control_url,
        "SPIKA_GRIP_RECHECK_SECONDS": RECHECK_SECONDS,
        "SPIKA_SSE_KEEPALIVE_SECONDS": 1,
        "REDIS_URL": "",
    }


def start_edge(django_db_blocker, count=1):
    """``count`` servers in GRIP mode on free ports, and a Pushpin in front of them.

    Pushpin tries its targets in order: the first server answers while it is up.
    """
    servers = [ServerProcess() for _ in range(count)]
    pushpin = PushpinProcess([f"127.0.0.1:{server.port}" for server in servers])
    try:
        with django_db_blocker.unblock():
            for server in servers:
                server.env.update({key: str(value) for key, value in grip_env(pushpin).items()})
                server.start()
        pushpin.start()
    except Exception:
        stop_edge(servers, pushpin)
        raise
    return servers, pushpin


def stop_edge(servers, pushpin):
    pushpin.stop()
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def module_edge(django_db_setup, django_db_blocker):
    servers, pushpin = start_edge(django_db_blocker)
    yield servers[0], pushpin
    stop_edge(servers, pushpin)


@pytest.fixture
def edge(module_edge, transactional_db, settings):
    """(server, pushpin); this process publishes to the same Pushpin."""
    server, pushpin = module_edge
    settings.SPIKA_GRIP_PUBLISH_URLS = [pushpin.control_url]
    settings.REDIS_URL = ""
    return server, pushpin


def seen(persona, room_id):
    publish([(persona.user.pk, {"type": "SEEN_ROOM", "roomId": room_id})])


def seen_many(persona, room_ids, pause):
    """``seen`` for each room, one publication every ``pause`` seconds, on a thread of its own."""
    try:
        for room_id in room_ids:
            seen(persona, room_id)
            time.sleep(pause)
    finally:
        connection.close()


def next_link_fetches(pushpin) -> int:
    """How many times Pushpin has fetched a stream's next link (its log, at info level)."""
    return sum(
        "[handler] GET " in line and NEXT_PARAM in line for line in pushpin.log_text().splitlines()
    )


def seen_frame(event_id, room_id):
    return {
        "id": str(event_id),
        "event": "message",
        "data": {"type": "SEEN_ROOM", "roomId": room_id},
    }


def open_stream(base_url, persona, **kw) -> SseStream:
    stream = SseStream(base_url, token=persona.device.token, **kw)
    assert stream.status == 200, stream.read_body()
    assert stream.next_frame()["comment"] == "stream open"
    return stream


def read_until_closed(stream, limit=30.0) -> list[dict]:
    """Frames until the server ends the stream; fails if it is still open after ``limit``."""
    frames = []
    deadline = time.monotonic() + limit
    while True:
        try:
            frames.append(stream.next_frame(timeout=max(0.1, deadline - time.monotonic())))
        except EOFError:
            return frames


def grip_sig(key, *, alg="HS256", iss="pushpin", expires_in=3600):
    claims = {"iss": iss, "exp": int(time.time()) + expires_in}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)  # "changeme"
        return jwt.encode(claims, key, algorithm=alg)


class TestStreamsHeldByPushpin:
    def test_a_rest_write_reaches_the_stream_that_pushpin_holds(self, edge, alice):
        _, pushpin = edge
        with open_stream(pushpin.url, alice) as stream:
            assert stream.headers["content-type"] == "text/event-stream"
            assert stream.headers["cache-control"] == "no-cache"
            assert "grip-hold" not in stream.headers
            status, _ = http_json(
                pushpin.url,
                "PUT",
                "/api/messenger/me",
                {"displayName": "Alice P."},
                token=alice.device.token,
            )
            assert status == 200
            event = stream.next_event()
        assert event["id"] == "1"
        assert event["event"] == "message"
        assert event["data"]["type"] == "USER_UPDATE"
        assert event["data"]["user"]["displayName"] == "Alice P."

    def test_events_arrive_complete_and_in_order_on_every_stream_of_the_user(self, edge, alice):
        _, pushpin = edge
        with open_stream(pushpin.url, alice) as first, open_stream(pushpin.url, alice) as second:
            for room_id in range(1, 51):
                seen(alice, room_id)
            expected = [seen_frame(n, n) for n in range(1, 51)]
            assert [first.next_event() for _ in range(50)] == expected
            assert [second.next_event() for _ in range(50)] == expected

    def test_pushpin_sends_the_ping_keep_alive(self, edge, alice):
        _, pushpin = edge
        with open_stream(pushpin.url, alice) as stream:
            assert stream.next_frame(timeout=10) == {
                "id": None,
                "event": None,
                "data": '{"type":"PING"}',
                "comment": None,
            }

    def test_a_stream_opened_without_a_valid_token_is_refused_through_pushpin(self, edge):
        _, pushpin = edge
        stream = SseStream(pushpin.url, token="not-a-token")
        assert stream.status == 401
        assert stream.read_body() == '{"status": "error", "message": "Invalid access token"}'
        stream.close()

    def test_streams_outlive_the_django_process_that_opened_them(
        self, django_db_blocker, transactional_db, settings, alice
    ):
        (first, second), pushpin = start_edge(django_db_blocker, count=2)
        settings.SPIKA_GRIP_PUBLISH_URLS = [pushpin.control_url]
        settings.REDIS_URL = ""
        try:
            with open_stream(pushpin.url, alice) as stream:
                first.stop()
                # Rechecks now go to the second server; the stream stays where it is.
                time.sleep(RECHECK_SECONDS * 3)
                seen(alice, 7)
                assert stream.next_event() == seen_frame(1, 7)
                body = {"displayName": "Alice S."}
                token = alice.device.token
                assert (
                    http_json(pushpin.url, "PUT", "/api/messenger/me", body, token=token)[0] == 200
                )
                assert stream.next_event()["data"]["user"]["displayName"] == "Alice S."
        finally:
            stop_edge([first, second], pushpin)

    def test_a_burst_while_pushpin_fetches_the_next_link_arrives_complete_in_order_once(
        self, edge, alice
    ):
        """Several publishers race (as a server's threads do) while Pushpin fetches the next link:
        items reach Pushpin out of order, or after the answer already carried them, and its
        queue overflows while it refetches. The stream still gets every id, in order, once."""
        _, pushpin = edge
        # The first event is stored but never posted (a lost publication): the first item of the
        # burst does not follow what Pushpin sent, so it fetches the next link while the burst
        # goes on. Its 299 publications span about three recheck intervals.
        count, threads, pause = 300, 4, RECHECK_SECONDS * 3 / 75
        fetches_before = next_link_fetches(pushpin)
        with open_stream(pushpin.url, alice) as stream:
            storage.events_append([(alice.user.pk, '{"type":"SEEN_ROOM","roomId":1}')])
            workers = [
                threading.Thread(
                    target=seen_many, args=(alice, range(first, count + 1, threads), pause)
                )
                for first in range(2, threads + 2)
            ]
            for worker in workers:
                worker.start()
            events = [stream.next_event(timeout=30) for _ in range(count)]
            for worker in workers:
                worker.join()
            seen(alice, count + 1)
            following = stream.next_event(timeout=30)
        assert [event["id"] for event in events] == [str(n) for n in range(1, count + 1)]
        assert sorted(event["data"]["roomId"] for event in events) == list(range(1, count + 1))
        assert following == seen_frame(count + 1, count + 1)
        assert next_link_fetches(pushpin) > fetches_before


class TestResumeThroughPushpin:
    def test_a_client_that_reconnects_with_its_last_id_gets_exactly_what_it_missed(
        self, edge, alice
    ):
        _, pushpin = edge
        with open_stream(pushpin.url, alice) as stream:
            for room_id in (1, 2, 3):
                seen(alice, room_id)
            assert [stream.next_event() for _ in range(3)] == [seen_frame(n, n) for n in (1, 2, 3)]
        for room_id in (4, 5):
            seen(alice, room_id)
        headers = {"Last-Event-ID": "3"}
        with open_stream(pushpin.url, alice, headers=headers) as stream:
            assert [stream.next_event() for _ in range(2)] == [seen_frame(4, 4), seen_frame(5, 5)]
            seen(alice, 6)
            assert stream.next_event() == seen_frame(6, 6)

    def test_a_long_absence_is_replayed_page_by_page_in_order(self, edge, alice):
        _, pushpin = edge
        count = storage.REPLAY_LIMIT + 120
        publish([(alice.user.pk, {"type": "SEEN_ROOM", "roomId": n}) for n in range(1, count + 1)])
        with open_stream(pushpin.url, alice, query={"lastEventId": "0"}) as stream:
            events = [stream.next_event() for _ in range(count)]
        assert events == [seen_frame(n, n) for n in range(1, count + 1)]

    def test_an_event_pushpin_never_received_is_fetched_from_storage(self, edge, alice):
        _, pushpin = edge
        with open_stream(pushpin.url, alice) as stream:
            # Stored but never posted to Pushpin: a lost publication.
            storage.events_append([(alice.user.pk, '{"type":"SEEN_ROOM","roomId":1}')])
            seen(alice, 2)
            assert [stream.next_event() for _ in range(2)] == [seen_frame(1, 1), seen_frame(2, 2)]

    def test_a_replay_cut_at_the_page_limit_by_a_recheck_goes_on_where_it_stopped(
        self, edge, alice
    ):
        _, pushpin = edge
        count = storage.REPLAY_LIMIT + 120
        with open_stream(pushpin.url, alice) as stream:
            # Stored but never posted: the recheck replays them, one page, then the rest
            # (Pushpin sends the stale Grip-Last with the fetch that follows a cut page).
            storage.events_append(
                [
                    (alice.user.pk, f'{{"type":"SEEN_ROOM","roomId":{n}}}')
                    for n in range(1, count + 1)
                ]
            )
            events = [stream.next_event() for _ in range(count)]
            seen(alice, count + 1)
            following = stream.next_event()
        assert events == [seen_frame(n, n) for n in range(1, count + 1)]
        assert following == seen_frame(count + 1, count + 1)

    def test_an_unknown_last_id_gets_a_stream_reset(self, edge, alice):
        _, pushpin = edge
        with SseStream(pushpin.url, token=alice.device.token, headers={"Last-Event-ID": "99"}) as s:
            assert s.next_frame()["comment"] == "stream open"
            assert s.next_frame() == {
                "id": "0",
                "event": "stream-reset",
                "data": '{"type": "STREAM_RESET", "lastEventId": "0"}',
                "comment": None,
            }


class TestTokenRecheck:
    def test_signing_out_ends_the_stream_within_the_recheck_interval(self, edge, alice):
        _, pushpin = edge
        with open_stream(pushpin.url, alice) as stream:
            seen(alice, 1)
            assert stream.next_event() == seen_frame(1, 1)
            status, _ = http_json(
                pushpin.url, "POST", "/api/messenger/auth/logout", {}, token=alice.device.token
            )
            assert status == 200
            frames = read_until_closed(stream)
        assert all(frame["data"] == '{"type":"PING"}' for frame in frames)

    def test_an_expired_token_ends_the_stream_within_the_recheck_interval(self, edge, alice):
        _, pushpin = edge
        with open_stream(pushpin.url, alice) as stream:
            alice.device.token_expired_at = timezone.now() - timedelta(seconds=1)
            alice.device.save(update_fields=["token_expired_at"])
            read_until_closed(stream)

    def test_a_stream_whose_token_stays_valid_stays_open_across_rechecks(self, edge, alice):
        _, pushpin = edge
        with open_stream(pushpin.url, alice) as stream:
            time.sleep(RECHECK_SECONDS * 3)
            seen(alice, 1)
            assert stream.next_event() == seen_frame(1, 1)


class TestGripSignature:
    """Requests sent straight to Django that claim to come through Pushpin."""

    @pytest.mark.parametrize(
        "signature",
        [
            pytest.param(lambda: grip_sig(None, alg="none"), id="unsigned"),
            pytest.param(lambda: grip_sig("changeme"), id="pushpin-stock-key"),
            pytest.param(lambda: grip_sig("another-key-" + "x" * 32), id="wrong-key"),
            pytest.param(lambda: grip_sig(TEST_GRIP_KEY, expires_in=-10), id="expired"),
            pytest.param(lambda: grip_sig(TEST_GRIP_KEY, iss="someone"), id="wrong-issuer"),
            pytest.param(lambda: "garbage", id="not-a-jwt"),
        ],
    )
    def test_a_bad_signature_gets_the_direct_stream_not_grip_instructions(
        self, edge, alice, signature
    ):
        server, _ = edge
        headers = {"Grip-Sig": signature()}
        with open_stream(server.url, alice, headers=headers) as stream:
            assert not any(name.startswith("grip-") for name in stream.headers)
            # Django itself holds this stream: its own write arrives live on it.
            body = {"displayName": "Alice D."}
            token = alice.device.token
            assert http_json(server.url, "PUT", "/api/messenger/me", body, token=token)[0] == 200
            event = stream.next_event()
        assert event["data"]["user"]["displayName"] == "Alice D."

    def test_a_valid_signature_gets_grip_instructions(self, edge, alice):
        server, _ = edge
        headers = {"Grip-Sig": grip_sig(TEST_GRIP_KEY)}
        stream = SseStream(server.url, token=alice.device.token, headers=headers)
        assert stream.status == 200
        assert stream.headers["grip-hold"] == "stream"
        assert stream.headers["grip-channel"] == f"spika-user-{alice.user.pk}; prev-id=0"
        stream.close()

    def test_a_next_link_without_a_valid_signature_is_a_client_without_a_token(self, edge, alice):
        server, _ = edge
        signed = SseStream(
            server.url, token=alice.device.token, headers={"Grip-Sig": grip_sig(TEST_GRIP_KEY)}
        )
        link = signed.headers["grip-link"]
        signed.close()
        path = link[1 : link.index(">")]
        forged = {
            "Grip-Sig": grip_sig("changeme"),
            "Grip-Last": f"spika-user-{alice.user.pk}; last-id=0",
        }
        status, body = http_json(server.url, "GET", path, headers=forged)
        assert (status, body) == (401, {"status": "error", "message": "No access token"})
