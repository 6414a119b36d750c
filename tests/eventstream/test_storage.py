import json
import math
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eventstream import publish as publish_module
from eventstream import storage
from eventstream.models import ChannelCursor, StoredEvent
from eventstream.publish import publish

ALICE, BOB = 101, 102


def counting(calls):
    """``payload_encode`` that records each call."""
    encode = publish_module.payload_encode

    def wrapper(payload):
        calls.append(payload)
        return encode(payload)

    return wrapper


def stored(user_id):
    rows = StoredEvent.objects.filter(user_id=user_id).order_by("seq")
    return [(row.seq, json.loads(row.data)) for row in rows]


@pytest.mark.django_db
class TestEventsAppend:
    def test_it_numbers_each_channel_from_one_in_batch_order(self):
        events = storage.events_append([(ALICE, "a1"), (BOB, "b1"), (ALICE, "a2")])
        assert [(e.user_id, e.seq, e.data) for e in events] == [
            (ALICE, 1, "a1"),
            (BOB, 1, "b1"),
            (ALICE, 2, "a2"),
        ]
        assert storage.events_append([(ALICE, "a3")])[0].seq == 3
        assert storage.channel_positions([ALICE, BOB, 999]) == {ALICE: 3, BOB: 1}

    def test_an_empty_batch_stores_nothing(self):
        assert storage.events_append([]) == []
        assert not ChannelCursor.objects.exists()

    def test_data_is_stored_exactly_whatever_characters_it_holds(self):
        awkward = ['{"t":"tab\there"}', "back\\slash \\N \\t", "naïve ✓ 😀", "a\r\nb", "\\."]
        storage.events_append([(ALICE, data) for data in awkward])
        assert [e.data for e in storage.events_after(ALICE, 0).events] == awkward
        assert all(row.created_at for row in StoredEvent.objects.all())

    def test_the_batch_is_one_statement_and_it_is_counted(self):
        with CaptureQueriesContext(connection) as queries:
            storage.events_append([(user_id, "{}") for user_id in range(1, 1001)])
        # the cursors' INSERT ... ON CONFLICT and the events' one COPY (PostgreSQL); SQLite
        # keeps bulk_create, which Django splits at SQLite's 999 parameters (4 per event).
        statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
        expected = 2 if connection.vendor == "postgresql" else 1 + math.ceil(1000 / (999 // 4))
        assert len(statements) == expected, statements
        assert StoredEvent.objects.count() == 1000


@pytest.mark.django_db
class TestEventsAfter:
    def test_it_replays_what_follows_the_id_in_order(self):
        storage.events_append([(ALICE, f"e{n}") for n in range(1, 6)])
        replay = storage.events_after(ALICE, 2)
        assert [(e.seq, e.data) for e in replay.events] == [(3, "e3"), (4, "e4"), (5, "e5")]
        assert (replay.position, replay.reset, replay.more) == (5, False, False)

    def test_a_caught_up_client_gets_nothing_and_no_reset(self):
        storage.events_append([(ALICE, "e1")])
        assert storage.events_after(ALICE, 1) == storage.Replay(events=[], position=1)
        assert storage.events_after(BOB, 0) == storage.Replay(events=[], position=0)

    def test_it_reads_in_pages(self):
        storage.events_append([(ALICE, f"e{n}") for n in range(1, 8)])
        replay = storage.events_after(ALICE, 0, limit=3)
        assert [e.seq for e in replay.events] == [1, 2, 3]
        assert (replay.position, replay.more) == (3, True)

    @pytest.mark.parametrize("after", [None, 4])
    def test_a_malformed_or_future_id_is_a_reset_at_the_current_position(self, after):
        storage.events_append([(ALICE, "e1"), (ALICE, "e2")])
        assert storage.events_after(ALICE, after) == storage.Replay(
            events=[], position=2, reset=True
        )

    def test_an_id_whose_successors_were_trimmed_is_a_reset(self):
        storage.events_append([(ALICE, f"e{n}") for n in range(1, 5)])
        StoredEvent.objects.filter(user_id=ALICE, seq__lte=2).delete()
        assert storage.events_after(ALICE, 1).reset
        assert storage.events_after(ALICE, 2).events[0].seq == 3

    def test_a_hole_in_the_middle_is_a_reset_too(self):
        storage.events_append([(ALICE, f"e{n}") for n in range(1, 5)])
        StoredEvent.objects.filter(user_id=ALICE, seq=3).delete()
        assert storage.events_after(ALICE, 1).reset


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12", 12),
        (" 7 ", 7),
        ("0", 0),
        (None, None),
        ("", None),
        ("abc", None),
        ("-1", None),
        ("user-1:5", None),
        ("9" * 19, None),
    ],
)
def test_parse_event_id_accepts_only_our_ids(raw, expected):
    assert storage.parse_event_id(raw) == expected


@pytest.mark.django_db
def test_trimming_removes_only_events_past_retention(settings):
    settings.SPIKA_EVENT_RETENTION_HOURS = 24
    storage.events_append([(ALICE, "old"), (ALICE, "new")])
    StoredEvent.objects.filter(seq=1).update(created_at=timezone.now() - timedelta(hours=25))
    assert storage.events_trim(batch=1) == 1
    assert [e.seq for e in StoredEvent.objects.all()] == [2]
    assert storage.events_after(ALICE, 0).reset
    assert storage.events_after(ALICE, 1).events[0].data == "new"


@pytest.mark.django_db
class TestPublish:
    def test_nothing_is_stored_before_commit_and_all_of_it_after(
        self, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            publish([(ALICE, {"type": "SEEN_ROOM", "roomId": 5}), (BOB, {"type": "X", "a": "é"})])
            assert not StoredEvent.objects.exists()
        assert len(callbacks) == 1
        assert stored(ALICE) == [(1, {"type": "SEEN_ROOM", "roomId": 5})]
        assert StoredEvent.objects.get(user_id=BOB).data == '{"type":"X","a":"é"}'

    def test_a_rollback_publishes_nothing(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                publish([(ALICE, {"type": "SEEN_ROOM", "roomId": 5})])
                raise RuntimeError("the change failed")
        assert callbacks == []
        assert not StoredEvent.objects.exists()

    def test_a_payload_is_one_line_of_json_whatever_it_holds(
        self, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            publish([(ALICE, {"type": "NEW_MESSAGE", "body": {"text": "line 1\nline 2\r\n"}})])
        data = StoredEvent.objects.get().data
        assert "\n" not in data and "\r" not in data
        assert json.loads(data)["body"]["text"] == "line 1\nline 2\r\n"

    def test_one_payload_for_many_users_is_encoded_once(
        self, django_capture_on_commit_callbacks, monkeypatch
    ):
        calls = []
        monkeypatch.setattr(publish_module, "payload_encode", counting(calls))
        payload = {"type": "NEW_MESSAGE", "message": {"id": 7}}
        with django_capture_on_commit_callbacks(execute=True):
            publish((user_id, payload) for user_id in range(1, 501))
        assert len(calls) == 1
        assert StoredEvent.objects.count() == 500
        assert set(StoredEvent.objects.values_list("data", flat=True)) == {
            '{"type":"NEW_MESSAGE","message":{"id":7}}'
        }

    def test_payloads_made_one_per_user_keep_their_own_content(
        self, django_capture_on_commit_callbacks
    ):
        # Each dict is dropped by the generator before the next is made, so a cache keyed by
        # a dict's id alone would see ids reused and hand one user another's payload.
        with django_capture_on_commit_callbacks(execute=True):
            publish((user_id, {"type": "SEEN_ROOM", "roomId": user_id}) for user_id in range(1, 51))
        assert {
            row.user_id: json.loads(row.data)["roomId"] for row in StoredEvent.objects.all()
        } == {user_id: user_id for user_id in range(1, 51)}


def waiting_for_a_lock(writer: threading.Thread) -> bool:
    if connection.vendor != "postgresql":
        # SQLite has no lock table: a writer still running while the lock is held is waiting.
        writer.join(0.5)
        return writer.is_alive()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_channel_numbers_commit_in_order_under_concurrent_writers():
    """A writer that takes a number after another one waits for it to commit: no id can
    become visible below one a client has already seen."""
    first_holds_lock = threading.Event()
    release_first = threading.Event()
    seen_while_blocked = []

    def first_writer():
        with transaction.atomic():
            storage._cursor_take({ALICE: 1})
            first_holds_lock.set()
            release_first.wait(5)
        connection.close()

    def second_writer():
        seen_while_blocked.append(storage.events_append([(ALICE, "second")])[0].seq)
        connection.close()

    storage.events_append([(ALICE, "zero")])
    one = threading.Thread(target=first_writer)
    one.start()
    first_holds_lock.wait(5)
    two = threading.Thread(target=second_writer)
    two.start()
    while not waiting_for_a_lock(two):
        assert two.is_alive(), "the second writer must wait for the first one's commit"
    release_first.set()
    one.join()
    two.join()
    assert seen_while_blocked == [3]
