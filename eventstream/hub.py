"""The process-wide hub: open streams subscribe by user; announced events are handed to them.

Streams hold no database connection and no thread. The hub lives in the server's event loop;
publishers in other threads hand it events with ``deliver_threadsafe``, the Redis listener
(``eventstream.relay``) from inside the loop with ``deliver``. A subscriber keeps the events
announced for its user until its stream takes them.

Announcements are a fast path, not the record: the database is. A subscriber is *behind*
(its stream reads storage from its last id) when

* it sees a gap in its channel's numbers that does not fill within ``GAP_GRACE`` (two
  processes announced out of order, or an announcement was lost);
* more than ``MAX_PENDING`` events wait for a slow client (memory stays bounded);
* ``resync`` finds its channel ahead of it: after the Redis listener (re)subscribes, and every
  ``SPIKA_EVENT_SWEEP_SECONDS`` as a safety net (one query per process for all its streams).

Keep-alives come from one hub task, not from a timer per stream: ``ping_idle`` runs about
once a second and wakes, with ``ping_due``, the streams silent for almost
``SPIKA_SSE_KEEPALIVE_SECONDS``. A timer per wait would be armed and cancelled by every stream
at every event (1,000 timer-heap operations per event at 1,000 streams).

A stream lives no longer than its token: every ``SPIKA_SSE_RECHECK_SECONDS`` one hub task
(``recheck``) looks up the devices of all open streams (one query per 1,000 devices, not one per
stream) and ends the streams whose device signed out, was deleted, signed in again (a new
token), expired, or whose user is gone. Pushpin's streams get the same rule from its rechecks
(``eventstream.grip``).
"""

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

from accounts.tokens import tokens_valid
from eventstream import storage

logger = logging.getLogger(__name__)

MAX_PENDING = 2000
GAP_GRACE = 0.25
RESYNC_CHUNK = 1000

_db_executor = None
_db_executor_lock = threading.Lock()


def _db_run(fn, *args, **kwargs):
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


async def run_db(fn, *args, **kwargs):
    """Run blocking ORM code in a small shared pool: streams never pin a thread or connection.

    At most ``SPIKA_SSE_DB_THREADS`` threads, hence database connections, however many
    streams are open; connections follow ``CONN_MAX_AGE`` like a request's.
    """
    global _db_executor
    with _db_executor_lock:
        if _db_executor is None:
            _db_executor = ThreadPoolExecutor(
                max_workers=settings.SPIKA_SSE_DB_THREADS, thread_name_prefix="sse-db"
            )
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_db_executor, lambda: _db_run(fn, *args, **kwargs))


class Subscriber:
    """One open stream's mailbox. ``position`` is the last id its stream has sent."""

    __slots__ = (
        "user_id",
        "device_id",
        "token_hash",
        "position",
        "pending",
        "wake",
        "behind",
        "last_sent",
        "ping_due",
        "ended",
    )

    def __init__(self, user_id: int, device_id: int | None = None, token_hash: str | None = None):
        self.user_id = user_id
        # The device and token the stream signed in with (``Hub.recheck``); None: not rechecked.
        self.device_id = device_id
        self.token_hash = token_hash
        self.position: int | None = None
        self.pending: list[tuple[int, str]] = []
        self.wake = asyncio.Event()
        self.behind = False
        self.last_sent = time.monotonic()  # when its stream last wrote (keep-alives)
        self.ping_due = False
        self.ended = False  # its token is no longer valid: its stream ends

    def end(self) -> None:
        self.ended = True
        self.wake.set()

    def sent(self) -> None:
        """Its stream wrote something: no keep-alive is due for a while."""
        self.last_sent = time.monotonic()
        self.ping_due = False

    def offer(self, seq: int, data: str) -> None:
        if len(self.pending) >= MAX_PENDING:
            self.pending.clear()
            self.behind = True
        else:
            self.pending.append((seq, data))
        self.wake.set()

    def mark_behind(self) -> None:
        self.behind = True
        self.wake.set()

    def take(self) -> tuple[list[tuple[int, str]], bool]:
        """The next events in order after ``position``, and whether a gap holds back others."""
        self.wake.clear()
        if self.position is None or not self.pending:
            return [], False
        self.pending.sort()
        ready, held = [], []
        for seq, data in self.pending:
            if seq <= self.position:
                continue
            if seq == self.position + 1 and not held:
                ready.append((seq, data))
                self.position = seq
            else:
                held.append((seq, data))
        self.pending = held
        return ready, bool(held)

    def caught_up(self, position: int) -> None:
        """The stream has read storage up to ``position``: forget what that covered."""
        self.position = position
        self.behind = False
        self.pending = [(seq, data) for seq, data in self.pending if seq > position]


class Hub:
    def __init__(self):
        self.channels: dict[int, set[Subscriber]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()

    def subscribe(
        self, user_id: int, device_id: int | None = None, token_hash: str | None = None
    ) -> Subscriber:
        self._start(asyncio.get_running_loop())
        subscriber = Subscriber(user_id, device_id, token_hash)
        self.channels.setdefault(user_id, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscribers = self.channels.get(subscriber.user_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self.channels[subscriber.user_id]

    def deliver(self, events) -> None:
        """Hand announced events to the subscribers of their channels (in the loop)."""
        for event in events:
            for subscriber in self.channels.get(event.user_id, ()):
                subscriber.offer(event.seq, event.data)

    def deliver_threadsafe(self, events) -> None:
        """``deliver`` from any thread; a process without open streams has nothing to do."""
        loop = self.loop
        if loop is None or loop.is_closed() or not events:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.deliver(events)
        else:
            loop.call_soon_threadsafe(self.deliver, events)

    def ping_idle(self, silent_since: float) -> None:
        """Wake the streams that have written nothing since ``silent_since`` to send a PING."""
        for subscribers in self.channels.values():
            for subscriber in subscribers:
                if subscriber.last_sent <= silent_since:
                    subscriber.ping_due = True
                    subscriber.wake.set()

    def mark_behind(self, positions: dict[int, int]) -> None:
        for user_id, subscribers in self.channels.items():
            last = positions.get(user_id, 0)
            for subscriber in subscribers:
                if subscriber.position is None or subscriber.position < last:
                    subscriber.mark_behind()

    async def resync(self) -> None:
        """Find the streams whose channel moved on without them (one query per 1,000)."""
        user_ids = list(self.channels)
        for start in range(0, len(user_ids), RESYNC_CHUNK):
            chunk = user_ids[start : start + RESYNC_CHUNK]
            self.mark_behind(await run_db(storage.channel_positions, chunk))

    def end_revoked(self, valid: dict[int, str], device_ids) -> None:
        """End the streams of ``device_ids`` whose token is not ``valid[device]`` any more."""
        checked = set(device_ids)
        for subscribers in self.channels.values():
            for subscriber in subscribers:
                device_id = subscriber.device_id
                if device_id in checked and valid.get(device_id) != subscriber.token_hash:
                    subscriber.end()

    async def recheck(self) -> None:
        """End the streams whose token was revoked or expired (one query per 1,000 devices)."""
        device_ids = list(
            {
                subscriber.device_id
                for subscribers in self.channels.values()
                for subscriber in subscribers
                if subscriber.device_id is not None and not subscriber.ended
            }
        )
        for start in range(0, len(device_ids), RESYNC_CHUNK):
            chunk = device_ids[start : start + RESYNC_CHUNK]
            self.end_revoked(await run_db(tokens_valid, chunk), chunk)

    def _start(self, loop) -> None:
        if self.loop is loop:
            return
        self.loop = loop
        self._spawn(self._sweep())
        self._spawn(self._keepalive())
        self._spawn(self._recheck())
        from eventstream import relay

        if relay.enabled():
            self._spawn(relay.listen(self))

    def _spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _keepalive(self) -> None:
        """Every ``tick``, PING the streams silent for ``keepalive - tick``: none is silent for
        longer than ``SPIKA_SSE_KEEPALIVE_SECONDS``, an idle one pings about that often."""
        keepalive = settings.SPIKA_SSE_KEEPALIVE_SECONDS
        tick = min(1.0, keepalive / 2)
        while True:
            await asyncio.sleep(tick)
            self.ping_idle(time.monotonic() - (keepalive - tick))

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(settings.SPIKA_EVENT_SWEEP_SECONDS)
            if self.channels:
                try:
                    await self.resync()
                except Exception:
                    logger.warning("event sweep failed; next one in a while", exc_info=True)

    async def _recheck(self) -> None:
        while True:
            await asyncio.sleep(settings.SPIKA_SSE_RECHECK_SECONDS)
            if self.channels:
                try:
                    await self.recheck()
                except Exception:
                    logger.warning(
                        "stream token recheck failed; next one in a while", exc_info=True
                    )


hub = Hub()
