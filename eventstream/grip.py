"""Pushpin (GRIP) mode: the proxy holds the client connections, Django answers and publishes.

How a stream runs behind Pushpin:

1. The client's ``GET /events`` reaches Django through Pushpin, which adds ``Grip-Sig``: a JWT
   signed with the key both share (``SPIKA_GRIP_KEY``). Only a request whose signature checks
   out is treated as proxied (``grip_request_verified``). Anything else, a ``Grip-Sig`` that is
   unsigned, expired, or made with another key or Pushpin's stock ``changeme`` included, is a
   direct client and gets the ordinary stream (``eventstream.views.sse_app``).
2. Django authenticates the token as usual (401 before anything is held) and answers at once:
   the replayed events, and instructions that make Pushpin hold the connection open on the
   user's channel (``Grip-Hold: stream``, ``Grip-Channel: <channel>; prev-id=<last id sent>``),
   send the PING keep-alive, and fetch a private "next" link every
   ``SPIKA_GRIP_RECHECK_SECONDS``.
3. ``publish`` stores each event, then posts it to Pushpin (``grip_publish``) with its id and
   the previous id of its channel. Pushpin appends it to every stream held on the channel.
   When an item's ``prev-id`` is not the last id Pushpin sent on a stream (a publication was
   lost, or it arrived before the stream subscribed), Pushpin fetches the next link with
   ``Grip-Last`` and Django replays what is missing from storage; the periodic fetch does the
   same, so a stream is never behind storage for longer than the recheck interval.
4. The next link carries a signed reference to the device and its token's hash, never the
   token, and is only honoured with a valid ``Grip-Sig``. Each fetch rechecks the device: a
   token that expired or was revoked (sign-out, a new sign-in) gets an answer without
   ``Grip-Hold``, which ends the client's stream. A stream outlives its token by at most
   ``SPIKA_GRIP_RECHECK_SECONDS``.
"""

import base64
import io
import json
import logging
import urllib.error
import urllib.request
from urllib.parse import urlencode

import jwt
from django.conf import settings
from django.core import signing
from django.core.handlers.asgi import ASGIRequest

from accounts.models import Device
from accounts.tokens import TokenError, device_for_token, token_from_request, token_refusal
from eventstream import storage
from eventstream.channels import UserChannelManager, channel_for_user
from eventstream.hub import run_db
from eventstream.views import (
    CORS_HEADERS,
    PING,
    STREAM_HEADERS,
    message_frame,
    reset_frame,
    resume_id,
    sse_app,
)
from spika.errors import error_body

logger = logging.getLogger(__name__)

NEXT_PARAM = "grip-next"
NEXT_SALT = "eventstream.grip.next"
# Pushpin's example key: a signature made with it proves nothing.
STOCK_KEYS = frozenset({"changeme"})
PUBLISH_TIMEOUT_SECONDS = 2.0
# The first recheck comes soon: an event published while Pushpin was still subscribing the new
# stream is not lost (it is stored), and this fetch delivers it without waiting a full interval.
FIRST_RECHECK_SECONDS = 2
STREAM_OPEN = ": stream open\n\n"


def grip_enabled() -> bool:
    return bool(settings.SPIKA_GRIP_KEY)


def grip_channel(user_id: int) -> str:
    """Pushpin's name for the user's channel (a prefix lets deployments share one Pushpin)."""
    return settings.SPIKA_GRIP_CHANNEL_PREFIX + channel_for_user(user_id)


def grip_request_verified(request) -> bool:
    """True only for a request whose ``Grip-Sig`` is a valid, unexpired JWT made with our key.

    No key configured, the stock key, no header, an unsigned token (``alg: none``), a wrong
    key, a wrong issuer or an expired signature: False, and the request is a direct client.
    """
    key = settings.SPIKA_GRIP_KEY
    header = request.headers.get("Grip-Sig")
    if not key or key in STOCK_KEYS or not header:
        return False
    try:
        jwt.decode(
            header,
            key,
            algorithms=["HS256"],
            issuer=settings.SPIKA_GRIP_ISSUER,
            options={"require": ["exp", "iss"]},
        )
    except jwt.PyJWTError:
        return False
    return True


# --- The stream paths, behind Pushpin --------------------------------------------------------


async def grip_sse_app(scope, receive, send) -> None:
    """The stream paths: GRIP answers for requests Pushpin signed, ``sse_app`` for the rest."""
    request = ASGIRequest(scope, io.BytesIO())
    if request.method != "GET" or not grip_request_verified(request):
        return await sse_app(scope, receive, send)
    if NEXT_PARAM in request.GET:
        return await _next_answer(request, send)
    return await _first_answer(request, send)


async def _first_answer(request, send) -> None:
    try:
        device = await run_db(device_for_token, token_from_request(request, allow_query=True))
    except TokenError as error:
        return await _json_answer(send, 401, error_body(str(error)))
    channel = request.GET.get("channel")
    if channel is not None and not UserChannelManager().can_read_channel(device.user, channel):
        return await _json_answer(send, 403, error_body("Forbidden channel"))
    last_id = resume_id(request)
    if last_id is None:
        position = await run_db(storage.channel_position, device.user_id)
        return await _hold_answer(request, send, device, STREAM_OPEN, position, first=True)
    after = storage.parse_event_id(last_id)
    await _replay_answer(request, send, device, after, opening=STREAM_OPEN, first=True)


async def _next_answer(request, send) -> None:
    """Pushpin's periodic or catch-up fetch: recheck the device, replay after ``Grip-Last``."""
    device = await run_db(grip_next_device, request.GET[NEXT_PARAM])
    if device is None:
        return await _close_answer(send)
    # A link from a page cut at the limit says where the replay goes on, and wins over
    # ``Grip-Last``: Pushpin does not take the channel's prev-id from an answer without
    # ``Grip-Hold``, so the ``Grip-Last`` of the fetch that follows one is from before the page
    # it forwarded, and replaying from it would send that page again, and again.
    last = grip_next_after(request.GET[NEXT_PARAM])
    if last is None:
        last = grip_last_id(request, device.user_id)
    if last is None:
        position = await run_db(storage.channel_position, device.user_id)
        return await _hold_answer(request, send, device, "", position)
    await _replay_answer(request, send, device, storage.parse_event_id(last))


async def _replay_answer(
    request, send, device, after: int | None, *, opening="", first=False
) -> None:
    replay = await run_db(storage.events_after, device.user_id, after)
    frames = [message_frame(event.seq, event.data) for event in replay.events]
    if replay.reset:
        frames.insert(0, reset_frame(replay.position))
    body = opening + "".join(frames)
    more = replay.more
    await _hold_answer(request, send, device, body, replay.position, hold=not more, first=first)


def grip_next_state(device: Device, after: int | None = None) -> str:
    """The signed reference the next link carries: which device, with which token (hashed).

    ``after``: where a replay cut at its page limit goes on (Pushpin sends no ``Grip-Last``
    before it holds the stream, and a stale one after a cut page of a next-link fetch).
    """
    state = {"d": device.pk, "t": device.token_hash}
    if after is not None:
        state["a"] = after
    return signing.dumps(state, salt=NEXT_SALT)


def grip_next_after(state: str) -> str | None:
    try:
        after = signing.loads(state, salt=NEXT_SALT).get("a")
    except signing.BadSignature:
        return None
    return None if after is None else str(after)


def grip_next_device(state: str, *, now=None) -> Device | None:
    """The device the next link refers to, if its token is unchanged and still valid."""
    try:
        claims = signing.loads(state, salt=NEXT_SALT)
    except signing.BadSignature:
        return None
    device = Device.objects.select_related("user").filter(pk=claims.get("d")).first()
    if device is None or not device.token_hash or device.token_hash != claims.get("t"):
        return None
    return None if token_refusal(device, now=now) else device


def grip_last_id(request, user_id: int) -> str | None:
    """The last id Pushpin sent on the user's channel, from ``Grip-Last`` (next-link fetches)."""
    wanted = grip_channel(user_id)
    for part in request.headers.get("Grip-Last", "").split(","):
        channel, _, params = part.strip().partition(";")
        if channel.strip() != wanted:
            continue
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "last-id":
                return value.strip().strip('"')
    return None


def grip_hold_headers(
    request, device, position: int, *, hold: bool, first: bool = False
) -> list[tuple[str, str]]:
    """The GRIP instructions: channel and its last id, keep-alive, and the next link.

    With ``hold=False`` (a replay cut at its page limit) Pushpin fetches the next link at
    once and appends its answer: the rest of the replay.
    """
    state = grip_next_state(device, after=None if hold else position)
    next_uri = request.path + "?" + urlencode({NEXT_PARAM: state})
    headers = [("Grip-Channel", f"{grip_channel(device.user_id)}; prev-id={position}")]
    if not hold:
        return headers + [("Grip-Link", f"<{next_uri}>; rel=next")]
    ping = base64.b64encode(PING.encode()).decode()
    keepalive = settings.SPIKA_SSE_KEEPALIVE_SECONDS
    recheck = settings.SPIKA_GRIP_RECHECK_SECONDS
    if first:
        recheck = min(recheck, FIRST_RECHECK_SECONDS)
    return headers + [
        ("Grip-Hold", "stream"),
        ("Grip-Keep-Alive", f"{ping}; format=base64; timeout={keepalive}"),
        ("Grip-Link", f"<{next_uri}>; rel=next; timeout={recheck}"),
    ]


async def _hold_answer(
    request, send, device, body: str, position: int, *, hold=True, first=False
) -> None:
    instructions = grip_hold_headers(request, device, position, hold=hold, first=first)
    grip = [(name.encode(), value.encode()) for name, value in instructions]
    await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS + grip})
    await send({"type": "http.response.body", "body": body.encode()})


async def _close_answer(send) -> None:
    """No ``Grip-Hold``: Pushpin appends nothing more and ends the client's stream."""
    await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS})
    await send({"type": "http.response.body", "body": b""})


async def _json_answer(send, status: int, body: dict) -> None:
    headers = [(b"content-type", b"application/json"), *CORS_HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


# --- Publishing to Pushpin -------------------------------------------------------------------


def grip_items(events) -> list[dict]:
    """Pushpin publish items: each event on its user's channel, chained by ``prev-id``."""
    return [
        {
            "channel": grip_channel(event.user_id),
            "id": str(event.seq),
            "prev-id": str(event.seq - 1),
            "formats": {"http-stream": {"content": message_frame(event.seq, event.data)}},
        }
        for event in events
    ]


def grip_publish(events) -> None:
    """Post stored events to every Pushpin (``SPIKA_GRIP_PUBLISH_URLS``); failures are logged.

    A lost publication costs latency, not events: they are stored, and Pushpin catches up
    through the next link (at the channel's next publication, or at the next recheck).
    """
    urls = settings.SPIKA_GRIP_PUBLISH_URLS
    if not events or not urls:
        return
    body = json.dumps({"items": grip_items(events)}).encode()
    for url in urls:
        request = urllib.request.Request(
            url.rstrip("/") + "/publish/",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=PUBLISH_TIMEOUT_SECONDS) as answer:
                answer.read()
        except (urllib.error.URLError, OSError) as error:
            logger.warning("publishing %d events to %s failed: %s", len(events), url, error)
