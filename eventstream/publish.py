"""The one place that publishes events. Nothing else calls django-eventstream's send_event.

INTERFACE (stable; the implementation is being built):

    publish(deliveries)   deliveries: iterable of (user_id, payload_dict)

Called inside the transaction that made the change (or outside one). The payloads are built
eagerly by the caller; publication happens after commit (``transaction.on_commit(...,
robust=True)``), and nothing is published if the transaction rolls back. Each payload goes to
the channel of its user only.
"""

from collections.abc import Iterable


def publish(deliveries: Iterable[tuple[int, dict]]) -> None:
    raise NotImplementedError("eventstream.publish.publish is being built (issue 3)")
