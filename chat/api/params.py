"""Path and query values read the way each Spika route reads them, without ever raising a 500.

Spika answers a bad id with the route's own 404 or 400 text, so routes take ids as strings and
decide what an unusable one means; the ``*_or_400`` helpers raise the answer shared by several
routes.
"""

import re
from datetime import UTC, datetime

from spika.errors import ApiError
from spika.schemas import MAX_DB_ID

_INTEGER = re.compile(r"-?[0-9]+")


def path_id(value: str) -> int | None:
    """A positive id the database can hold, or None (zero, negative, not a number, too large)."""
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 1 <= number <= MAX_DB_ID else None


def integer(value: str | None) -> int | None:
    """An integer in decimal, or None when ``value`` is missing or not one."""
    if value is None or not _INTEGER.fullmatch(value.strip()):
        return None
    return int(value.strip())


MAX_PAGE = 10**9


def page_number(value: str | None) -> int | None:
    """``?page=``: 1 when absent; None when it is not a positive integer of a sane size."""
    if value is None or value == "":
        return 1
    number = integer(value)
    return number if number is not None and 1 <= number <= MAX_PAGE else None


def datetime_from_millis(millis: int) -> datetime:
    """Spika's millisecond timestamps; out-of-range values clamp to the earliest/latest moment."""
    try:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return datetime.max.replace(tzinfo=UTC) if millis > 0 else datetime.min.replace(tzinfo=UTC)


def page_or_400(value: str | None) -> int:
    """``page_number`` for the routes that answer an unusable page with Spika's 400."""
    number = page_number(value)
    if number is None:
        raise ApiError(400, "page must be valid number")
    return number


def since_or_400(value: str, *, name: str) -> datetime:
    """A sync route's millisecond timestamp; anything else is Spika's ``<name> must be number``."""
    millis = integer(value)
    if millis is None:
        raise ApiError(400, f"{name} must be number")
    return datetime_from_millis(millis)


def sync_page(items, *, count: int, page: int, limit: int) -> dict:
    """A page of a sync route: ``hasNext`` while rows remain after this page."""
    return {"list": items, "limit": limit, "count": count, "has_next": count > page * limit}
