"""Open event streams against the real server on PostgreSQL and measure what they cost.

    .venv/bin/python bench/streams.py [--streams 100,1000,5000] [--subscribers 1,100,1000]

For ours (``/events``: the ASGI stream app and its hub) and for the naive setup
(django-eventstream's default view with its database storage, ``bench/streams_naive_settings``)
it prints, per number of open streams: server RSS per stream, server threads, database
connections the server holds (``pg_stat_activity``), and POST -> event latency (p50/p99 over
every subscriber of every event) with 1, 100 and 1,000 subscribers; then ours/naive ratios.

Safety on a shared machine: the servers connect as the role ``spika_bench`` with
``CONNECTION LIMIT 40``, so the naive setup (one connection per stream) runs out at 40 streams
instead of exhausting PostgreSQL's ``max_connections`` (100) for everyone. A figure the naive
setup cannot reach is shown as ``fail@k`` (k streams opened); its stream figures are then
those measured with the k streams it could open.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ["DATABASE_URL"] = SERVER_URL_ENV = "postgres://spika_bench@127.0.0.1:5432/spika_bench"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spika.settings")

from tests.e2e.harness import ServerProcess  # noqa: E402

DB, ROLE, ROLE_LIMIT = "spika_bench", "spika_bench", 40
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
SERVER_URL = SERVER_URL_ENV
TOKEN = "bench-token-0000000000000000000000"
CHANNEL = "bench"


def psql(sql: str, db: str = "postgres") -> str:
    command = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atqc", sql]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def prepare_database() -> int:
    """A fresh bench database, migrated, with one verified user and device; returns its id."""
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    if not psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}'"):
        psql(f"CREATE ROLE {ROLE} LOGIN")
    psql(f"ALTER ROLE {ROLE} CONNECTION LIMIT {ROLE_LIMIT}")
    psql(f"CREATE DATABASE {DB} OWNER {ROLE}")
    env = {**os.environ, "DATABASE_URL": SERVER_URL, "DJANGO_SETTINGS_MODULE": "spika.settings"}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    script = (
        f"from tests.factories import DeviceFactory;print(DeviceFactory(token={TOKEN!r}).user_id)"
    )
    out = subprocess.run(
        [*manage, "shell", "-c", script], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return int(out.stdout.decode().split()[-1])


def server_connections() -> int:
    return int(psql(f"SELECT count(*) FROM pg_stat_activity WHERE usename = '{ROLE}'"))


def proc_status(pid: int) -> tuple[int, int]:
    """(RSS in KB, threads) of a process."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["Threads"])


SENT_AT = re.compile(rb'"sentAt":\s*([0-9.eE+-]+)')


class StreamProtocol(asyncio.Protocol):
    """One SSE connection, read without a coroutine: the clock is read once per arrival.

    A reader coroutine per stream doing ``readline`` (seven per event with chunked encoding)
    made the client itself cost ~20 ms of CPU per event at 1,000 streams, on the same two cores
    as the server; this costs a few microseconds per stream and event.
    """

    def __init__(self, streams: "Streams"):
        self.streams = streams
        self.buffer = b""
        self.opened = asyncio.get_running_loop().create_future()
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if not self.opened.done():
            self.buffer += data
            # Both setups open with a frame naming it ("stream open", "stream-open"): a 200
            # whose stream then fails (the naive view out of connections) does not count.
            if b"\r\n\r\n" in self.buffer:
                head, _, rest = self.buffer.partition(b"\r\n\r\n")
                if b" 200 " not in head.split(b"\r\n", 1)[0]:
                    self.opened.set_result(False)
                elif b"open" in rest:
                    self.buffer = rest.partition(b"open")[2]
                    self.opened.set_result(True)
            return
        # Only whole lines: a frame may be split across reads (chunk headers sit between
        # frames, never inside one: each write is one chunk).
        complete, _, self.buffer = (self.buffer + data).rpartition(b"\n")
        if b"sentAt" in complete:
            self.streams.arrive(now, SENT_AT.findall(complete))

    def connection_lost(self, exc) -> None:
        if not self.opened.done():
            self.opened.set_result(False)


class Streams:
    """Many SSE streams on one asyncio loop; records each BENCH event's latency."""

    def __init__(self, port: int, path: str):
        self.port, self.path = port, path
        self.protocols = []
        self.latencies = []
        self.received = 0
        self.arrived = asyncio.Event()

    def arrive(self, now: float, sent_ats: list[bytes]) -> None:
        for sent in sent_ats:
            self.latencies.append((now - float(sent)) * 1000)
        self.received += len(sent_ats)
        self.arrived.set()

    async def open_one(self) -> bool:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_connection(
                lambda: StreamProtocol(self), "127.0.0.1", self.port
            )
        except OSError:
            return False
        request = f"GET {self.path} HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"
        protocol.transport.write(request.encode())
        try:
            opened = await asyncio.wait_for(protocol.opened, 20)
        except TimeoutError:
            opened = False
        if not opened:
            protocol.transport.close()
            return False
        self.protocols.append(protocol)
        return True

    async def open(self, n: int, batch: int = 100) -> int:
        opened = 0
        for start in range(0, n, batch):
            results = await asyncio.gather(*(self.open_one() for _ in range(min(batch, n - start))))
            opened += sum(results)
            if not all(results):
                break
        return opened

    async def close(self, keep: int = 0) -> None:
        while len(self.protocols) > keep:
            self.protocols.pop().transport.close()
        await asyncio.sleep(0.5)


async def post(port: int, path: str, body: dict) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = json.dumps(body).encode()
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
        + data
    )
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


async def latency(streams: Streams, setup: dict, subscribers: int, posts: int) -> tuple:
    """p50/p99 ms over every subscriber of ``posts`` events, sent one after another."""
    await post(setup["port"], setup["post_path"], setup["body"](time.time()))  # warm-up
    await asyncio.sleep(0.5)
    streams.received = 0
    streams.latencies = []
    for _ in range(posts):
        target = streams.received + subscribers
        status = await post(setup["port"], setup["post_path"], setup["body"](time.time()))
        assert status == 200, status
        deadline = time.monotonic() + 10
        while streams.received < target and time.monotonic() < deadline:
            streams.arrived.clear()
            try:
                await asyncio.wait_for(streams.arrived.wait(), 1)
            except TimeoutError:
                pass
        streams.received = max(streams.received, target)
        await asyncio.sleep(0.02)
    values = sorted(streams.latencies)
    if len(values) < posts * subscribers * 0.99:
        return ("lost", "lost")
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return (round(statistics.median(values), 1), round(p99, 1))


async def measure(setup: dict, counts: list[int], subscriber_counts: list[int]) -> dict:
    server = setup["server"]
    streams = Streams(server.port, setup["stream_path"])
    await streams.open(1)
    await streams.close()
    rss0, _ = proc_status(server.process.pid)
    results = {}
    for count in counts:
        opened = await streams.open(count - len(streams.protocols))
        await asyncio.sleep(1.5)
        rss, threads = proc_status(server.process.pid)
        total = len(streams.protocols)
        results[("streams", count)] = {
            "opened": total,
            "kb_per_stream": round((rss - rss0) / max(total, 1), 1),
            "threads": threads,
            "db_connections": server_connections(),
        }
        if total < count:
            break
    await streams.close()
    for subscribers in subscriber_counts:
        opened = await streams.open(subscribers)
        posts = 30 if subscribers <= 100 else 15
        if opened < subscribers:
            results[("latency", subscribers)] = f"fail@{opened}"
        else:
            results[("latency", subscribers)] = await latency(streams, setup, subscribers, posts)
        await streams.close()
    return results


def start(settings_module: str) -> ServerProcess:
    env = {"DJANGO_SETTINGS_MODULE": settings_module, "DATABASE_CONN_MAX_AGE": 0}
    server = ServerProcess(**env)
    server.env.pop("REDIS_URL", None)
    return server.start()


def fmt(value) -> str:
    return str(value) if value is not None else "-"


def table(ours: dict, naive: dict, counts, subscriber_counts) -> str:
    rows = [("metric", "ours", "naive", "ours/naive")]
    for count in counts:
        o, n = ours.get(("streams", count), {}), naive.get(("streams", count), {})
        for key, label in [
            ("kb_per_stream", "RSS KB/stream"),
            ("threads", "threads"),
            ("db_connections", "DB connections"),
        ]:
            ov, nv = o.get(key), n.get(key)
            ratio = f"{ov / nv:.2f}" if isinstance(nv, int | float) and nv else "-"
            rows.append((f"{count} streams: {label}", fmt(ov), fmt(nv), ratio))
        rows.append((f"{count} streams: opened", fmt(o.get("opened")), fmt(n.get("opened")), ""))
    for subscribers in subscriber_counts:
        o, n = ours.get(("latency", subscribers)), naive.get(("latency", subscribers))
        for index, label in [(0, "p50 ms"), (1, "p99 ms")]:
            ov = o[index] if isinstance(o, tuple) else o
            nv = n[index] if isinstance(n, tuple) else n
            ok = isinstance(ov, float) and isinstance(nv, float) and nv
            ratio = f"{ov / nv:.2f}" if ok else "-"
            rows.append((f"{subscribers} subscribers: {label}", fmt(ov), fmt(nv), ratio))
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def _ints(text: str) -> list[int]:
    """``"100,1000"`` -> [100, 1000]; an empty string measures nothing of that kind."""
    return [int(n) for n in text.split(",") if n.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", default="100,1000,5000")
    parser.add_argument("--subscribers", default="1,100,1000")
    parser.add_argument("--naive-streams", default="100")
    parser.add_argument(
        "--setups", default="ours,naive", help="which servers to measure (ours, naive)"
    )
    args = parser.parse_args()
    counts = _ints(args.streams)
    subscriber_counts = _ints(args.subscribers)
    naive_counts = _ints(args.naive_streams)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    user_id = prepare_database()
    setups = {
        "ours": {
            "settings": "bench.streams_settings",
            "stream_path": f"/events?accessToken={TOKEN}",
            "post_path": "/bench/publish",
            "body": lambda sent: {"userId": user_id, "sentAt": sent},
            "counts": counts,
        },
        "naive": {
            "settings": "bench.streams_naive_settings",
            "stream_path": f"/bench/naive-events/{CHANNEL}",
            "post_path": "/bench/naive-publish",
            "body": lambda sent: {"channel": CHANNEL, "sentAt": sent},
            "counts": naive_counts,
        },
    }
    setups = {name: setups[name] for name in args.setups.split(",")}
    results = {"ours": {}, "naive": {}}
    for name, setup in setups.items():
        server = start(setup["settings"])
        setup.update(server=server, port=server.port)
        try:
            results[name] = asyncio.run(measure(setup, setup["counts"], subscriber_counts))
        finally:
            server.stop()
        print(f"{name}: {results[name]}", file=sys.stderr)
    print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(table(results["ours"], results["naive"], counts, subscriber_counts))


if __name__ == "__main__":
    main()
