"""Where uploads live on disk (spec §6), under ``settings.SPIKA_UPLOAD_ROOT``.

* chunks: ``.temp/<clientId>/<index>-chunk``;
* assembled files: ``files/<clientId>``.

Every path is built from a client id that passed ``is_client_id``, so no request can name a
path outside the root. Files are written under a temporary name and renamed into place, so a
reader never sees half a chunk or half a file.
"""

import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

# Letters, digits, dots, dashes and underscores, starting with a letter or digit: Spika's web
# client sends a random integer, mobile clients UUIDs. No separators, no "." or "..".
CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_CHUNK_NAME = re.compile(r"([0-9]{1,9})-chunk")
_COPY_BLOCK = 1024 * 1024


def is_client_id(value: str) -> bool:
    return isinstance(value, str) and CLIENT_ID.fullmatch(value) is not None


def _safe(client_id: str) -> str:
    if not is_client_id(client_id):
        raise ValueError(f"not a client id: {client_id!r}")
    return client_id


def chunk_dir(client_id: str) -> Path:
    return Path(settings.SPIKA_UPLOAD_ROOT) / ".temp" / _safe(client_id)


def chunk_path(client_id: str, index: int) -> Path:
    return chunk_dir(client_id) / f"{int(index)}-chunk"


def stored_path(client_id: str) -> Path:
    return Path(settings.SPIKA_UPLOAD_ROOT) / "files" / _safe(client_id)


def chunk_sizes(client_id: str) -> dict[int, int]:
    """The chunks uploaded for ``client_id``, index -> size in bytes, in index order."""
    try:
        entries = list(os.scandir(chunk_dir(client_id)))
    except FileNotFoundError:
        return {}
    sizes = {}
    for entry in entries:
        match = _CHUNK_NAME.fullmatch(entry.name)
        if match and entry.is_file(follow_symlinks=False):
            sizes[int(match.group(1))] = entry.stat(follow_symlinks=False).st_size
    return dict(sorted(sizes.items()))


def has_chunk_dir(client_id: str) -> bool:
    return chunk_dir(client_id).is_dir()


@contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """A fresh path next to ``target`` (same file system, so renaming it is atomic); removed
    on the way out unless it was renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


def chunk_write(client_id: str, index: int, data: bytes) -> None:
    """Store one chunk, replacing an earlier upload of the same index."""
    target = chunk_path(client_id, index)
    with _temporary_beside(target) as temporary:
        temporary.write_bytes(data)
        os.replace(temporary, target)


@contextmanager
def assembled(client_id: str, total: int) -> Iterator[tuple[Path, str]]:
    """Chunks ``0 .. total-1`` joined in a temporary file: yields (its path, its SHA-256 in
    lowercase hex). The caller renames it into place with ``os.replace``, or it is removed."""
    with _temporary_beside(stored_path(client_id)) as temporary:
        digest = hashlib.sha256()
        with open(temporary, "wb") as out:
            for index in range(total):
                with open(chunk_path(client_id, index), "rb") as chunk:
                    while block := chunk.read(_COPY_BLOCK):
                        digest.update(block)
                        out.write(block)
        yield temporary, digest.hexdigest()


def chunks_remove(client_id: str) -> None:
    shutil.rmtree(chunk_dir(client_id), ignore_errors=True)
