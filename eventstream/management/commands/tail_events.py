"""``manage.py tail_events``: print events as they are published, from any process."""

import json
import time

import redis
from django.conf import settings
from django.core.management.base import CommandError

from eventstream import relay
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
from eventstream.models import StoredEvent
from eventstream.selectors import StoredEventView, payload_names_room, stored_events_last_pk
from eventstream.storage import channel_position

EXAMPLES = """
Reads what is stored, so it sees the events of every process (server workers, commands, a
shell) and misses none; with REDIS_URL set it wakes on each announcement, without it it polls
every --interval seconds. Output is JSON lines ({userId, id, storedAt, data}), one per event,
ready for jq; --format text is easier on the eye. Stop it with Ctrl-C.

examples:
  manage.py tail_events --user +385910000001
  manage.py tail_events --type NEW_MESSAGE | jq -c '.data.message | {roomId, body}'
  manage.py tail_events --user 42 --since 10m --format text   # the last 10 minutes, then live
  manage.py tail_events --room 7 --count 1 --timeout 30       # wait for one event of room 7
"""

FETCH = 1000
# Rows re-read behind the newest seen when following every channel: an event whose row id is
# lower but whose transaction committed later is still found (row ids are not commit order).
LOOKBACK = 1000


class Command(EventCommand):
    help = "Print one user's events (or everyone's) as they are published."
    examples = EXAMPLES

    def add_arguments(self, parser):
        parser.add_argument(
            "--user", type=user_ref, metavar="USER", help="only this user's channel (id or +number)"
        )
        add_type_argument(parser)
        parser.add_argument("--room", type=positive_id, metavar="ROOM_ID")
        parser.add_argument(
            "--since", type=moment, metavar="WHEN", help="first print what was stored since then"
        )
        parser.add_argument("--count", type=positive_int, help="stop after this many events")
        parser.add_argument("--timeout", type=float, help="stop after this many seconds")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between reads (default 1)"
        )
        parser.add_argument("--format", choices=["json", "text"], default="json")

    def handle(self, *args, **options):
        if options["interval"] <= 0 or (options["timeout"] is not None and options["timeout"] < 0):
            raise CommandError("--interval must be above 0 and --timeout not below 0.")
        self.options = options
        self.types = set(chosen_types(options))
        self.printed = 0
        user = user_resolve(options["user"]) if options["user"] else None
        self.user_id = user.pk if user else None
        self.start(options["since"])
        deadline = None if options["timeout"] is None else time.monotonic() + options["timeout"]
        waiter = self.waiter()
        whose = f"user {self.user_id}" if user else "every user"
        how = "Redis announcements" if settings.REDIS_URL else f"polls every {options['interval']}s"
        self.note(options, f"Following the events of {whose} ({how}); Ctrl-C stops.")
        try:
            while not self.done():
                self.read()
                if self.done():
                    break
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                waiter(min(options["interval"], remaining or options["interval"]))
        except KeyboardInterrupt:
            pass

    # Where to start, what is new

    def start(self, since) -> None:
        """Positions before the first event to print (now, or ``since``)."""
        self.positions: dict[int, int] = {}
        events = StoredEvent.objects.all()
        if self.user_id is not None:
            events = events.filter(user_id=self.user_id)
        first = None
        if since is not None:
            first = events.filter(created_at__gte=since).order_by("pk").values("pk", "seq").first()
        if self.user_id is not None:
            position = channel_position(self.user_id) if first is None else first["seq"] - 1
            self.positions[self.user_id] = position
        self.start_pk = stored_events_last_pk() if first is None else first["pk"] - 1
        self.scan_from = self.start_pk

    def read(self) -> None:
        if self.user_id is not None:
            self.read_channel(self.user_id, None)
            return
        newest = self.scan_from
        while not self.done():
            rows = self.rows(StoredEvent.objects.filter(pk__gt=self.scan_from).order_by("pk"))
            for event in rows:
                if self.done():
                    return
                newest = event.pk
                if event.user_id not in self.positions:
                    if event.pk <= self.start_pk:
                        continue
                    self.positions[event.user_id] = event.seq - 1
                # Fill a gap from storage first: n+1 is only numbered once n has committed.
                self.read_channel(event.user_id, event.seq)
            if len(rows) < FETCH:
                break
            self.scan_from = newest
        self.scan_from = max(self.start_pk, newest - LOOKBACK)

    def read_channel(self, user_id: int, up_to: int | None) -> None:
        """Print the channel's events after its position, in order (up to ``up_to``)."""
        while not self.done():
            events = StoredEvent.objects.filter(user_id=user_id, seq__gt=self.positions[user_id])
            if up_to is not None:
                events = events.filter(seq__lte=up_to)
            rows = self.rows(events.order_by("seq"))
            for event in rows:
                if self.done():
                    return
                self.positions[user_id] = event.seq
                self.emit(event)
            if len(rows) < FETCH:
                return

    @staticmethod
    def rows(events) -> list[StoredEventView]:
        fields = ("pk", "user_id", "seq", "created_at", "data")
        return [StoredEventView(*row) for row in events.values_list(*fields)[:FETCH]]

    # Output

    def emit(self, event: StoredEventView) -> None:
        payload = event.payload
        if self.types and payload.get("type") not in self.types:
            return
        if self.options["room"] is not None and not payload_names_room(
            payload, self.options["room"]
        ):
            return
        self.printed += 1
        if self.options["format"] == "json":
            self.stdout.write(event.as_json_line())
        else:
            stamp = event.created_at.strftime("%H:%M:%S.%f")[:-3]
            data = json.dumps(payload, ensure_ascii=False)
            self.stdout.write(
                f"{stamp}  user {event.user_id}  #{event.seq}  {payload.get('type')}  {data}"
            )
        self.stdout.flush()

    def done(self) -> bool:
        return self.options["count"] is not None and self.printed >= self.options["count"]

    # Waiting

    def waiter(self):
        """Sleep until the next read: until a Redis announcement if possible, else a tick."""
        if not settings.REDIS_URL:
            return time.sleep
        pubsub = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).pubsub()
        state = {"subscribed": False}

        def subscribe() -> None:
            if not state["subscribed"]:
                pubsub.subscribe(relay.channel_name())
                state["subscribed"] = True

        def wait(seconds: float) -> None:
            try:
                subscribe()
                message = pubsub.get_message(ignore_subscribe_messages=True, timeout=seconds)
                while message is not None:  # drain: one read covers every announcement
                    message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0)
            except redis.RedisError:
                # Redis is down: storage is still the record; poll it until Redis is back.
                state["subscribed"] = False
                pubsub.reset()
                time.sleep(seconds)

        try:
            subscribe()  # before the first read, so that no announcement falls in between
        except redis.RedisError:
            pubsub.reset()
        return wait
