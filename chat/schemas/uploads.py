"""Shapes of the upload service (spec §6, as master §6) and Spika's sanitized file (§3.7).

Types are strict where Spika's are (``"1"`` is not a number, ``42`` is not a string), except
``fileHash``, which Spika casts (``42`` becomes ``"42"`` and then fails the hash check: 411).
"""

import binascii
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from chat.storage import CLIENT_ID
from spika.schemas import CamelSchema, Millis, StrictCamelSchema

# At most this many chunks per file: ~100 GB in the web client's 1 MiB chunks.
MAX_CHUNKS = 100_000
BIGINT = 2**63 - 1
# Largest whole number a JavaScript client reads back exactly.
MAX_SAFE = 2**53

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _decoded(value: str) -> bytes:
    # Node's Buffer.from(chunk, "base64") takes unpadded text ("string" is a chunk in Spika's
    # own tests), so padding is optional; any character outside the alphabet is refused.
    if not _BASE64.fullmatch(value) or len(value.rstrip("=")) % 4 == 1:
        raise ValueError("must be base64")
    try:
        return binascii.a2b_base64(value.rstrip("=") + "==")
    except binascii.Error:
        raise ValueError("must be base64") from None


def _client_id(value: str) -> str:
    if not CLIENT_ID.fullmatch(value):
        raise ValueError("must be 1-128 letters, digits, dots, dashes or underscores")
    return value


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _file_name(value: str) -> str:
    # The name is only shown and sent back in Content-Disposition; never part of a path. No
    # separators anyway, so that no client ever saves it outside the folder it chose.
    if "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError("must be a file name, not a path")
    return _printable(value)


def _cast_to_string(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


ClientId = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_client_id)]
Text = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_printable)]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_SAFE, le=MAX_SAFE)]


class ChunkIn(StrictCamelSchema):
    """``chunk`` arrives as base64 and is handed on decoded (bytes). Other keys are ignored."""

    chunk: Annotated[str, Field(min_length=1)]
    offset: Annotated[int, Field(ge=0, lt=MAX_CHUNKS)]
    client_id: ClientId

    @field_validator("chunk")
    @classmethod
    def base64(cls, value: str) -> bytes:
        return _decoded(value)


class ChunksOut(CamelSchema):
    uploaded_chunks: list[int]


class MetaDataIn(StrictCamelSchema):
    duration: Number | None = None
    width: Number | None = None
    height: Number | None = None

    def stored(self) -> dict:
        """Spika stores the three as integers, 0 when unknown."""
        return {key: int(getattr(self, key) or 0) for key in ("duration", "width", "height")}


class VerifyIn(StrictCamelSchema):
    total: Annotated[int, Field(ge=1, le=MAX_CHUNKS)]
    size: Annotated[float, Field(ge=1, le=MAX_SAFE, allow_inf_nan=False)]
    mime_type: Text
    file_name: Annotated[Text, AfterValidator(_file_name)]
    type: Annotated[Text, Field(max_length=64)]
    client_id: ClientId
    file_hash: Annotated[str, Field(min_length=1, max_length=128), BeforeValidator(_cast_to_string)]
    relation_id: Annotated[int, Field(ge=-BIGINT, le=BIGINT)] | None = None
    meta_data: MetaDataIn | None = None

    @field_validator("meta_data", mode="before")
    @classmethod
    def an_object(cls, value):
        # Schemas read attributes too, so "x" would pass as an object with no keys.
        if value is not None and not isinstance(value, dict):
            raise ValueError("must be an object")
        return value


class FileOut(CamelSchema):
    id: int
    file_name: str
    size: float
    mime_type: str
    type: str
    relation_id: int | None
    client_id: str | None
    path: str
    meta_data: Any
    created_at: Millis


class FileEnvelope(CamelSchema):
    file: FileOut
