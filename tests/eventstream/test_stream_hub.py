import asyncio
from datetime import timedelta
from threading import current_thread

import pytest
from django.utils import timezone

from accounts.models import Device
from accounts.services import auth_logout
from accounts.tokens import token_hash, tokens_valid
from eventstream import hub as hub_module
from eventstream import views as views_module
from eventstream.hub import Hub, Subscriber
from eventstream.relay import message_decode, message_encode
from eventstream.storage import Event
from eventstream.views import Stream
from tests.factories import DeviceFactory, UserFactory


def subscriber_at(position, pending=()):
    subscriber = Subscriber(user_id=1)
    subscriber.caught_up(position)
    for seq in pending:
        subscriber.offer(seq, f"e{seq}")
    return subscriber


class TestSubscriberTake:
    def test_it_hands_over_consecutive_events_in_order(self):
        subscriber = subscriber_at(3, [5, 4, 6])
        assert subscriber.take() == ([(4, "e4"), (5, "e5"), (6, "e6")], False)
        assert subscriber.position == 6
        assert subscriber.take() == ([], False)

    def test_it_drops_what_the_stream_already_sent(self):
        subscriber = subscriber_at(5, [4, 5, 6, 6])
        assert subscriber.take() == ([(6, "e6")], False)

    def test_a_gap_holds_back_what_follows_it_until_it_fills(self):
        subscriber = subscriber_at(1, [2, 4, 5])
        assert subscriber.take() == ([(2, "e2")], True)
        subscriber.offer(3, "e3")
        assert subscriber.take() == ([(3, "e3"), (4, "e4"), (5, "e5")], False)

    def test_nothing_is_handed_over_before_the_stream_knows_its_position(self):
        subscriber = Subscriber(user_id=1)
        subscriber.offer(1, "e1")
        assert subscriber.take() == ([], False)
        subscriber.caught_up(0)
        assert subscriber.take() == ([(1, "e1")], False)

    def test_catching_up_forgets_what_storage_covered(self):
        subscriber = subscriber_at(0, [1, 2, 3])
        subscriber.mark_behind()
        subscriber.caught_up(2)
        assert (subscriber.behind, subscriber.take()) == (False, ([(3, "e3")], False))

    def test_a_client_too_slow_to_keep_up_is_sent_back_to_storage(self, monkeypatch):
        monkeypatch.setattr(hub_module, "MAX_PENDING", 3)
        subscriber = subscriber_at(0, [1, 2, 3, 4])
        assert subscriber.behind
        assert subscriber.pending == []


class TestHub:
    def test_events_go_to_every_subscriber_of_their_user_only(self):
        async def scenario():
            hub = Hub()
            hub._start = lambda loop: None  # no background tasks in a unit test
            web, phone, other = hub.subscribe(1), hub.subscribe(1), hub.subscribe(2)
            for subscriber in (web, phone, other):
                subscriber.caught_up(0)
            hub.deliver([Event(1, 1, "a"), Event(3, 1, "nobody")])
            hub.unsubscribe(phone)
            hub.deliver([Event(1, 2, "b")])
            return web.take(), phone.take(), other.take(), hub.channels

        web, phone, other, channels = asyncio.run(scenario())
        assert web == ([(1, "a"), (2, "b")], False)
        assert phone == ([(1, "a")], False)
        assert other == ([], False)
        assert set(channels) == {1, 2}

    def test_resync_marks_behind_only_streams_their_channel_left_behind(self):
        hub = Hub()
        current, late, starting = Subscriber(1), Subscriber(2), Subscriber(3)
        current.caught_up(5)
        late.caught_up(2)
        for subscriber in (current, late, starting):
            hub.channels[subscriber.user_id] = {subscriber}
        hub.mark_behind({1: 5, 2: 4})
        assert (current.behind, late.behind, starting.behind) == (False, True, True)


class TestKeepAlive:
    def test_only_streams_silent_since_the_cutoff_are_woken_for_a_ping(self):
        hub = Hub()
        quiet, busy = Subscriber(1), Subscriber(2)
        quiet.last_sent, busy.last_sent = 100.0, 105.0
        hub.channels = {1: {quiet}, 2: {busy}}
        hub.ping_idle(silent_since=102.0)
        assert (quiet.ping_due, quiet.wake.is_set()) == (True, True)
        assert (busy.ping_due, busy.wake.is_set()) == (False, False)

    def test_writing_anything_puts_the_next_ping_off(self):
        subscriber = Subscriber(1)
        subscriber.last_sent, subscriber.ping_due = 0.0, True
        subscriber.sent()
        assert subscriber.ping_due is False
        assert subscriber.last_sent > 0.0

    def test_a_stream_woken_for_a_ping_writes_one_and_nothing_else(self):
        async def scenario():
            hub = Hub()
            hub._start = lambda loop: None  # no background tasks in a unit test
            sent = []

            async def send(message):
                sent.append(message["body"])

            stream = Stream(user_id=1, last_id="0", send=send)
            stream.subscriber = hub.subscribe(1)
            stream.subscriber.caught_up(0)
            task = asyncio.get_running_loop().create_task(stream._live())
            await asyncio.sleep(0)
            assert sent == []
            hub.ping_idle(silent_since=float("inf"))
            await asyncio.sleep(0)
            hub.deliver([Event(1, 1, '{"type":"X"}')])
            await asyncio.sleep(0)
            stream.closed = True
            stream.subscriber.wake.set()
            await task
            return sent

        sent = asyncio.run(scenario())
        assert sent == [
            b'data: {"type":"PING"}\n\n',
            b'id: 1\nevent: message\ndata: {"type":"X"}\n\n',
        ]


def test_a_redis_message_round_trips():
    events = [Event(1, 2, '{"type":"X","text":"a\\nb"}'), Event(3, 4, "{}")]
    assert message_decode(message_encode(events)) == events


def test_a_redis_message_carries_each_payload_once():
    room_message = '{"type":"NEW_MESSAGE","message":{"id":7}}'
    events = [Event(user_id, 1, room_message) for user_id in range(1, 1001)]
    events.append(Event(5, 2, "{}"))
    raw = message_encode(events)
    assert raw.count("NEW_MESSAGE") == 1
    assert message_decode(raw) == events


def test_a_redis_message_of_the_older_form_is_still_read():
    raw = '[[1,2,"{\\"type\\":\\"X\\"}"],[3,4,"{}"]]'
    assert message_decode(raw) == [Event(1, 2, '{"type":"X"}'), Event(3, 4, "{}")]


@pytest.mark.django_db(transaction=True)
def test_database_work_runs_in_the_small_shared_pool():
    async def names():
        return {await hub_module.run_db(lambda: current_thread().name) for _ in range(20)}

    assert all(name.startswith("sse-db") for name in asyncio.run(names()))


def quiet_hub():
    hub = Hub()
    hub._start = lambda loop: None  # no background tasks in a unit test
    return hub


def subscribed(hub, device):
    subscriber = Subscriber(device.user_id, device.pk, device.token_hash)
    hub.channels.setdefault(device.user_id, set()).add(subscriber)
    return subscriber


@pytest.mark.django_db(transaction=True)
class TestRecheck:
    """Open streams end once their device's token stops signing in (``Hub.recheck``)."""

    def test_only_streams_whose_token_stopped_being_valid_end(self, alice, bob):
        hub = quiet_hub()
        laptop = DeviceFactory(user=alice.user)
        cases = {
            "valid": subscribed(hub, alice.device),
            "valid elsewhere": subscribed(hub, bob.device),
            "signed out": subscribed(hub, DeviceFactory(user=alice.user)),
            "expired": subscribed(hub, DeviceFactory(user=bob.user)),
            "deleted": subscribed(hub, DeviceFactory(user=alice.user)),
            "signed in again": subscribed(hub, laptop),
            "unverified user": subscribed(hub, DeviceFactory(user=UserFactory(verified=False))),
            "deleted user": subscribed(hub, DeviceFactory(user=UserFactory(deleted=True))),
            "inactive user": subscribed(hub, DeviceFactory(user=UserFactory(is_active=False))),
        }
        unchecked = Subscriber(alice.user.pk)  # no device: not rechecked
        hub.channels[alice.user.pk].add(unchecked)
        auth_logout(device=Device.objects.get(pk=cases["signed out"].device_id))
        past = timezone.now() - timedelta(seconds=1)
        Device.objects.filter(pk=cases["expired"].device_id).update(token_expired_at=past)
        Device.objects.filter(pk=cases["deleted"].device_id).delete()
        Device.objects.filter(pk=laptop.pk).update(token_hash=token_hash("a-new-token"))

        asyncio.run(hub.recheck())

        ended = {name: subscriber.ended for name, subscriber in cases.items()}
        assert ended == {
            "valid": False,
            "valid elsewhere": False,
            "signed out": True,
            "expired": True,
            "deleted": True,
            "signed in again": True,
            "unverified user": True,
            "deleted user": True,
            "inactive user": True,
        }
        assert all(s.wake.is_set() for s in cases.values() if s.ended)
        assert unchecked.ended is False

    def test_a_token_without_an_expiry_stays_valid(self, alice):
        Device.objects.filter(pk=alice.device.pk).update(token_expired_at=None)
        assert tokens_valid([alice.device.pk]) == {alice.device.pk: alice.device.token_hash}

    def test_all_devices_are_checked_in_one_query(self, alice, django_assert_num_queries):
        devices = [DeviceFactory(user=alice.user) for _ in range(20)]
        with django_assert_num_queries(1):
            valid = tokens_valid([device.pk for device in devices])
        assert valid == {device.pk: device.token_hash for device in devices}

    def test_an_ended_stream_completes_its_response(self, alice, monkeypatch):
        hub = quiet_hub()
        monkeypatch.setattr(views_module, "hub", hub)
        device = alice.device

        async def scenario():
            sent = []
            opened = asyncio.Event()
            disconnect = asyncio.Event()

            async def send(message):
                sent.append(message)
                if message.get("body") == b": stream open\n\n":
                    opened.set()

            async def receive():
                await disconnect.wait()
                return {"type": "http.disconnect"}

            stream = Stream(device.user_id, None, send, device_id=device.pk, token_hash="old")
            task = asyncio.get_running_loop().create_task(stream.run(receive))
            await opened.wait()
            hub.end_revoked({device.pk: device.token_hash}, [device.pk])
            await task
            return sent, hub.channels

        sent, channels = asyncio.run(scenario())
        assert [message["type"] for message in sent] == [
            "http.response.start",
            "http.response.body",
            "http.response.body",
        ]
        assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
        assert channels == {}
