"""Several server processes share streams and events through Redis; resume works across them.

Two real servers (A and B) on the test database and one private Redis, as behind a load
balancer that sends a client's requests to any process. Events are caused by REST writes
(``PUT /me`` sends the user a USER_UPDATE), so each one is published by the process that
served the write.
"""

import uuid

import pytest

from tests.e2e.harness import RedisProcess, ServerProcess, SseStream, http_json

PREFIX = f"e2e-multi-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def processes(django_db_setup, django_db_blocker):
    with RedisProcess() as redis_process:
        env = {"REDIS_URL": redis_process.url, "SPIKA_REDIS_PREFIX": PREFIX}
        servers = [ServerProcess(**env), ServerProcess(**env)]
        with django_db_blocker.unblock():
            for server in servers:
                server.start()
        yield servers
        for server in servers:
            server.stop()


@pytest.fixture
def a_and_b(processes, transactional_db):
    return processes


def rename(server, persona, name):
    body = {"displayName": name}
    status, answer = http_json(
        server.url, "PUT", "/api/messenger/me", body, token=persona.device.token
    )
    assert status == 200, answer


def open_stream(server, persona, **kw) -> SseStream:
    stream = SseStream(server.url, token=persona.device.token, **kw)
    assert stream.status == 200, stream.read_body()
    assert stream.next_frame()["comment"] == "stream open"
    return stream


def names(events):
    return [(event["id"], event["data"]["user"]["displayName"]) for event in events]


def test_a_stream_on_one_process_gets_what_the_other_publishes_in_order(a_and_b, alice):
    a, b = a_and_b
    with open_stream(a, alice) as stream:
        for n in range(1, 21):
            rename(b if n % 2 else a, alice, f"Alice {n}")
        events = [stream.next_event() for _ in range(20)]
    assert names(events) == [(str(n), f"Alice {n}") for n in range(1, 21)]


def test_every_device_gets_the_event_whichever_process_holds_its_stream(a_and_b, alice, bob):
    a, b = a_and_b
    with open_stream(a, alice) as on_a, open_stream(b, alice) as on_b, open_stream(b, bob) as bobs:
        rename(a, alice, "Alice A")
        rename(b, bob, "Bob B")
        assert names([on_a.next_event()]) == [("1", "Alice A")]
        assert names([on_b.next_event()]) == [("1", "Alice A")]
        assert names([bobs.next_event()]) == [("1", "Bob B")]


def test_a_client_that_reconnects_to_the_other_process_misses_nothing(a_and_b, alice):
    a, b = a_and_b
    with open_stream(a, alice) as stream:
        rename(b, alice, "Alice 1")
        rename(a, alice, "Alice 2")
        seen = [stream.next_event() for _ in range(2)]
    assert names(seen) == [("1", "Alice 1"), ("2", "Alice 2")]
    # Disconnected: both processes keep publishing.
    rename(a, alice, "Alice 3")
    rename(b, alice, "Alice 4")
    with open_stream(b, alice, headers={"Last-Event-ID": seen[-1]["id"]}) as stream:
        missed = [stream.next_event() for _ in range(2)]
        rename(a, alice, "Alice 5")
        live = stream.next_event()
    assert names(missed) == [("3", "Alice 3"), ("4", "Alice 4")]
    assert names([live]) == [("5", "Alice 5")]
