"""deliveredCount / seenCount under real concurrency (§9.3): distinct users, never twice.

Each thread has its own database connection and its own transaction, as two server workers
would; a barrier releases them together.
"""

import threading

import pytest
from django.db import connection

from chat.models import Message, MessageRecord
from chat.services.messages import messages_mark_delivered, room_mark_seen
from tests.chat.messages_helpers import joined_earlier, message_in
from tests.factories import DeviceFactory, UserFactory, room_with

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls):
    """Run the calls in threads released at the same moment; re-raise the first error."""
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            call()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]


def counts(message):
    message.refresh_from_db()
    return message.delivered_count, message.seen_count


def test_two_devices_of_one_user_marking_seen_at_once_count_once(alice, bob):
    DeviceFactory(user=bob.user)
    room = room_with(alice.user, bob.user)
    joined_earlier(room, alice.user, bob.user)
    for _ in range(5):
        messages = [message_in(room, alice.user) for _ in range(20)]

        run_together(
            lambda: room_mark_seen(user=bob.user, room_id=room.id),
            lambda: room_mark_seen(user=bob.user, room_id=room.id),
        )

        for message in messages:
            assert counts(message) == (1, 1)
        assert MessageRecord.objects.filter(user=bob.user, message__in=messages).count() == 40


def test_many_users_at_once_count_each_user_once(alice):
    readers = [UserFactory() for _ in range(4)]
    room = room_with(alice.user, *readers)
    joined_earlier(room, alice.user, *readers)
    messages = [message_in(room, alice.user) for _ in range(30)]
    ids = [m.id for m in messages]

    calls = []
    for reader in readers:
        calls.append(lambda reader=reader: room_mark_seen(user=reader, room_id=room.id))
        # The same messages in the opposite order: locks are taken in id order, no deadlock.
        calls.append(
            lambda reader=reader: messages_mark_delivered(user=reader, message_ids=ids[::-1])
        )
    run_together(*calls)

    for message in messages:
        assert counts(message) == (4, 4)
    assert MessageRecord.objects.count() == 4 * 30 * 2


def test_counters_always_equal_the_records(alice, bob):
    room = room_with(alice.user, bob.user)
    joined_earlier(room, alice.user, bob.user)
    messages = [message_in(room, bob.user) for _ in range(10)]
    ids = [m.id for m in messages]

    run_together(
        lambda: messages_mark_delivered(user=alice.user, message_ids=ids),
        lambda: messages_mark_delivered(user=alice.user, message_ids=ids[:5]),
        lambda: room_mark_seen(user=alice.user, room_id=room.id),
        lambda: room_mark_seen(user=bob.user, room_id=room.id),
    )

    for message in Message.objects.filter(id__in=ids):
        records = MessageRecord.objects.filter(message=message)
        assert message.delivered_count == records.filter(type="delivered").count() == 2
        assert message.seen_count == records.filter(type="seen").count() == 2
