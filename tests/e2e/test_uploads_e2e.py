"""The web client's upload over real HTTP: 1 MiB base64 chunks, five at a time, then verify and
download (spec 2024 §6); and two verifies racing for one upload."""

import base64
import hashlib
import http.client
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from chat.models import File
from tests.e2e.harness import ServerProcess, http_json

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def upload_root(tmp_path_factory):
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def upload_server(django_db_setup, django_db_blocker, upload_root):
    with django_db_blocker.unblock():
        server = ServerProcess(SPIKA_UPLOAD_ROOT=upload_root).start()
    yield server
    server.stop()


def chunk_bodies(data, client_id):
    return [
        {
            "chunk": base64.b64encode(data[i : i + MIB]).decode(),
            "offset": i // MIB,
            "clientId": client_id,
        }
        for i in range(0, len(data), MIB)
    ]


def verify_body(data, client_id, total):
    return {
        "total": total,
        "size": len(data),
        "mimeType": "video/mp4",
        "fileName": "clip.mp4",
        "type": "video",
        "clientId": client_id,
        "fileHash": hashlib.sha256(data).hexdigest(),
        "metaData": {"duration": 3, "width": 1280, "height": 720},
    }


def download(server, file_id):
    conn = http.client.HTTPConnection(server.url.split("//", 1)[1], timeout=10)
    conn.request("GET", f"/api/upload/files/{file_id}")
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, response.getheader("Content-Disposition"), body


def post_all(server, path, bodies):
    with ThreadPoolExecutor(max_workers=5) as pool:
        return list(pool.map(lambda body: http_json(server.url, "POST", path, body), bodies))


def test_five_parallel_chunks_verify_and_download_as_the_web_client_does(
    upload_server, transactional_db
):
    data = os.urandom(5 * MIB + 123)
    bodies = chunk_bodies(data, "20240601")

    answers = post_all(upload_server, "/api/upload/files", bodies)
    status, body = http_json(
        upload_server.url, "POST", "/api/upload/files/verify", verify_body(data, "20240601", 6)
    )

    assert [status for status, _ in answers] == [200] * 6
    assert max(len(body["data"]["uploadedChunks"]) for _, body in answers) == 6
    assert status == 200, body
    assert body["data"]["file"]["metaData"] == {"duration": 3, "width": 1280, "height": 720}
    assert download(upload_server, body["data"]["file"]["id"]) == (
        200,
        'attachment; filename="clip.mp4"',
        data,
    )


def test_of_two_verifies_racing_for_one_upload_one_registers_it(upload_server, transactional_db):
    data = os.urandom(MIB // 2)
    assert post_all(upload_server, "/api/upload/files", chunk_bodies(data, "race-1"))[0][0] == 200

    answers = post_all(
        upload_server, "/api/upload/files/verify", [verify_body(data, "race-1", 1)] * 4
    )

    assert sorted(status for status, _ in answers) == [200, 409, 409, 409]
    assert {body["message"] for status, body in answers if status == 409} == {
        "File with that clientId already exists"
    }
    assert File.objects.filter(client_id="race-1").count() == 1
