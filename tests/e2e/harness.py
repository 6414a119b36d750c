"""A real server on a free local port, and clients that talk to it over real sockets."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database the test run uses (pytest-django's test database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


class ServerProcess:
    """``daphne spika.asgi:application`` in a child process, on the test database."""

    def __init__(self, port=None, **env):
        self.port = port or free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "DJANGO_SETTINGS_MODULE": "spika.settings",
            "SPIKA_FIXED_VERIFICATION_CODE": "000000",
            "SPIKA_CODE_REQUESTS_PER_ADDRESS": "100000",
            "SPIKA_CODE_REQUESTS_PER_NUMBER": "100000",
            "PYTHONUNBUFFERED": "1",
            **{key: str(value) for key, value in env.items()},
        }
        self.process = None
        self.log_path = ROOT / f".e2e-server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=20.0) -> "ServerProcess":
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "spika.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()
        self.log_path.unlink(missing_ok=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def http_json(base_url, method, path, data=None, *, token=None, headers=None, timeout=10):
    """One HTTP request over a new connection; returns (status, parsed JSON or text)."""
    host_port = base_url.split("//", 1)[1]
    conn = http.client.HTTPConnection(host_port, timeout=timeout)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        all_headers["accesstoken"] = token
    body = json.dumps(data) if data is not None else None
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw.decode(errors="replace")


def sign_in(base_url, telephone_number, device_id, display_name=None) -> str:
    """The web client's sign-in over HTTP (fixed code 000000); returns the device token."""
    headers = {"device-type": "browser"}
    body = {"telephoneNumber": telephone_number, "deviceId": device_id}
    status, answer = http_json(base_url, "POST", "/api/messenger/auth", body, headers=headers)
    assert status == 200, answer
    verify = {"code": "000000", "deviceId": answer["data"]["browserDeviceId"]}
    status, answer = http_json(base_url, "POST", "/api/messenger/auth/verify", verify)
    assert status == 200, answer
    token = answer["data"]["device"]["token"]
    if display_name:
        status, answer = http_json(
            base_url, "PUT", "/api/messenger/me", {"displayName": display_name}, token=token
        )
        assert status == 200, answer
    return token


class SseStream:
    """A Server-Sent Events stream read from a raw socket, frame by frame."""

    def __init__(
        self, base_url, path="/events", *, token=None, query=None, headers=None, timeout=10.0
    ):
        host, port = base_url.split("//", 1)[1].split(":")
        params = dict(query or {})
        if token:
            params.setdefault("accessToken", token)
        target = path + ("?" + urlencode(params) if params else "")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buffer = b""
        self.status, self.headers = self._read_head()
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        self.body = b""

    def _read_more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("stream closed")
        self.buffer += chunk

    def _read_head(self):
        while b"\r\n\r\n" not in self.buffer:
            self._read_more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(status_line.split()[1]), headers

    def _decode_body(self) -> None:
        """Move what has arrived from the transfer encoding into ``self.body``."""
        if not self.chunked:
            self.body += self.buffer
            self.buffer = b""
            return
        while b"\r\n" in self.buffer:
            size_line, rest = self.buffer.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                raise EOFError("stream ended")
            if len(rest) < size + 2:
                return
            self.body += rest[:size]
            self.buffer = rest[size + 2 :]

    def read_body(self, timeout=5.0) -> str:
        """The whole body of a non-streaming answer (a 401, say)."""
        self.sock.settimeout(timeout)
        length = int(self.headers.get("content-length", "-1"))
        try:
            while length < 0 or len(self.buffer) < length:
                self._read_more()
        except (TimeoutError, EOFError):
            pass
        try:
            self._decode_body()
        except EOFError:  # the last chunk of a chunked answer
            pass
        return self.body.decode(errors="replace")

    def next_frame(self, timeout=10.0) -> dict:
        """The next frame as ``{"id", "event", "data", "comment"}`` (raw strings)."""
        deadline = time.monotonic() + timeout
        # What arrived with the head (or after the last frame) may already hold a frame.
        self._decode_body()
        while b"\n\n" not in self.body.replace(b"\r\n", b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no frame in time")
            self.sock.settimeout(remaining)
            self._read_more()
            self._decode_body()
        text = self.body.replace(b"\r\n", b"\n")
        raw, rest = text.split(b"\n\n", 1)
        self.body = rest
        frame = {"id": None, "event": None, "data": None, "comment": None}
        for line in raw.decode().split("\n"):
            if line.startswith(":"):
                frame["comment"] = line[1:].strip()
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data" and frame["data"] is not None:
                frame["data"] += "\n" + value
            elif field in frame:
                frame[field] = value
        return frame

    def next_event(self, timeout=10.0) -> dict:
        """The next event frame with JSON data, skipping keep-alives and comments.

        Returns ``{"id": ..., "data": <parsed JSON>}``.
        """
        deadline = time.monotonic() + timeout
        while True:
            frame = self.next_frame(timeout=max(0.01, deadline - time.monotonic()))
            if frame["data"] is None:
                continue
            try:
                data = json.loads(frame["data"])
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("type") == "PING":
                continue
            return {"id": frame["id"], "event": frame["event"], "data": data}

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RedisProcess:
    """A private ``redis-server`` on a free port, no persistence; can be stopped and restarted."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout=10.0) -> "RedisProcess":
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
