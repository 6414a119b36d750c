"""Reads of the upload service (spec §6): a registered file's bytes, and an upload's chunks."""

from typing import BinaryIO

from chat import storage
from chat.models import File
from spika.schemas import MAX_DB_ID


def file_opened(*, file_id: int) -> tuple[File, BinaryIO] | None:
    """The file with ``file_id`` and its bytes opened for reading, or None when there is no
    such row or its bytes are missing (Spika then sends a placeholder image)."""
    if not 1 <= file_id <= MAX_DB_ID:
        return None
    file = File.objects.filter(pk=file_id).first()
    if file is None or not storage.is_client_id(file.client_id or ""):
        return None
    try:
        return file, open(storage.stored_path(file.client_id), "rb")
    except OSError:
        return None


def upload_chunks(*, client_id: str) -> list[int] | None:
    """The chunk indexes uploaded for ``client_id``, or None when no upload has that id."""
    if not storage.has_chunk_dir(client_id):
        return None
    return list(storage.chunk_sizes(client_id))
