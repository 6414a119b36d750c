"""The benchmark's clients on one asyncio loop: SSE streams, WebSockets, and posts.

Every event carries the time it was posted (``sentAt``); a subscriber records, per delivery,
the latency and the event's id.
"""

import asyncio
import json
import sys
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


class SseLines:
    """The body lines of a raw HTTP/1.1 stream answer, with the chunked framing removed.

    A frame can straddle two chunks (Pushpin cuts a long next-link answer at the client's
    credits): reading lines off the socket would lose that frame, or take the chunk-size line
    for part of it.
    """

    def __init__(self, reader, head: bytes):
        self.reader = reader
        self.chunked = b"transfer-encoding: chunked" in head.lower()
        self.pending = b""

    async def _more(self) -> bytes:
        if not self.chunked:
            return await self.reader.read(65536)
        size = int((await self.reader.readline()).split(b";")[0].strip() or b"0", 16)
        return (await self.reader.readexactly(size + 2))[:size] if size else b""

    async def readline(self) -> bytes:
        """The next line, newline included; b"" once the stream has ended."""
        while b"\n" not in self.pending:
            try:
                more = await self._more()
            except asyncio.IncompleteReadError:
                more = b""
            if not more:
                return b""
            self.pending += more
        line, _, self.pending = self.pending.partition(b"\n")
        return line + b"\n"

    async def until_open(self) -> None:
        while b"stream open" not in (line := await self.readline()):
            if not line:
                raise ValueError("the stream ended before it opened")


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
        lines = SseLines(reader, head)
        await asyncio.wait_for(lines.until_open(), 60)
        self.closers.append(writer.close)
        self.tasks.append(asyncio.create_task(self._read_sse(lines)))
        return True

    async def _read_sse(self, lines) -> None:
        event_id = None
        try:
            while line := await lines.readline():
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


# --- A client process for the edge run (bench/scaleout_edge.py) -------------------------------
#
#   python bench/scaleout_clients.py --port P --source 127.0.0.11 --idle-path ... --idle N \
#       --sample-path ... --sample M --concurrency C
#
# Opens M sample streams, then N idle ones (the idle path's "{}" is the stream's index, from
# --first on), ``C`` opens in flight at a time (a failed open is
# retried after 1 s, 3 times, as EventSource would). Prints one JSON line when done, then answers
# commands on stdin, one per line: "reset" (forget the latencies), "report" (the latencies of the
# sample streams and how many streams are still open), "close".


async def open_sse(host, port, source, path, timeout=120) -> tuple:
    """``(lines, writer)`` of an open stream: ``lines.readline()`` reads its body."""
    reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        writer.close()
        raise ValueError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
    lines = SseLines(reader, head)
    await asyncio.wait_for(lines.until_open(), timeout)
    return lines, writer


class EdgeClients:
    def __init__(self, args):
        self.args = args
        self.writers, self.tasks = [], []
        self.latencies: list[float] = []
        self.failures = 0
        self.errors: dict[str, int] = {}

    async def _open_one(self, path: str, sample: bool) -> bool:
        for attempt in range(4):
            if attempt:
                await asyncio.sleep(1)
            try:
                lines, writer = await open_sse("127.0.0.1", self.args.port, self.args.source, path)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
                self.failures += 1
                name = str(error) if isinstance(error, ValueError) else type(error).__name__
                self.errors[name] = self.errors.get(name, 0) + 1
                continue
            self.writers.append(writer)
            self.tasks.append(asyncio.create_task(self._read(lines, sample)))
            return True
        return False

    async def _read(self, lines, sample: bool) -> None:
        try:
            while line := await lines.readline():
                if sample and line.startswith(b"data:") and b"sentAt" in line:
                    sent_at = json.loads(line[5:])["sentAt"]
                    self.latencies.append((time.time() - sent_at) * 1000)
        except (OSError, ValueError):
            pass

    async def open_all(self, paths, count: int, sample: bool) -> int:
        """Open ``count`` streams, one per path ``paths`` yields."""
        slots = asyncio.Semaphore(self.args.concurrency)
        opened = 0

        async def one(path):
            nonlocal opened
            async with slots:
                done = await self._open_one(path, sample)
            opened += done

        await asyncio.gather(*(one(next(paths)) for _ in range(count)))
        return opened

    async def run(self) -> None:
        args = self.args
        started = time.monotonic()
        sample = await self.open_all(iter(lambda: args.sample_path, None), args.sample, True)
        paths = (args.idle_path.format(args.first + i) for i in range(args.idle))
        idle = await self.open_all(paths, args.idle, False)
        report = {
            "sample": sample,
            "idle": idle,
            "seconds": round(time.monotonic() - started, 1),
            "failed_attempts": self.failures,
            "errors": self.errors,
        }
        print(json.dumps(report), flush=True)
        loop = asyncio.get_running_loop()
        while command := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
            if command == "reset":
                self.latencies = []
                print(json.dumps({"ok": True}), flush=True)
            elif command == "report":
                alive = sum(not task.done() for task in self.tasks)
                print(json.dumps({"latencies": self.latencies, "alive": alive}), flush=True)
            else:
                break
        for writer in self.writers:
            writer.close()


def worker_main() -> None:
    import argparse
    import resource

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--source", default="127.0.0.1")
    parser.add_argument("--idle-path", required=True, help="with {} for the stream's index")
    parser.add_argument("--first", type=int, default=0, help="the first idle stream's index")
    parser.add_argument("--idle", type=int, required=True)
    parser.add_argument("--sample-path", required=True)
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(EdgeClients(args).run())


if __name__ == "__main__":
    worker_main()
