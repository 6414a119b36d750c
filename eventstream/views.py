"""The event stream: ``GET /events`` and ``GET /api/sse``, with or without a trailing slash.

Why an ASGI application and not a Django view: Django's ``ASGIHandler`` runs every request
inside a ``ThreadSensitiveContext`` whose executor thread lives until the response ends, so a
streaming Django view pins one OS thread (plus the database connection that thread opened in
``request_started``) per open stream. ``spika.asgi`` routes the stream paths here instead; an
idle stream is then one coroutine waiting on its hub subscriber. Database work runs in the
hub's small shared pool (``run_db``): the token lookup, and a read of the channel's position
or of the events to replay. Live events come from the hub (``eventstream.hub``), not from the
database.

Frames (``events.md`` §1): ``id: <seq>`` / ``event: message`` / ``data: <one line of JSON>``;
``data: {"type":"PING"}`` every ``SPIKA_SSE_KEEPALIVE_SECONDS``; ``event: stream-reset`` when a
resume id cannot be honoured (malformed, unknown, or older than retention), carrying the
channel's current id so the client carries on from there after resynchronising over REST.

A stream ends (the response completes) within ``SPIKA_SSE_RECHECK_SECONDS`` of its token
ceasing to be valid: sign-out, a deleted device or user, expiry (``Hub.recheck``). No frame
announces it; a client that reconnects with the old token gets the 401.
"""

import asyncio
import io
import json

from django.core.handlers.asgi import ASGIRequest

from accounts.tokens import TokenError, device_for_token, token_from_request
from eventstream import storage
from eventstream.channels import UserChannelManager
from eventstream.hub import GAP_GRACE, Subscriber, hub, run_db
from spika.errors import error_body
from spika.middleware import ALLOWED_HEADERS

STREAM_PATHS = frozenset({"/events", "/events/", "/api/sse", "/api/sse/"})

CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"*"),
    (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
]
STREAM_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
    *CORS_HEADERS,
]
PING = 'data: {"type":"PING"}\n\n'


def message_frame(seq: int, data: str) -> str:
    return f"id: {seq}\nevent: message\ndata: {data}\n\n"


def reset_frame(position: int) -> str:
    data = json.dumps({"type": "STREAM_RESET", "lastEventId": str(position)})
    return f"id: {position}\nevent: stream-reset\ndata: {data}\n\n"


async def _answer(send, status: int, body: dict | None = None) -> None:
    content = json.dumps(body).encode() if body is not None else b""
    headers = [(b"content-length", str(len(content)).encode()), *CORS_HEADERS]
    if body is not None:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def resume_id(request) -> str | None:
    """The id the client last saw: ``Last-Event-ID`` (browsers) or ``lastEventId`` (query)."""
    return request.headers.get("Last-Event-ID") or request.GET.get("lastEventId") or None


async def sse_app(scope, receive, send) -> None:
    """Authenticate (401/403 before the stream opens), then stream the user's channel."""
    stream = await _authorize(scope, send)
    if stream is not None:
        await stream.run(receive)


async def _authorize(scope, send) -> "Stream | None":
    """The stream to run, or None once an error is answered (the request is not kept)."""
    request = ASGIRequest(scope, io.BytesIO())
    if request.method == "OPTIONS":
        return await _answer(send, 200)
    if request.method != "GET":
        return await _answer(send, 405, error_body("Method not allowed"))
    try:
        device = await run_db(device_for_token, token_from_request(request, allow_query=True))
    except TokenError as error:
        return await _answer(send, 401, error_body(str(error)))
    channel = request.GET.get("channel")
    if channel is not None and not UserChannelManager().can_read_channel(device.user, channel):
        return await _answer(send, 403, error_body("Forbidden channel"))
    return Stream(
        device.user_id,
        resume_id(request),
        send,
        device_id=device.pk,
        token_hash=device.token_hash,
    )


class Stream:
    """One open stream: replay (or start at the channel's position), then the hub's events."""

    def __init__(
        self,
        user_id: int,
        last_id: str | None,
        send,
        *,
        device_id: int | None = None,
        token_hash: str | None = None,
    ):
        self.user_id = user_id
        self.device_id = device_id
        self.token_hash = token_hash
        self.last_id = last_id
        self.send = send
        self.closed = False
        self.subscriber: Subscriber | None = None

    async def run(self, receive) -> None:
        # Subscribe before reading the position: what commits after the read is announced to
        # a subscriber that already exists, so nothing falls between the two (the library's
        # race at stream start).
        self.subscriber = hub.subscribe(self.user_id, self.device_id, self.token_hash)
        watcher = asyncio.get_running_loop().create_task(self._watch_disconnect(receive))
        try:
            if self.last_id is None:
                # Read before the head goes out: an event committed once the client sees the
                # stream open has a higher id than this position, and is announced to us.
                self.subscriber.behind = False
                self.subscriber.caught_up(await run_db(storage.channel_position, self.user_id))
            await self.send(
                {"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS}
            )
            await self._write(": stream open\n\n")
            if self.last_id is not None:
                await self._catch_up(storage.parse_event_id(self.last_id))
            await self._live()
            if not self.closed:  # the token is no longer valid: end the response
                await self.send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            hub.unsubscribe(self.subscriber)
            watcher.cancel()

    async def _watch_disconnect(self, receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self.closed = True
        self.subscriber.wake.set()

    async def _write(self, text: str) -> None:
        if not self.closed:
            await self.send(
                {"type": "http.response.body", "body": text.encode(), "more_body": True}
            )
            self.subscriber.sent()

    def _over(self) -> bool:
        """The client went away, or the hub ended the stream (its token is no longer valid)."""
        return self.closed or self.subscriber.ended

    async def _catch_up(self, after: int | None) -> None:
        """Send what storage holds after ``after`` (a reset if it cannot), page by page."""
        while not self._over():
            self.subscriber.behind = False
            replay = await run_db(storage.events_after, self.user_id, after)
            frames = [message_frame(e.seq, e.data) for e in replay.events]
            if replay.reset:
                frames.insert(0, reset_frame(replay.position))
            self.subscriber.caught_up(replay.position)
            if frames:
                await self._write("".join(frames))
            if not replay.more:
                return
            after = replay.position

    async def _live(self) -> None:
        subscriber = self.subscriber
        loop = asyncio.get_running_loop()
        gap_deadline = None
        while not self._over():
            if subscriber.behind:
                gap_deadline = None
                await self._catch_up(subscriber.position)
                continue
            ready, held = subscriber.take()
            if ready:
                await self._write("".join(message_frame(seq, data) for seq, data in ready))
            elif subscriber.ping_due:
                await self._write(PING)
            if not held:
                gap_deadline = None
                # No timer: the hub's keep-alive task wakes a silent stream (hub.ping_idle).
                await subscriber.wake.wait()
                continue
            # A gap: the missing event is committed (see eventstream.storage); give its
            # announcement a moment to arrive before reading it from the database.
            gap_deadline = gap_deadline or loop.time() + GAP_GRACE
            remaining = gap_deadline - loop.time()
            if remaining <= 0 or not await self._wait(remaining):
                subscriber.mark_behind()

    async def _wait(self, timeout: float) -> bool:
        """Wait for the subscriber to be woken; False on timeout."""
        try:
            async with asyncio.timeout(timeout):  # no task per wait, unlike wait_for
                await self.subscriber.wake.wait()
            return True
        except TimeoutError:
            return False
