"""Stored events: what every user's channel has carried, kept for resume (retention window)."""

from django.db import models
from django.utils import timezone


class ChannelCursor(models.Model):
    """The last sequence number given out on one user's channel.

    Its row is locked (``INSERT ... ON CONFLICT DO UPDATE``) by the transaction that stores an
    event for the user until that transaction commits, so a channel's sequence numbers commit
    in the order they are given out: see ``eventstream.storage``.
    """

    user_id = models.BigIntegerField(primary_key=True)
    last_seq = models.BigIntegerField(default=0)

    def __str__(self):
        return f"channel of user {self.user_id} at {self.last_seq}"


class StoredEvent(models.Model):
    """One event on one user's channel; ``seq`` is the SSE ``id:`` (1, 2, 3... per channel)."""

    user_id = models.BigIntegerField()
    seq = models.BigIntegerField()
    data = models.TextField(help_text="the payload as sent: one line of JSON")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "seq"], name="storedevent_user_seq"),
        ]

    def __str__(self):
        return f"event {self.seq} of user {self.user_id}"
