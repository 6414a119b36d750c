"""Schema bases shared by every app: camelCase on the wire, timestamps in milliseconds."""

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel


def to_millis(value: datetime | None) -> int | None:
    """Spika's timestamps: integer milliseconds since the Unix epoch."""
    if value is None:
        return None
    return int(value.timestamp() * 1000)


Millis = Annotated[datetime, PlainSerializer(to_millis, return_type=int)]
OptionalMillis = Annotated[datetime | None, PlainSerializer(to_millis, return_type=int | None)]

# The largest id the database holds (bigint). A larger one is "not found", never a 500.
MAX_DB_ID = 2**63 - 1
DbId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]


class CamelSchema(Schema):
    """Input accepts camelCase (and snake_case); output is camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class StrictCamelSchema(CamelSchema):
    """Input types are not coerced: ``"1"`` is not a number and ``1`` is not a string."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, strict=True)
