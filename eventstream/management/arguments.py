"""What the event commands share: argument types (ids, users, moments, event types), whose errors
read as sentences, and ``EventCommand``: examples under ``--help``, notes on stderr."""

import argparse
import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import User
from eventstream.selectors import EVENT_TYPES
from spika.schemas import MAX_DB_ID

AGO = re.compile(r"^(\d+)\s*([smhd])$")
AGO_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def positive_id(raw: str) -> int:
    """An id as the database holds them: 1 up to the largest BIGINT."""
    text = raw.strip()
    if not text.isdigit() or not 0 < int(text) <= MAX_DB_ID:
        raise argparse.ArgumentTypeError(f"{raw!r} is not an id (a whole number from 1)")
    return int(text)


def positive_int(raw: str) -> int:
    text = raw.strip()
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number from 1")
    return int(text)


def moment(raw: str, *, now: datetime | None = None) -> datetime:
    """A point in time: ``90m``/``1h``/``2d`` ago, epoch milliseconds, or ISO 8601 (UTC if
    no offset is given)."""
    text = raw.strip()
    ago = AGO.match(text)
    if ago:
        amount, unit = ago.groups()
        return (now or timezone.now()) - timedelta(**{AGO_UNITS[unit]: int(amount)})
    if text.isdigit() and len(text) >= 10:
        try:
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        except (OverflowError, ValueError, OSError):
            raise argparse.ArgumentTypeError(f"{raw!r} is out of range") from None
    try:
        parsed = parse_datetime(text)
        if parsed is None and (day := parse_date(text)) is not None:
            parsed = datetime(day.year, day.month, day.day)
    except ValueError:
        parsed = None
    if parsed is None:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not a time: use 30m, 2h, 1d (ago), milliseconds since the epoch, "
            "or ISO 8601 like 2024-11-28T10:00:00Z"
        )
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def event_types(raw: str) -> list[str]:
    """One event type or several, comma-separated (``NEW_MESSAGE,UPDATE_MESSAGE``)."""
    types = [part.strip().upper() for part in raw.split(",") if part.strip()]
    unknown = [name for name in types if name not in EVENT_TYPES]
    if not types or unknown:
        named = ", ".join(unknown) or repr(raw)
        raise argparse.ArgumentTypeError(
            f"unknown event type {named}; known: {', '.join(EVENT_TYPES)}"
        )
    return types


def user_ref(raw: str) -> str:
    """A user as typed: an id, or a telephone number starting with ``+``."""
    text = raw.strip()
    if text.startswith("+") and text[1:].isdigit():
        return text
    positive_id(text)
    return text


def user_resolve(ref: str) -> User:
    """The user a ``user_ref`` names, or a ``CommandError`` that says which one is missing."""
    if ref.startswith("+"):
        user = User.objects.filter(telephone_number=ref).first()
    else:
        user = User.objects.filter(pk=int(ref)).first()
    if user is None:
        raise CommandError(f"No user {ref}.")
    return user


def add_type_argument(parser, **kwargs) -> None:
    """``--type``, repeatable, each one type or several; read back with ``chosen_types``."""
    parser.add_argument(
        "--type", action="append", type=event_types, default=[], metavar="TYPE[,TYPE]", **kwargs
    )


def chosen_types(options) -> tuple[str, ...]:
    return tuple(name for group in options["type"] for name in group)


class EventCommand(BaseCommand):
    """A command whose ``examples`` follow ``--help`` as written, and whose progress and
    summaries go to stderr (``note``), so that stdout stays clean for ``jq``."""

    examples = ""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.epilog = self.examples
        return parser

    def note(self, options, text: str) -> None:
        if options["verbosity"] > 0:
            self.stderr.write(text)
            self.stderr.flush()

    def note_without_redis(self, options) -> None:
        """Without Redis, only this process's streams could hear what the command publishes."""
        if not settings.REDIS_URL:
            self.note(
                options,
                "REDIS_URL is not set: streams held by the server process get these events "
                "on their next reconnect, not live.",
            )
