"""Reading what users' channels received, through the real path: publish -> stored events.

Tests run inside one transaction that never commits; ``Channels.commit()`` marks the end of
a pretend transaction and runs its on-commit callbacks (publication) there, as a commit would.
Every write whose events a test wants to see, including its setup, happens inside one.

Why not pytest-django's ``django_capture_on_commit_callbacks``: after a real commit, a
callback that registers another one (the room batch calling ``publish``) sees it run at once;
the capture fixture queues it behind the rest, which reorders events. It also swallows the
errors of ``robust`` callbacks, which here must fail the test.
"""

import json
from contextlib import contextmanager

from django.db import transaction

from eventstream import storage


class Channels:
    def __init__(self):
        self._read = {}

    @contextmanager
    def commit(self):
        """The block is one transaction: what it published is stored when the block ends."""
        start = len(transaction.get_connection().run_on_commit)
        yield
        self._run(start)

    def _run(self, start) -> None:
        # Read the list afresh: a savepoint rollback replaces it with a filtered copy.
        pending = transaction.get_connection().run_on_commit
        callbacks = pending[start:]
        del pending[start:]
        for _, callback, _ in callbacks:
            mark = len(pending)
            callback()
            # What a callback registers runs at once, as in autocommit after a real commit.
            self._run(mark)

    def all(self, user) -> list[dict]:
        """Every event the user's channel carried, in order."""
        events, position = [], 0
        while True:
            replay = storage.events_after(user.pk, position)
            assert not replay.reset
            events += [json.loads(event.data) for event in replay.events]
            position = replay.position
            if not replay.more:
                return events

    def new(self, user) -> list[dict]:
        """The events the user's channel carried since the last ``new`` or ``skip`` for them."""
        events = self.all(user)
        seen, self._read[user.pk] = self._read.get(user.pk, 0), len(events)
        return events[seen:]

    def skip(self, *users) -> None:
        """Forget what the channels carried so far (the setup's events)."""
        for user in users:
            self.new(user)

    def types(self, user) -> list[str]:
        return [event["type"] for event in self.new(user)]
