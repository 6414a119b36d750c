"""Writes of the upload service (spec §6): chunks on disk, then one assembled file and its row.

Nothing is left half-written: a chunk or file appears under its name whole or not at all, a
failed verify leaves no file and no row, and the row and the file appear together.
"""

import os

from django.conf import settings
from django.db import IntegrityError, transaction

from chat import storage
from chat.models import File
from spika.errors import ApiError

CLIENT_ID_TAKEN = "File with that clientId already exists"


def _file_exists(client_id: str) -> bool:
    return File.objects.filter(client_id=client_id).exists()


def chunk_save(*, client_id: str, index: int, data: bytes) -> list[int]:
    """Store chunk ``index`` of upload ``client_id``; answers the indexes uploaded so far."""
    if _file_exists(client_id):
        raise ApiError(400, CLIENT_ID_TAKEN)
    others = sum(size for i, size in storage.chunk_sizes(client_id).items() if i != index)
    # Parallel chunks of one upload may together pass the limit by a few chunks; verify and
    # the body size limit bound what that can cost.
    if others + len(data) > settings.SPIKA_UPLOAD_MAX_BYTES:
        raise ApiError(413, "File is too large")
    storage.chunk_write(client_id, index, data)
    return list(storage.chunk_sizes(client_id))


def file_verify(
    *,
    client_id: str,
    total: int,
    file_hash: str,
    file_name: str,
    mime_type: str,
    type: str,
    size: float,
    relation_id: int | None,
    meta_data: dict,
) -> File:
    """Join chunks ``0 .. total-1``, check their SHA-256 and register the file (409, 410, 411)."""
    if _file_exists(client_id):
        raise ApiError(409, CLIENT_ID_TAKEN)
    sizes = storage.chunk_sizes(client_id)
    if any(index not in sizes for index in range(total)):
        raise _chunks_missing(client_id)
    if sum(sizes[index] for index in range(total)) > settings.SPIKA_UPLOAD_MAX_BYTES:
        raise ApiError(413, "File is too large")
    try:
        file = _registered(
            client_id=client_id,
            total=total,
            file_hash=file_hash,
            row={
                "file_name": file_name,
                "mime_type": mime_type,
                "type": type,
                "size": size,
                "relation_id": relation_id,
                "meta_data": meta_data,
            },
        )
    except FileNotFoundError:
        raise _chunks_missing(client_id)
    storage.chunks_remove(client_id)
    return file


def _chunks_missing(client_id: str) -> ApiError:
    # Chunks also vanish when a concurrent verify of the same upload has just registered it.
    if _file_exists(client_id):
        return ApiError(409, CLIENT_ID_TAKEN)
    return ApiError(410, "Not all chunks are uploaded")


def _registered(*, client_id: str, total: int, file_hash: str, row: dict) -> File:
    """The joined chunks checked against ``file_hash``, renamed into place with their row."""
    with storage.assembled(client_id, total) as (joined, digest):
        if digest != file_hash.lower():
            raise ApiError(411, "Hash doesn't match")
        try:
            with transaction.atomic():
                file = File.objects.create(
                    client_id=client_id, path=f"/uploads/files/{client_id}", **row
                )
                # Inside the transaction: if the rename fails, the row goes too.
                os.replace(joined, storage.stored_path(client_id))
        except IntegrityError:
            # A concurrent verify of the same upload registered it first.
            raise ApiError(409, CLIENT_ID_TAKEN)
    return file
