"""The benchmark's clients on one asyncio loop: SSE streams, WebSockets, and posts.

Every event carries the time it was posted (``sentAt``); a subscriber records, per delivery,
the latency and the event's id.
"""

import asyncio
import json
import time


async def post(port: int, path: str, body: dict, headers: dict | None = None) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = json.dumps(body).encode()
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
        + data
    )
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


class Subscribers:
    """Many subscribers of one channel (``kind`` "sse" or "ws"), spread over ``ports``."""

    def __init__(self, kind: str, ports: list[int], path: str):
        self.kind, self.ports, self.path = kind, ports, path
        self.closers, self.tasks = [], []
        self.reset()
        self.arrived = asyncio.Event()

    def reset(self) -> None:
        self.latencies: list[float] = []
        self.ids: list[int] = []
        self.received = 0

    def _record(self, sent_at: float, event_id) -> None:
        self.latencies.append((time.time() - sent_at) * 1000)
        self.ids.append(int(event_id))
        self.received += 1
        self.arrived.set()

    async def open(self, n: int, batch: int = 100, retries: int = 0) -> int:
        """Open ``n`` subscribers, ``batch`` at a time; a failed open is retried ``retries``
        times after a pause (as EventSource reconnects), else the opening stops there."""
        opened = 0
        for start in range(0, n, batch):
            size = min(batch, n - start)
            results = await asyncio.gather(
                *(self._open_one(self.ports[(start + i) % len(self.ports)]) for i in range(size))
            )
            missing = size - sum(results)
            for _ in range(retries):
                if not missing:
                    break
                await asyncio.sleep(1)
                again = await asyncio.gather(
                    *(self._open_one(self.ports[0]) for _ in range(missing))
                )
                missing -= sum(again)
            opened += size - missing
            if missing:
                break
        return opened

    async def _open_one(self, port: int) -> bool:
        opener = self._open_ws if self.kind == "ws" else self._open_sse
        try:
            return await opener(port)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            return False

    async def _open_sse(self, port: int) -> bool:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET {self.path} HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            writer.close()
            return False
        await asyncio.wait_for(reader.readuntil(b"stream open"), 60)
        self.closers.append(writer.close)
        self.tasks.append(asyncio.create_task(self._read_sse(reader)))
        return True

    async def _read_sse(self, reader) -> None:
        event_id = None
        try:
            while line := await reader.readline():
                if line.startswith(b"id:"):
                    event_id = line[3:].strip()
                elif line.startswith(b"data:") and b"sentAt" in line:
                    self._record(json.loads(line[5:])["sentAt"], event_id)
        except (OSError, ValueError):
            pass

    async def _open_ws(self, port: int) -> bool:
        import websockets

        socket = await websockets.connect(
            f"ws://127.0.0.1:{port}{self.path}", open_timeout=60, ping_interval=None
        )
        self.closers.append(lambda: asyncio.ensure_future(socket.close()))
        self.tasks.append(asyncio.create_task(self._read_ws(socket)))
        return True

    async def _read_ws(self, socket) -> None:
        try:
            async for raw in socket:
                message = json.loads(raw)
                self._record(float(message["text"]), message["id"])
        except Exception:  # noqa: BLE001  (a closed socket ends the reader)
            pass

    async def wait_for(self, target: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.received < target and time.monotonic() < deadline:
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), 1)
            except TimeoutError:
                pass
        return self.received >= target

    async def close(self) -> None:
        for close in self.closers:
            close()
        for task in self.tasks:
            task.cancel()
        self.closers, self.tasks = [], []
        await asyncio.sleep(0.5)
