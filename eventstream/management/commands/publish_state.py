"""``manage.py publish_state``: send an object's current state to its recipients."""

import argparse
import json

from django.core.management.base import CommandError

from chat.models import Message, Room
from eventstream.management.arguments import EventCommand, positive_id, user_ref, user_resolve
from eventstream.services import (
    message_state_deliveries,
    room_state_deliveries,
    state_publish,
    user_state_deliveries,
)

EXAMPLES = """
Repairs clients after a fix made behind the events' back (SQL, QuerySet.update): the object
goes out as it is now, as its UPDATE_* event, to the users who receive that object's events:

  room     UPDATE_ROOM to every member, each with their own muted/pinned/unreadCount
  message  UPDATE_MESSAGE to every member of its room
  user     USER_UPDATE to the user and everyone who shares a room with them

examples:
  manage.py publish_state room 7
  manage.py publish_state message 1234 1235 --dry-run | jq .data.message.body
  manage.py publish_state user +385910000001
  manage.py publish_state room 7 --to 42        # only to member 42
"""


def _ids(kind: str, refs: list[str]) -> list[int]:
    try:
        return [positive_id(ref) for ref in refs]
    except argparse.ArgumentTypeError as error:
        raise CommandError(f"Bad {kind} id: {error}") from None


class Command(EventCommand):
    help = "Publish the current state of rooms, messages or users as their UPDATE_* events."
    examples = EXAMPLES

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["room", "message", "user"])
        parser.add_argument(
            "ids", nargs="+", metavar="ID", help="ids (users: an id or a +telephone number)"
        )
        parser.add_argument(
            "--to",
            action="append",
            type=user_ref,
            default=[],
            metavar="USER",
            help="only to these recipients (repeatable; others are skipped)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print the events as JSON lines ({userId, data}); send nothing",
        )

    def handle(self, *args, kind, ids, to, dry_run, **options):
        only = [user_resolve(ref).pk for ref in to] or None
        # Everything is looked up before anything is sent: a typo sends nothing.
        objects = self.objects(kind, ids)
        deliveries = []
        for obj in objects:
            deliveries += self.deliveries(kind, obj, only)
        if dry_run:
            for user_id, payload in deliveries:
                line = {"userId": user_id, "data": payload}
                self.stdout.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
            self.note(options, f"{len(deliveries)} event(s); nothing was sent (--dry-run).")
            return
        self.note_without_redis(options)
        sent = state_publish(deliveries)
        recipients = len({user_id for user_id, _ in deliveries})
        self.stdout.write(
            f"Published {sent} event(s) for {len(objects)} {kind}(s) to {recipients} user(s)."
        )

    def objects(self, kind: str, refs: list[str]) -> list:
        if kind == "user":
            return [user_resolve(user_ref_or_error(ref)) for ref in refs]
        model = Room if kind == "room" else Message
        wanted = _ids(kind, refs)
        found = model.objects.in_bulk(wanted)
        missing = [str(pk) for pk in wanted if pk not in found]
        if missing:
            raise CommandError(f"No {kind} {', '.join(missing)}.")
        return [found[pk] for pk in dict.fromkeys(wanted)]

    def deliveries(self, kind: str, obj, only) -> list[tuple[int, dict]]:
        if kind == "room":
            return room_state_deliveries(room=obj, user_ids=only)
        if kind == "message":
            return message_state_deliveries(message=obj, user_ids=only)
        return user_state_deliveries(user=obj, user_ids=only)


def user_ref_or_error(ref: str) -> str:
    try:
        return user_ref(ref)
    except argparse.ArgumentTypeError as error:
        raise CommandError(f"Bad user: {error}") from None
