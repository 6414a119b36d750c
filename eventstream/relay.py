"""Redis pub/sub between processes: every process's streams hear every process's events.

One Redis channel, ``<SPIKA_REDIS_PREFIX>:events``; one message per stored batch, published
after the events are stored: ``{"data": [payload, ...], "events": [[user_id, seq, index]]}``,
each distinct payload once (a room's message to 1,000 members is one payload, not 1,000
copies). The older form, a list of ``[user_id, seq, data]``, is still read, so processes of
two versions can share Redis during a rolling restart. Each server process runs one
listener task that hands messages to its hub. The listener never gives up: after any error it
reconnects with backoff, and after every (re)subscription the hub resyncs from storage, so an
outage costs latency, never an event.
"""

import asyncio
import json
import logging

import redis
import redis.asyncio
from django.conf import settings

from eventstream.storage import Event

logger = logging.getLogger(__name__)

_clients: dict = {}


def enabled() -> bool:
    return bool(settings.REDIS_URL)


def channel_name() -> str:
    return f"{settings.SPIKA_REDIS_PREFIX}:events"


def message_encode(events) -> str:
    index: dict[str, int] = {}
    rows = [[e.user_id, e.seq, index.setdefault(e.data, len(index))] for e in events]
    return json.dumps({"data": list(index), "events": rows}, separators=(",", ":"))


def message_decode(raw) -> list[Event]:
    message = json.loads(raw)
    if isinstance(message, list):  # the older form: [[user_id, seq, data], ...]
        return [Event(int(user_id), int(seq), str(data)) for user_id, seq, data in message]
    data = [str(item) for item in message["data"]]
    return [Event(int(user_id), int(seq), data[i]) for user_id, seq, i in message["events"]]


def _redis() -> redis.Redis:
    url = settings.REDIS_URL
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return _clients[url]


def relay_publish(events) -> bool:
    """Publish to every process; False when Redis is unreachable (the caller delivers locally)."""
    try:
        _redis().publish(channel_name(), message_encode(events))
        return True
    except redis.RedisError:
        logger.warning("Redis publish failed; streams catch up from storage", exc_info=True)
        return False


async def listen(hub) -> None:
    """Subscribe and deliver, forever; reconnect after any failure and resync the hub."""
    delay = 0.2
    while True:
        client = redis.asyncio.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, health_check_interval=15
        )
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(channel_name())
                delay = 0.2
                await hub.resync()
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        hub.deliver(message_decode(message["data"]))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("Redis listener disconnected; reconnecting in %.1fs", delay)
        finally:
            await client.aclose()
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)
