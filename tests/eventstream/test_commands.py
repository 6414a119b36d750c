"""replay_events, publish_state and tail_events through call_command: output, effects, errors."""

import json
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import UserSetting
from chat.models import Message, RoomUser
from eventstream import payloads
from eventstream.management.commands import publish_state, replay_events, tail_events
from eventstream.models import StoredEvent
from spika.schemas import to_millis
from tests.e2e import harness
from tests.factories import MessageFactory, room_with


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def stored(user) -> list[tuple[int, dict]]:
    """The user's stored events, as (SSE id, payload)."""
    rows = StoredEvent.objects.filter(user_id=user.pk).order_by("seq")
    return [(row.seq, json.loads(row.data)) for row in rows]


def last_pk() -> int:
    return StoredEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def published_after(pk: int) -> list[tuple[int, dict]]:
    """Events stored after row ``pk``, as (user id, payload), in storage order."""
    rows = StoredEvent.objects.filter(pk__gt=pk).order_by("pk")
    return [(row.user_id, json.loads(row.data)) for row in rows]


@pytest.fixture
def publish_now(django_capture_on_commit_callbacks):
    """Run the on-commit publications of what the block does (the test never commits)."""

    def context():
        return django_capture_on_commit_callbacks(execute=True)

    return context


@pytest.fixture
def talk(alice, bob, charlie, publish_now):
    """alice and bob's group with two messages; charlie's own room with one. All published."""
    with publish_now():
        room = room_with(alice.user, bob.user, name="Climbing", admins=[alice.user])
    with publish_now():
        first = MessageFactory(room=room, from_user=alice.user, body={"text": "rope at six"})
    with publish_now():
        second = MessageFactory(room=room, from_user=bob.user, body={"text": "ok"})
    with publish_now():
        lonely = room_with(charlie.user, name="Solo")
    with publish_now():
        MessageFactory(room=lonely, from_user=charlie.user, body={"text": "echo"})
    return {"room": room, "messages": [first, second], "lonely": lonely}


def event_line(user, seq) -> dict:
    row = StoredEvent.objects.get(user_id=user.pk, seq=seq)
    return {
        "userId": user.pk,
        "id": seq,
        "storedAt": to_millis(row.created_at),
        "data": json.loads(row.data),
    }


# replay_events


def test_a_dry_run_prints_a_users_events_as_json_lines_and_sends_nothing(talk, alice):
    before = StoredEvent.objects.count()
    out, err = run("replay_events", "--user", str(alice.user.pk), "--dry-run")
    assert lines(out) == [event_line(alice.user, seq) for seq in (1, 2, 3)]
    types = [line["data"]["type"] for line in lines(out)]
    assert types == ["NEW_ROOM", "NEW_MESSAGE", "NEW_MESSAGE"]
    assert lines(out)[1]["data"] == payloads.new_message(talk["messages"][0])
    assert err == "3 event(s) match; nothing was sent (--dry-run).\n"
    assert StoredEvent.objects.count() == before


def test_a_user_is_named_by_telephone_number_too(talk, alice):
    by_number, _ = run("replay_events", "--user", "+385910000001", "--dry-run")
    by_id, _ = run("replay_events", "--user", str(alice.user.pk), "--dry-run")
    assert by_number == by_id != ""


def test_events_are_chosen_by_room_and_type(talk, alice, bob, charlie):
    room = str(talk["room"].pk)
    out, _ = run("replay_events", "--room", room, "--type", "NEW_MESSAGE", "--dry-run")
    got = [(line["userId"], line["data"]["message"]["body"]["text"]) for line in lines(out)]
    expected = [(alice.user.pk, "rope at six"), (bob.user.pk, "rope at six")]
    expected += [(alice.user.pk, "ok"), (bob.user.pk, "ok")]
    assert got == expected
    out, _ = run("replay_events", "--room", str(talk["lonely"].pk), "--dry-run")
    assert [(line["userId"], line["data"]["type"]) for line in lines(out)] == [
        (charlie.user.pk, "NEW_ROOM"),
        (charlie.user.pk, "NEW_MESSAGE"),
    ]


def test_types_may_be_repeated_or_comma_separated(talk, alice):
    user = str(alice.user.pk)
    one, _ = run("replay_events", "--user", user, "--type", "new_room,NEW_MESSAGE", "--dry-run")
    two, _ = run(
        "replay_events", "--user", user, "--type", "NEW_ROOM", "--type", "NEW_MESSAGE", "--dry-run"
    )
    assert one == two
    assert len(lines(one)) == 3


def test_events_are_chosen_by_id_range_of_the_channel(talk, alice):
    user = str(alice.user.pk)
    out, _ = run("replay_events", "--user", user, "--from-id", "2", "--to-id", "2", "--dry-run")
    assert lines(out) == [event_line(alice.user, 2)]


def test_events_are_chosen_by_time(talk, alice):
    StoredEvent.objects.filter(user_id=alice.user.pk, seq=1).update(
        created_at=timezone.now() - timedelta(hours=3)
    )
    user = str(alice.user.pk)
    recent, _ = run("replay_events", "--user", user, "--since", "1h", "--dry-run")
    assert [line["id"] for line in lines(recent)] == [2, 3]
    old, _ = run("replay_events", "--user", user, "--until", "2h", "--dry-run")
    assert [line["id"] for line in lines(old)] == [1]
    iso = (timezone.now() - timedelta(hours=4)).isoformat()
    millis = str(to_millis(timezone.now() - timedelta(hours=2)))
    window, _ = run("replay_events", "--user", user, "--since", iso, "--until", millis, "--dry-run")
    assert [line["id"] for line in lines(window)] == [1]


def test_a_replay_publishes_the_events_again_under_new_ids(talk, alice, bob, publish_now, settings):
    settings.REDIS_URL = ""
    before_bob = stored(bob.user)
    with publish_now():
        out, err = run("replay_events", "--user", str(alice.user.pk), "--since", "1h")
    assert out == "Replayed 3 event(s).\n"
    assert "REDIS_URL is not set" in err
    events = stored(alice.user)
    assert [seq for seq, _ in events] == [1, 2, 3, 4, 5, 6]
    assert [data for _, data in events[3:]] == [data for _, data in events[:3]]
    assert stored(bob.user) == before_bob


def test_a_replay_does_not_replay_what_it_sends(talk, alice, publish_now):
    with publish_now():
        run("replay_events", "--user", str(alice.user.pk), "--batch-size", "1")
    assert len(stored(alice.user)) == 6


def test_a_long_replay_shows_its_progress(talk, alice, publish_now):
    with publish_now():
        out, err = run("replay_events", "--room", str(talk["room"].pk), "--batch-size", "2")
    assert out == "Replayed 6 event(s).\n"
    assert [line for line in err.splitlines() if line.startswith("sent")] == [
        "sent 2 of 6",
        "sent 4 of 6",
        "sent 6 of 6",
    ]


def test_a_replay_that_matches_nothing_sends_nothing(talk, publish_now):
    before = StoredEvent.objects.count()
    with publish_now():
        out, _ = run("replay_events", "--type", "SEEN_ROOM")
    assert out == "Replayed 0 event(s).\n"
    assert StoredEvent.objects.count() == before


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "Choose events with --user"),
        (["--user", "abc"], "'abc' is not an id"),
        (["--user", "0"], "'0' is not an id"),
        (["--user", "99999999999999999999"], "is not an id"),
        (["--user", "424242"], "No user 424242."),
        (["--user", "+385000000000"], "No user +385000000000."),
        (["--room", "-3"], "argument --room"),
        (["--type", "NEW_THING"], "unknown event type NEW_THING"),
        (["--since", "yesterday"], "'yesterday' is not a time"),
        (["--since", "99999999999999999999"], "out of range"),
        (["--since", "1h", "--until", "2h"], "--since is after --until"),
        (["--from-id", "9", "--to-id", "3"], "--from-id is above --to-id"),
        (["--all", "--batch-size", "0"], "is not a whole number from 1"),
    ],
)
def test_bad_arguments_are_a_clear_command_error(db, args, message):
    with pytest.raises(CommandError, match=message.replace("+", r"\+")):
        run("replay_events", *args)


def manage(*args, env=None):
    environ = {"DATABASE_URL": harness.test_database_url(), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=harness.ROOT,
        env=environ | (env or {}),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_on_the_command_line_bad_arguments_exit_non_zero(db):
    missing = manage("replay_events")
    assert missing.returncode == 1
    assert "CommandError: Choose events with --user" in missing.stderr
    malformed = manage("replay_events", "--since", "later")
    assert malformed.returncode == 2
    assert "argument --since: 'later' is not a time" in malformed.stderr


@pytest.mark.parametrize("module", [replay_events, publish_state, tail_events])
def test_help_shows_examples_as_written(module):
    parser = module.Command().create_parser("manage.py", module.__name__.rsplit(".", 1)[1])
    text = parser.format_help()
    assert "\nexamples:\n" in text
    assert module.EXAMPLES.strip().splitlines()[-1] in text


# publish_state


def test_a_rooms_state_goes_to_each_member_with_their_own_flags(talk, alice, bob, publish_now):
    room = talk["room"]
    RoomUser.objects.filter(room=room).update(is_admin=True)  # a fix no signal saw
    UserSetting.objects.create(user=bob.user, key=f"mute_{room.pk}", value="true")
    mark = last_pk()
    with publish_now():
        out, err = run("publish_state", "room", str(room.pk))
    assert out == "Published 2 event(s) for 1 room(s) to 2 user(s).\n"
    [(alice_id, to_alice), (bob_id, to_bob)] = published_after(mark)
    assert (alice_id, bob_id) == (alice.user.pk, bob.user.pk)
    assert to_alice["type"] == to_bob["type"] == "UPDATE_ROOM"
    assert [user["isAdmin"] for user in to_alice["room"]["users"]] == [True, True]
    assert (to_alice["room"]["muted"], to_bob["room"]["muted"]) == (False, True)
    assert (to_alice["room"]["unreadCount"], to_bob["room"]["unreadCount"]) == (1, 1)


def test_a_messages_state_goes_to_its_rooms_members(talk, alice, bob, charlie, publish_now):
    message = talk["messages"][0]
    Message.objects.filter(pk=message.pk).update(body={"text": "rope at seven"})
    message.refresh_from_db()
    mark = last_pk()
    with publish_now():
        out, _ = run("publish_state", "message", str(message.pk))
    assert out == "Published 2 event(s) for 1 message(s) to 2 user(s).\n"
    expected = payloads.update_message(message)
    assert expected["message"]["body"] == {"text": "rope at seven"}
    assert published_after(mark) == [(alice.user.pk, expected), (bob.user.pk, expected)]


def test_a_users_state_goes_to_them_and_who_shares_a_room(talk, alice, bob, charlie, publish_now):
    type(alice.user).objects.filter(pk=alice.user.pk).update(display_name="Alice B.")
    alice.user.refresh_from_db()
    mark = last_pk()
    with publish_now():
        out, _ = run("publish_state", "user", "+385910000001")
    assert out == "Published 2 event(s) for 1 user(s) to 2 user(s).\n"
    expected = payloads.user_update(alice.user)
    assert expected["user"]["displayName"] == "Alice B."
    assert published_after(mark) == [(alice.user.pk, expected), (bob.user.pk, expected)]


def test_state_goes_only_to_the_chosen_recipients(talk, alice, bob, charlie, publish_now):
    mark = last_pk()
    room = str(talk["room"].pk)
    with publish_now():
        out, _ = run(
            "publish_state", "room", room, "--to", str(bob.user.pk), "--to", "+385910000003"
        )
    assert out == "Published 1 event(s) for 1 room(s) to 1 user(s).\n"
    assert [(user_id, data["type"]) for user_id, data in published_after(mark)] == [
        (bob.user.pk, "UPDATE_ROOM")
    ]


def test_a_state_dry_run_prints_and_sends_nothing(talk, alice, bob):
    mark = last_pk()
    messages = [str(message.pk) for message in talk["messages"]]
    out, err = run("publish_state", "message", *messages, "--dry-run")
    expected = [
        {"userId": user.pk, "data": payloads.update_message(message)}
        for message in talk["messages"]
        for user in (alice.user, bob.user)
    ]
    assert lines(out) == expected
    assert err == "4 event(s); nothing was sent (--dry-run).\n"
    assert published_after(mark) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["room", "424242"], "No room 424242."),
        (["message", "1", "abc"], "Bad message id: 'abc' is not an id"),
        (["user", "nobody"], "Bad user: 'nobody' is not an id"),
        (["user", "424242"], "No user 424242."),
        (["room", "1", "--to", "424242"], "No user 424242."),
        (["chair", "1"], "invalid choice: 'chair'"),
        (["room"], "the following arguments are required: ID"),
    ],
)
def test_publish_state_refuses_bad_arguments(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("publish_state", *args)


def test_a_missing_object_among_several_sends_nothing(talk, publish_now):
    before = StoredEvent.objects.count()
    with publish_now(), pytest.raises(CommandError, match="No room 424242."):
        run("publish_state", "room", str(talk["room"].pk), "424242")
    assert StoredEvent.objects.count() == before


# tail_events (live, across processes: tests/e2e/test_commands_e2e.py)


def test_tail_prints_a_users_stored_events_since_a_moment(talk, alice):
    out, _ = run("tail_events", "--user", str(alice.user.pk), "--since", "1h", "--count", "3")
    assert lines(out) == [event_line(alice.user, seq) for seq in (1, 2, 3)]


def test_tail_follows_every_channel_and_filters_by_type_and_room(talk, alice, bob, charlie):
    out, _ = run(
        "tail_events", "--since", "1h", "--type", "NEW_MESSAGE", "--timeout", "0", "--interval", "1"
    )
    got = [(line["userId"], line["data"]["message"]["body"]["text"]) for line in lines(out)]
    assert got == [
        (alice.user.pk, "rope at six"),
        (bob.user.pk, "rope at six"),
        (alice.user.pk, "ok"),
        (bob.user.pk, "ok"),
        (charlie.user.pk, "echo"),
    ]
    out, _ = run("tail_events", "--since", "1h", "--room", str(talk["lonely"].pk), "--timeout", "0")
    assert [line["data"]["type"] for line in lines(out)] == ["NEW_ROOM", "NEW_MESSAGE"]


def test_tail_starts_now_without_since(talk, alice):
    out, _ = run("tail_events", "--user", str(alice.user.pk), "--timeout", "0")
    assert out == ""


def test_tail_prints_text_for_people(talk, alice):
    out, _ = run(
        "tail_events",
        "--user",
        str(alice.user.pk),
        "--since",
        "1h",
        "--count",
        "1",
        "--format",
        "text",
    )
    assert f"  user {alice.user.pk}  #1  NEW_ROOM  {{" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--user", "x"], "'x' is not an id"),
        (["--user", "424242"], "No user 424242."),
        (["--count", "0"], "is not a whole number from 1"),
        (["--interval", "0"], "--interval must be above 0"),
        (["--format", "xml"], "invalid choice: 'xml'"),
    ],
)
def test_tail_refuses_bad_arguments(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("tail_events", *args)
