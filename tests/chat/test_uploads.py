"""The upload service, /api/upload/files (spec §6 as master §6): chunks, verify, download."""

import base64
import hashlib
import os
import struct
import zlib

import pytest

from chat.models import File
from chat.placeholder import no_image_png
from tests.conftest import ApiClient


class UploadClient(ApiClient):
    prefix = "/api/upload/files"


@pytest.fixture(autouse=True)
def upload_root(settings, tmp_path):
    settings.SPIKA_UPLOAD_ROOT = tmp_path / "uploads"
    return settings.SPIKA_UPLOAD_ROOT


@pytest.fixture
def upload(db):
    """No token: Spika's upload routes take none."""
    return UploadClient()


def ok(data):
    return {"status": "success", "data": data}


def error(message):
    return {"status": "error", "message": message}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_on_disk(root):
    """Every file under the upload root, relative paths (temporary ones included)."""
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def verify_body(client_id, data, **changes):
    body = {
        "total": 1,
        "size": len(data),
        "mimeType": "text/plain",
        "fileName": "notes.txt",
        "type": "file",
        "clientId": client_id,
        "fileHash": sha256(data),
    }
    return {**body, **changes}


def uploaded(upload, client_id, data, **changes):
    """One chunk and its verify; returns the verify answer's ``data.file``."""
    assert upload.post("", {"chunk": b64(data), "offset": 0, "clientId": client_id})[0] == 200
    status, body = upload.post("/verify", verify_body(client_id, data, **changes))
    assert status == 200, body
    return body["data"]["file"]


# --- the whole flow --------------------------------------------------------------------------


def test_chunks_sent_out_of_order_are_joined_in_order_and_download_as_sent(upload, upload_root):
    data = os.urandom(3 * 1000 + 17)
    parts = [data[i : i + 1000] for i in range(0, len(data), 1000)]
    answers = [
        upload.post("", {"chunk": b64(parts[i]), "offset": i, "clientId": "48151623"})
        for i in (2, 0, 3, 1)
    ]

    status, body = upload.post(
        "/verify",
        {
            "total": 4,
            "size": len(data),
            "mimeType": "image/jpeg",
            "fileName": "photo.jpg",
            "type": "image",
            "clientId": "48151623",
            "fileHash": sha256(data),
            "metaData": {"duration": 0, "width": 640, "height": 480},
        },
    )

    assert answers == [
        (200, ok({"uploadedChunks": [2]})),
        (200, ok({"uploadedChunks": [0, 2]})),
        (200, ok({"uploadedChunks": [0, 2, 3]})),
        (200, ok({"uploadedChunks": [0, 1, 2, 3]})),
    ]
    file = File.objects.get()
    assert (status, body) == (
        200,
        ok(
            {
                "file": {
                    "id": file.id,
                    "fileName": "photo.jpg",
                    "size": len(data),
                    "mimeType": "image/jpeg",
                    "type": "image",
                    "relationId": None,
                    "clientId": "48151623",
                    "path": "/uploads/files/48151623",
                    "metaData": {"duration": 0, "width": 640, "height": 480},
                    "createdAt": int(file.created_at.timestamp() * 1000),
                }
            }
        ),
    )
    assert files_on_disk(upload_root) == {"files/48151623"}

    response = upload.client.get(f"/api/upload/files/{file.id}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'attachment; filename="photo.jpg"'
    assert response["Cache-Control"] == "public, max-age=86400"


def test_the_alias_prefix_serves_the_same_routes(upload):
    upload.prefix = "/api/uploads/files"
    file = uploaded(upload, "alias-1", b"101")

    response = upload.client.get(f"/api/uploads/files/{file['id']}")

    assert b"".join(response.streaming_content) == b"101"


def test_a_chunk_is_stored_decoded_under_its_index_and_extra_keys_are_ignored(upload, upload_root):
    status, body = upload.post(
        "", {"chunk": b64(b"101"), "offset": 0, "clientId": "777", "fileName": "x", "total": 1}
    )

    assert (status, body) == (200, ok({"uploadedChunks": [0]}))
    assert (upload_root / ".temp" / "777" / "0-chunk").read_bytes() == b"101"


def test_a_chunk_sent_again_replaces_the_first(upload, upload_root):
    upload.post("", {"chunk": b64(b"first"), "offset": 0, "clientId": "777"})

    status, body = upload.post("", {"chunk": b64(b"again"), "offset": 0, "clientId": "777"})

    assert (status, body) == (200, ok({"uploadedChunks": [0]}))
    assert (upload_root / ".temp" / "777" / "0-chunk").read_bytes() == b"again"


def test_unpadded_base64_is_a_chunk_as_in_spika(upload, upload_root):
    # Spika's own test uploads the text "string" as a chunk: Node decodes it without padding.
    status, body = upload.post("", {"chunk": "string", "offset": 0, "clientId": "777"})

    assert (status, body) == (200, ok({"uploadedChunks": [0]}))
    assert (upload_root / ".temp" / "777" / "0-chunk").read_bytes() == base64.b64decode("string==")


def test_verify_removes_the_chunks_and_stores_what_it_is_told(upload, upload_root):
    file = uploaded(
        upload,
        "abc-DEF_1.2",
        b"101",
        size=1.5,
        relationId=8,
        metaData={"duration": 1, "width": 2.9, "height": 3},
    )

    assert (file["size"], file["relationId"], file["metaData"]) == (
        1.5,
        8,
        {"duration": 1, "width": 2, "height": 3},
    )
    assert files_on_disk(upload_root) == {"files/abc-DEF_1.2"}


@pytest.mark.parametrize("meta_data", [None, {}])
def test_missing_metadata_is_stored_as_zeros(upload, meta_data):
    file = uploaded(upload, "777", b"101", metaData=meta_data)

    assert file["metaData"] == {"duration": 0, "width": 0, "height": 0}


def test_a_web_client_chunk_of_two_mebibytes_fits_the_real_body_limit(upload, upload_root):
    # 1 MiB chunks, 2 MiB past 1 GiB: about 2.8 MB of JSON, under DATA_UPLOAD_MAX_MEMORY_SIZE.
    data = os.urandom(2 * 1024 * 1024)

    status, body = upload.post("", {"chunk": b64(data), "offset": 0, "clientId": "big"})

    assert (status, body) == (200, ok({"uploadedChunks": [0]}))
    assert (upload_root / ".temp" / "big" / "0-chunk").read_bytes() == data


# --- verify's errors: 409, 410, 411, and nothing written -------------------------------------


def test_a_hash_that_does_not_match_is_411_and_leaves_no_file(upload, upload_root):
    upload.post("", {"chunk": b64(b"101"), "offset": 0, "clientId": "777"})

    status, body = upload.post("/verify", verify_body("777", b"101", fileHash=sha256(b"102")))

    assert (status, body) == (411, error("Hash doesn't match"))
    assert File.objects.count() == 0
    # The chunks stay, so that the client may send a bad one again and verify again.
    assert files_on_disk(upload_root) == {".temp/777/0-chunk"}


def test_a_numeric_hash_is_read_as_text_and_fails_the_check(upload):
    upload.post("", {"chunk": b64(b"101"), "offset": 0, "clientId": "777"})

    status, body = upload.post("/verify", verify_body("777", b"101", fileHash=42))

    assert (status, body) == (411, error("Hash doesn't match"))


def test_missing_chunks_are_410_and_leave_no_file(upload, upload_root):
    for offset in (0, 2):
        upload.post("", {"chunk": b64(b"abc"), "offset": offset, "clientId": "777"})

    status, body = upload.post("/verify", verify_body("777", b"abc" * 3, total=3))

    assert (status, body) == (410, error("Not all chunks are uploaded"))
    assert File.objects.count() == 0
    assert files_on_disk(upload_root) == {".temp/777/0-chunk", ".temp/777/2-chunk"}


def test_verify_without_any_chunk_is_410(upload, upload_root):
    status, body = upload.post("/verify", verify_body("never-sent", b"101"))

    assert (status, body) == (410, error("Not all chunks are uploaded"))
    assert files_on_disk(upload_root) == set()


def test_the_client_id_of_a_registered_file_is_refused_by_both_routes(upload, upload_root):
    uploaded(upload, "777", b"101")

    assert upload.post("", {"chunk": b64(b"x"), "offset": 0, "clientId": "777"}) == (
        400,
        error("File with that clientId already exists"),
    )
    assert upload.post("/verify", verify_body("777", b"101")) == (
        409,
        error("File with that clientId already exists"),
    )
    assert File.objects.count() == 1
    assert files_on_disk(upload_root) == {"files/777"}


def test_chunks_past_the_size_limit_are_413_and_not_stored(upload, upload_root, settings):
    settings.SPIKA_UPLOAD_MAX_BYTES = 10
    upload.post("", {"chunk": b64(b"123456"), "offset": 0, "clientId": "777"})

    too_much = upload.post("", {"chunk": b64(b"12345"), "offset": 1, "clientId": "777"})
    replaced = upload.post("", {"chunk": b64(b"1234"), "offset": 0, "clientId": "777"})
    alone = upload.post("", {"chunk": b64(b"x" * 11), "offset": 0, "clientId": "888"})

    assert too_much == (413, error("File is too large"))
    assert replaced == (200, ok({"uploadedChunks": [0]}))
    assert alone == (413, error("File is too large"))
    assert files_on_disk(upload_root) == {".temp/777/0-chunk"}


def test_a_body_past_the_request_limit_is_a_413_envelope(upload, upload_root, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    status, body = upload.post("", {"chunk": b64(b"x" * 2000), "offset": 0, "clientId": "777"})

    assert (status, body) == (413, error("Request body is too large"))
    assert files_on_disk(upload_root) == set()


# --- bad input: 400 and nothing written ------------------------------------------------------

CHUNK = {"chunk": b64(b"101"), "offset": 0, "clientId": "777"}
TRAVERSALS = ["../777", "..", ".", "a/b", "a\\b", "/etc/passwd", ".hidden", "a\x00b", "x" * 129]


@pytest.mark.parametrize(
    "changes",
    [
        {"chunk": None},
        {"chunk": 42},
        {"chunk": ""},
        {"chunk": "not base64!"},
        {"chunk": "abcde"},
        {"chunk": "ab=c"},
        {"offset": None},
        {"offset": "0"},
        {"offset": -1},
        {"offset": 1.5},
        {"offset": True},
        {"offset": 10**30},
        {"clientId": None},
        {"clientId": 42},
        {"clientId": ""},
        *({"clientId": bad} for bad in TRAVERSALS),
    ],
)
def test_a_bad_chunk_is_400_and_writes_nothing(upload, upload_root, changes):
    body = {k: v for k, v in {**CHUNK, **changes}.items() if v is not None}

    status, answer = upload.post("", body)

    assert status == 400
    assert answer["status"] == "error"
    assert answer["message"].startswith("Invalid params ValidationError: body.")
    assert files_on_disk(upload_root) == set()


def test_a_validation_error_names_the_field(upload):
    assert upload.post("", {**CHUNK, "chunk": "not base64!"}) == (
        400,
        error("Invalid params ValidationError: body.chunk Value error, must be base64"),
    )
    assert upload.post("", {**CHUNK, "clientId": "../x"}) == (
        400,
        error(
            "Invalid params ValidationError: body.clientId Value error, "
            "must be 1-128 letters, digits, dots, dashes or underscores"
        ),
    )


@pytest.mark.parametrize("raw", ["{oops", "[]", '"text"', "null", ""])
def test_a_body_that_is_not_a_json_object_is_400(upload, upload_root, raw):
    status, answer = upload.post("", raw=raw)

    assert status == 400
    assert answer["status"] == "error"
    assert files_on_disk(upload_root) == set()


@pytest.mark.parametrize(
    "changes",
    [
        {"total": None},
        {"total": "string"},
        {"total": 0},
        {"total": 1.5},
        {"total": 10**6},
        {"size": None},
        {"size": "string"},
        {"size": 0},
        {"size": True},
        {"type": None},
        {"type": 42},
        {"type": ""},
        {"type": "x" * 65},
        {"clientId": None},
        {"clientId": 42},
        *({"clientId": bad} for bad in TRAVERSALS),
        {"mimeType": None},
        {"mimeType": 42},
        {"mimeType": "text/plain\r\nX-Evil: 1"},
        {"fileName": None},
        {"fileName": "../../etc/passwd"},
        {"fileName": "a\\b.txt"},
        {"fileName": ".."},
        {"fileName": 'a"\r\nSet-Cookie: x=1'},
        {"fileName": "x" * 256},
        {"fileHash": None},
        {"fileHash": ""},
        {"fileHash": True},
        {"relationId": "42"},
        {"relationId": 1.5},
        {"relationId": 2**64},
        {"metaData": "x"},
        {"metaData": {"width": "2"}},
        {"metaData": {"height": 10**20}},
    ],
)
def test_a_bad_verify_is_400_and_writes_nothing(upload, upload_root, changes):
    upload.post("", CHUNK)
    body = {k: v for k, v in {**verify_body("777", b"101"), **changes}.items() if v is not None}

    status, answer = upload.post("/verify", body)

    assert status == 400, answer
    assert answer["message"].startswith("Invalid params ValidationError: body.")
    assert File.objects.count() == 0
    assert files_on_disk(upload_root) == {".temp/777/0-chunk"}


def test_spikas_valid_variants_of_verify_pass(upload):
    # From Spika's own test: a relationId, and a fileName with spaces and unicode.
    file = uploaded(upload, "777", b"101", relationId=8, fileName="Ljeto 2024 — čokolada.txt")

    assert (file["relationId"], file["fileName"]) == (8, "Ljeto 2024 — čokolada.txt")


# --- download --------------------------------------------------------------------------------


def is_placeholder(response):
    return (
        response.status_code == 200
        and b"".join(response.streaming_content) == no_image_png()
        and response["Content-Type"] == "image/png"
        and response["Content-Disposition"] == 'attachment; filename="no-image-icon.png"'
    )


def test_an_unknown_id_downloads_the_placeholder_image(upload):
    assert is_placeholder(upload.client.get("/api/upload/files/125875288"))


@pytest.mark.parametrize("file_id", ["-5", "99999999999999999999999999", "9223372036854775808"])
def test_ids_no_file_can_have_download_the_placeholder(upload, file_id):
    assert is_placeholder(upload.client.get(f"/api/upload/files/{file_id}"))


def test_a_row_whose_bytes_are_missing_downloads_the_placeholder(upload):
    file = File.objects.create(
        client_id="ghost", file_name="a.png", path="/uploads/files/ghost", size=1
    )

    assert is_placeholder(upload.client.get(f"/api/upload/files/{file.id}"))


@pytest.mark.parametrize("client_id", [None, "../../etc/passwd"])
def test_a_row_with_an_unsafe_client_id_never_reads_outside_the_root(upload, client_id):
    # Rows can come from elsewhere (the admin, a database copy): the download checks again.
    file = File.objects.create(client_id=client_id, file_name="passwd", size=1)

    assert is_placeholder(upload.client.get(f"/api/upload/files/{file.id}"))


@pytest.mark.parametrize("file_id", ["0", "abc", "-0", "000", "0x10", "%20"])
def test_id_zero_or_not_a_number_is_400(upload, file_id):
    assert upload.get(f"/{file_id}") == (400, error("Invalid id"))


def test_the_id_is_read_as_parse_int_reads_it(upload):
    file = uploaded(upload, "777", b"101")

    response = upload.client.get(f"/api/upload/files/{file['id']}abc")

    assert b"".join(response.streaming_content) == b"101"
    assert response["Content-Type"] == "text/plain"


def test_the_placeholder_is_a_valid_png():
    png = no_image_png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data)
        chunks.append((kind, data))
        at += 12 + length
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, color, *_ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (width, height, depth, color) == (32, 32, 8, 2)
    assert len(zlib.decompress(chunks[1][1])) == height * (1 + 3 * width)


# --- check (resume) --------------------------------------------------------------------------


def test_check_lists_the_chunks_of_an_upload(upload):
    for offset in (1, 0):
        upload.post("", {**CHUNK, "offset": offset})

    assert upload.get("/check/777") == (200, ok({"uploadedChunks": [0, 1]}))


@pytest.mark.parametrize("name", ["nothing-here", "..", "..%2F..%2Fetc", "%2E%2E"])
def test_check_of_an_unknown_or_unsafe_name_is_404(upload, name):
    assert upload.get(f"/check/{name}") == (404, error("Not found"))


@pytest.mark.parametrize("path", ["/api/upload/files", "/api/uploads/files/verify"])
def test_a_known_route_with_an_unknown_method_is_a_405_envelope(upload, path):
    upload.prefix = ""

    assert upload.get(path) == (405, error("Method not allowed"))


@pytest.mark.parametrize("path", ["/api/upload/nope", "/api/uploads/files/1/more"])
def test_an_unknown_route_of_the_upload_service_is_a_404_envelope(upload, path):
    upload.prefix = ""

    assert upload.get(path) == (404, error("Not found"))


def test_the_upload_service_has_its_own_api_docs(upload):
    schema = upload.client.get("/api/upload/openapi.json").json()

    assert schema["info"]["title"] == "Spika upload API"
    assert {
        "/api/upload/files",
        "/api/upload/files/verify",
        "/api/upload/files/check/{file_name}",
        "/api/upload/files/{file_id}",
    } <= set(schema["paths"])
    assert upload.client.get("/api/upload/docs").status_code == 200
