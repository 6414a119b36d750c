"""Routes: the upload service, /api/upload/files (spec §6; also mounted at /api/uploads).

No authentication on any route, as in Spika. Answers are the envelope, except a download,
which is the file itself or, for an id with no file, a placeholder image.
"""

import io
import re

from django.http import FileResponse
from ninja import Router

from chat import placeholder
from chat.schemas.uploads import ChunkIn, ChunksOut, FileEnvelope, MetaDataIn, VerifyIn
from chat.selectors_files import file_opened, upload_chunks
from chat.services.files import chunk_save, file_verify
from chat.storage import is_client_id
from spika.errors import ApiError

router = Router(tags=["upload"])

_LEADING_INTEGER = re.compile(r"\s*([+-]?)([0-9]+)")


def _parse_int(value: str) -> int | None:
    """JavaScript's parseInt, which Spika reads the id with: "12abc" is 12, "abc" is None."""
    match = _LEADING_INTEGER.match(value)
    if match is None:
        return None
    sign, digits = match.groups()
    digits = digits.lstrip("0") or "0"
    if len(digits) > 20:
        return -1 if sign == "-" else 2**64  # beyond any id: no such file
    return int(sign + digits)


@router.post("", response=ChunksOut, by_alias=True)
def chunk_upload(request, payload: ChunkIn):
    chunks = chunk_save(client_id=payload.client_id, index=payload.offset, data=payload.chunk)
    return {"uploaded_chunks": chunks}


@router.post("/verify", response=FileEnvelope, by_alias=True)
def upload_verify(request, payload: VerifyIn):
    file = file_verify(
        **payload.model_dump(exclude={"meta_data"}),
        meta_data=(payload.meta_data or MetaDataIn()).stored(),
    )
    return {"file": file}


@router.get("/check/{file_name}", response=ChunksOut, by_alias=True)
def upload_check(request, file_name: str):
    chunks = upload_chunks(client_id=file_name) if is_client_id(file_name) else None
    if chunks is None:
        raise ApiError(404, "Not found")
    return {"uploaded_chunks": chunks}


@router.get("/{file_id}")
def file_download(request, file_id: str):
    number = _parse_int(file_id)
    if not number:
        raise ApiError(400, "Invalid id")
    found = file_opened(file_id=number)
    if found is None:
        return FileResponse(
            io.BytesIO(placeholder.no_image_png()),
            as_attachment=True,
            filename=placeholder.FILE_NAME,
            content_type="image/png",
        )
    file, handle = found
    response = FileResponse(handle, as_attachment=True, filename=file.file_name or file.client_id)
    response["Cache-Control"] = "public, max-age=86400"
    return response
