"""The one place that publishes events. Nothing else sends to a user's channel.

    publish(deliveries)   deliveries: iterable of (user_id, payload_dict)

Called inside the transaction that made the change (or outside one). The payloads are encoded
now (a deleted row is gone by commit time); publication happens after commit
(``transaction.on_commit(..., robust=True)``), and nothing is published if the transaction
rolls back. Each payload goes to the channel of its user only.

After commit, in this order:

1. the events are stored (``eventstream.storage.events_append``, its own short transaction,
   which numbers them per channel in commit order);
2. they are announced: through Redis to the streams of every process when ``REDIS_URL`` is
   set, else (or when Redis is unreachable) to the streams of this process. A stream that
   misses an announcement reads the event from storage (see ``eventstream.hub``).

A failure after commit is logged (``robust=True``): the change that caused the event stands.
"""

import json
import logging
from collections.abc import Iterable
from functools import partial

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from eventstream import grip, relay, storage
from eventstream.hub import hub

logger = logging.getLogger(__name__)


def payload_encode(payload: dict) -> str:
    """One line of JSON, as it goes into a frame's ``data:`` (json escapes every newline)."""
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def publish(deliveries: Iterable[tuple[int, dict]], *, using: str | None = None) -> None:
    # A room's event is one dict handed out to every member: encode it once, not per member.
    # Keyed by identity, holding the dict: no id can be reused by another dict meanwhile.
    encoded: dict[int, tuple[dict, str]] = {}
    batch = []
    for user_id, payload in deliveries:
        known = encoded.get(id(payload))
        if known is None:
            known = encoded[id(payload)] = (payload, payload_encode(payload))
        batch.append((int(user_id), known[1]))
    if batch:
        transaction.on_commit(partial(_publish_committed, batch), using=using, robust=True)


def _publish_committed(batch: list[tuple[int, str]]) -> None:
    events = storage.events_append(batch)
    if not (relay.enabled() and relay.relay_publish(events)):
        hub.deliver_threadsafe(events)
    grip.grip_publish(events)  # to Pushpin's held streams, when SPIKA_GRIP_PUBLISH_URLS is set
    storage.events_trim_now_and_then()
