"""The event commands as an operator runs them: separate processes, a real server and stream.

The server and every command run as their own processes on the test database and talk through
a private Redis, as they would in production with ``REDIS_URL`` set.
"""

import json
import os
import subprocess
import sys
import uuid

import pytest
from django.db import transaction

from eventstream import payloads
from eventstream.models import StoredEvent
from tests.e2e import harness
from tests.e2e.harness import ROOT, RedisProcess, ServerProcess, SseStream
from tests.factories import MessageFactory, room_with

PREFIX = f"e2e-commands-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def redis_process():
    with RedisProcess() as process:
        yield process


@pytest.fixture(scope="module")
def redis_server(django_db_setup, django_db_blocker, redis_process):
    env = {"REDIS_URL": redis_process.url, "SPIKA_REDIS_PREFIX": PREFIX}
    with django_db_blocker.unblock():
        server = ServerProcess(**env).start()
    yield server
    server.stop()


@pytest.fixture
def live(redis_server, transactional_db, settings, redis_process):
    """The server; this process and the commands publish through the same Redis."""
    settings.REDIS_URL = redis_process.url
    settings.SPIKA_REDIS_PREFIX = PREFIX
    return redis_server


def command_env(redis_process) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": harness.test_database_url(),
        "REDIS_URL": redis_process.url,
        "SPIKA_REDIS_PREFIX": PREFIX,
        "PYTHONUNBUFFERED": "1",
    }


def manage(redis_process, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=command_env(redis_process),
        capture_output=True,
        text=True,
        timeout=60,
    )


def open_stream(server, persona) -> SseStream:
    stream = SseStream(server.url, token=persona.device.token)
    assert stream.status == 200
    return stream


def last_id(user) -> int:
    return StoredEvent.objects.filter(user_id=user.pk).order_by("-seq").values_list("seq")[0][0]


@pytest.fixture
def chat(live, alice, bob):
    """alice and bob's group and one message, published (so stored) before any stream opens."""
    with transaction.atomic():  # one NEW_ROOM, as POST /rooms sends
        room = room_with(alice.user, bob.user, name="Climbing", admins=[alice.user])
    message = MessageFactory(room=room, from_user=alice.user, body={"text": "rope at six"})
    return {"room": room, "message": message}


def test_replayed_events_arrive_on_a_connected_stream(live, chat, bob, redis_process):
    message = chat["message"]
    message.refresh_from_db()
    before = last_id(bob.user)
    with open_stream(live, bob) as stream:
        done = manage(redis_process, "replay_events", "--user", str(bob.user.pk))
        assert (done.returncode, done.stdout) == (0, "Replayed 2 event(s).\n"), done.stderr
        first, second = stream.next_event(), stream.next_event()
    assert first["id"] == str(before + 1)
    assert first["data"]["type"] == "NEW_ROOM"
    assert first["data"]["room"]["id"] == chat["room"].pk
    assert second == {
        "id": str(before + 2),
        "event": "message",
        "data": payloads.new_message(message),
    }


def test_a_dry_run_prints_json_lines_and_the_stream_gets_nothing(live, chat, bob, redis_process):
    done = manage(redis_process, "replay_events", "--user", "+385910000002", "--dry-run")
    assert done.returncode == 0, done.stderr
    printed = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(line["userId"], line["id"]) for line in printed] == [
        (bob.user.pk, 1),
        (bob.user.pk, 2),
    ]
    assert StoredEvent.objects.filter(user_id=bob.user.pk).count() == 2


def test_an_objects_current_state_reaches_its_members_streams(
    live, chat, alice, bob, redis_process
):
    room = chat["room"]
    with open_stream(live, alice) as alices, open_stream(live, bob) as bobs:
        done = manage(redis_process, "publish_state", "room", str(room.pk))
        assert done.returncode == 0, done.stderr
        to_alice, to_bob = alices.next_event()["data"], bobs.next_event()["data"]
    assert to_alice["type"] == to_bob["type"] == "UPDATE_ROOM"
    assert to_alice["room"]["id"] == to_bob["room"]["id"] == room.pk
    assert (to_alice["room"]["unreadCount"], to_bob["room"]["unreadCount"]) == (0, 1)


def test_bad_arguments_exit_non_zero_with_the_reason(live, redis_process):
    done = manage(redis_process, "publish_state", "room", "424242")
    assert (done.returncode, done.stderr) == (1, "CommandError: No room 424242.\n")


def test_the_tail_prints_events_another_process_publishes(live, chat, bob, redis_process):
    tail = subprocess.Popen(
        [sys.executable, "manage.py", "tail_events", "--user", str(bob.user.pk)]
        + ["--count", "1", "--timeout", "30"],
        cwd=ROOT,
        env=command_env(redis_process),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert tail.stderr.readline().startswith(f"Following the events of user {bob.user.pk}")
        # Another process publishes: publish_state, not this test.
        done = manage(redis_process, "publish_state", "message", str(chat["message"].pk))
        assert done.returncode == 0, done.stderr
        line = json.loads(tail.stdout.readline())
        assert tail.wait(timeout=30) == 0
    finally:
        tail.kill()
        tail.wait()
    chat["message"].refresh_from_db()
    assert line["userId"] == bob.user.pk
    assert line["id"] == last_id(bob.user)
    assert line["data"] == payloads.update_message(chat["message"])
