"""``manage.py replay_events``: publish stored events again to the live streams."""

from django.core.management.base import CommandError

from eventstream.management.arguments import (
    EventCommand,
    add_type_argument,
    chosen_types,
    moment,
    positive_id,
    positive_int,
    user_ref,
    user_resolve,
)
from eventstream.selectors import EventQuery, stored_events, stored_events_batches
from eventstream.services import events_replay

EXAMPLES = """
Events are chosen from storage (kept SPIKA_EVENT_RETENTION_HOURS, 24 by default). Every
option narrows the choice; at least one is needed (or --all). Replayed events go through the
one publishing function: each is stored again under its channel's next id and reaches open
streams live (in every server process when REDIS_URL is set; without it, clients get them on
their next reconnect).

examples:
  # what alice's devices received in the last hour, as JSON lines (nothing is sent)
  manage.py replay_events --user +385910000001 --since 1h --dry-run | jq .data.type

  # send user 42 the last hour of their events again
  manage.py replay_events --user 42 --since 1h

  # every message event of room 7 since a given time, to its members
  manage.py replay_events --room 7 --type NEW_MESSAGE,UPDATE_MESSAGE,DELETE_MESSAGE \\
      --since 2024-11-28T10:00:00Z

  # ids 120 to 180 of user 42's channel (the SSE ids the client saw)
  manage.py replay_events --user 42 --from-id 120 --to-id 180
"""


class Command(EventCommand):
    help = "Publish stored events again to the live streams, or print them (--dry-run)."
    examples = EXAMPLES

    def add_arguments(self, parser):
        choose = parser.add_argument_group("choosing events")
        choose.add_argument(
            "--user",
            action="append",
            type=user_ref,
            default=[],
            metavar="USER",
            help="the channel of this user: an id or a +telephone number (repeatable)",
        )
        choose.add_argument(
            "--room", type=positive_id, metavar="ROOM_ID", help="events about this room"
        )
        add_type_argument(choose, help="event types, e.g. NEW_MESSAGE,UPDATE_ROOM (repeatable)")
        choose.add_argument(
            "--since", type=moment, metavar="WHEN", help="stored at or after: 1h, 30m, ms, ISO"
        )
        choose.add_argument("--until", type=moment, metavar="WHEN", help="stored at or before")
        choose.add_argument(
            "--from-id", type=positive_id, metavar="ID", help="SSE id at least (per channel)"
        )
        choose.add_argument("--to-id", type=positive_id, metavar="ID", help="SSE id at most")
        choose.add_argument("--all", action="store_true", help="every stored event, no filter")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print the chosen events as JSON lines on stdout; send nothing",
        )
        parser.add_argument(
            "--batch-size", type=positive_int, default=500, help="events per publication"
        )

    def handle(self, *args, **options):
        query = self.query_from(options)
        if options["dry_run"]:
            shown = 0
            for batch in stored_events_batches(query, batch_size=options["batch_size"]):
                for event in batch:
                    self.stdout.write(event.as_json_line())
                shown += len(batch)
            self.note(options, f"{shown} event(s) match; nothing was sent (--dry-run).")
            return
        total = stored_events(query).count()
        self.note_without_redis(options)

        def progress(sent):
            if total > options["batch_size"]:
                self.note(options, f"sent {sent} of {total}")

        sent = events_replay(query, batch_size=options["batch_size"], on_batch=progress)
        self.stdout.write(f"Replayed {sent} event(s).")

    def query_from(self, options) -> EventQuery:
        chosen = [options[name] for name in ("user", "room", "type", "since", "until")]
        chosen += [options["from_id"], options["to_id"]]
        if not options["all"] and not any(value not in (None, []) for value in chosen):
            raise CommandError(
                "Choose events with --user, --room, --type, --since/--until or "
                "--from-id/--to-id (or --all for every stored event)."
            )
        since, until = options["since"], options["until"]
        if since and until and since > until:
            raise CommandError("--since is after --until: no event can match.")
        if options["from_id"] and options["to_id"] and options["from_id"] > options["to_id"]:
            raise CommandError("--from-id is above --to-id: no event can match.")
        users = [user_resolve(ref).pk for ref in options["user"]]
        return EventQuery(
            user_ids=tuple(users),
            room_id=options["room"],
            types=chosen_types(options),
            since=since,
            until=until,
            from_id=options["from_id"],
            to_id=options["to_id"],
        )
