"""Signals chat sends where model signals do not fire (bulk writes, actions without a row).

``eventstream`` listens to these; ``chat`` never imports ``eventstream``.
"""

from django.dispatch import Signal

# A user marked a room as seen: ``user_id``, ``room_id``. Becomes SEEN_ROOM to that user.
room_seen = Signal()

# Rows changed with QuerySet.update() or bulk_create(), which send no post_save:
# ``message_ids`` (a list). Receivers publish UPDATE_MESSAGE / DELETE_MESSAGE for each.
messages_bulk_changed = Signal()

# Records written in bulk: ``record_ids`` (a list). Receivers publish NEW_MESSAGE_RECORD.
records_bulk_created = Signal()
