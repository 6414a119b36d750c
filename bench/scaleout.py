"""Scale-out benchmark: one process, two with Redis, Pushpin in front, and a Channels chat.

    .venv/bin/pip install -r bench/requirements.txt   # once: the Channels chat's dependencies
    .venv/bin/python bench/scaleout.py [--idle 1000] [--edge-idle 15000]

Prints one table with the versions and the machine's size. For each stack:

* idle streams (``--idle`` of them): server RSS per stream (KB), threads, database connections;
* POST -> event latency p50/p99 over every delivery, with 1, 100 and 1,000 subscribers;
* deliveries per second per core: a burst of posts to 1,000 subscribers, divided by the CPU
  seconds the server-side processes spent on it (Redis excluded: it is shared);
* a burst into one channel: 500 posts, 10 at a time, to one subscriber: events/s and whether
  every event arrived in order.

Stacks: (a) one daphne process; (b) two daphne processes sharing events through Redis,
subscribers and posts split between them; (c) Pushpin in front of one daphne process in GRIP
mode (Pushpin holds the streams; RSS and threads include Pushpin's processes); (d) the minimal
Django Channels chat of ``bench/channels_chat`` with ``channels_redis`` (WebSockets, a POST
stores a message and sends it to the room's group). Ours publish through the bench route of
``bench/streams_urls.py`` (``publish()``: an event stored in PostgreSQL, then announced); the
chat's POST stores a message in PostgreSQL, then sends it: one database write each.

Last, ``--edge-idle`` idle streams through ``--edges`` Pushpin instances in front of
``--edge-servers`` daphne processes (``bench/scaleout_edge.py``): time to open them, memory and
threads per held stream, database connections, CPU while opening and while idle, and the
latency of events to ``--edge-sample`` streams while the others are held. 50,000 of them:

    .venv/bin/python bench/scaleout.py --only - --edge-idle 50000 --edges 3

Only loopback addresses are used.
"""

import argparse
import asyncio
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB, ROLE = "spika_scaleout", "spika_bench"
CHAT_DB = "spika_scaleout_chat"
DB_URL = f"postgres://{ROLE}@127.0.0.1:5432/{DB}"
CHAT_DB_URL = f"postgres://{ROLE}@127.0.0.1:5432/{CHAT_DB}"
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spika.settings")

from bench.scaleout_clients import Subscribers, post  # noqa: E402
from tests.e2e.harness import ServerProcess  # noqa: E402
from tests.e2e.pushpin_harness import TEST_GRIP_KEY, PushpinProcess  # noqa: E402

TOKEN = "scaleout-token-000000000000000000"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SUBSCRIBER_COUNTS = (1, 100, 1000)
POSTS = {1: 30, 100: 15, 1000: 6}


def psql(sql: str, db: str = "postgres") -> str:
    command = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atqc", sql]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def fresh_database(name: str, settings_module: str, url: str) -> None:
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    if not psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}'"):
        psql(f"CREATE ROLE {ROLE} LOGIN")
    psql(f"ALTER ROLE {ROLE} CONNECTION LIMIT 80")
    psql(f"CREATE DATABASE {name} OWNER {ROLE}")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": settings_module}
    command = [sys.executable, "-m", "django", "migrate", "-v0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def prepare() -> tuple[int, int]:
    """Fresh databases with one user and device (ours) and one member (the chat)."""
    fresh_database(DB, "spika.settings", DB_URL)
    fresh_database(CHAT_DB, "bench.channels_chat.settings", CHAT_DB_URL)
    script = (
        f"from tests.factories import DeviceFactory;print(DeviceFactory(token={TOKEN!r}).user_id)"
    )
    env = {**os.environ, "DATABASE_URL": DB_URL, "DJANGO_SETTINGS_MODULE": "spika.settings"}
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    user_id = int(out.stdout.decode().split()[-1])
    psql(f"INSERT INTO channels_chat_member (token, room_id) VALUES ('{TOKEN}', 1)", CHAT_DB)
    return user_id, 1


# --- Processes ---------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def tree(pid: int) -> list[int]:
    pids = [pid]
    for child in children(pid):
        pids += tree(child)
    return pids


def usage(pids: list[int]) -> dict:
    """RSS (KB), threads and CPU seconds summed over ``pids``."""
    rss = threads = ticks = 0
    for pid in pids:
        try:
            status = dict(
                line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            )
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        rss += int(status["VmRSS"].split()[0])
        threads += int(status["Threads"])
        ticks += int(stat[11]) + int(stat[12])
    return {"rss": rss, "threads": threads, "cpu": ticks / os.sysconf("SC_CLK_TCK")}


def db_connections(datname: str) -> int:
    return int(psql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{datname}'"))


class Stack:
    """A stack under test: where subscribers connect, where posts go, whose processes count."""

    def __init__(self, name, *, kind, stream_ports, post_ports, post_path, body, database):
        self.name, self.kind = name, kind
        self.stream_ports, self.post_ports = stream_ports, post_ports
        self.post_path, self.body, self.database = post_path, body, database
        self.pids: list[int] = []
        self.stoppers = []

    def usage(self) -> dict:
        return usage([pid for root in self.pids for pid in tree(root)])

    def stop(self):
        for stop in reversed(self.stoppers):
            stop()


def server(settings_module="bench.streams_settings", **env) -> ServerProcess:
    process = ServerProcess(DJANGO_SETTINGS_MODULE=settings_module, DATABASE_CONN_MAX_AGE=0, **env)
    process.env["DATABASE_URL"] = DB_URL
    return process.start()


def stack_one(user_id) -> Stack:
    a = server(REDIS_URL="")
    return _ours("a. one process", "sse", [a], [a.port], user_id)


def stack_two(user_id) -> Stack:
    env = {"REDIS_URL": REDIS_URL, "SPIKA_REDIS_PREFIX": f"scaleout-{uuid.uuid4().hex[:6]}"}
    a, b = server(**env), server(**env)
    return _ours("b. two processes + Redis", "sse", [a, b], [a.port, b.port], user_id)


def stack_pushpin(user_id) -> Stack:
    django = ServerProcess(DJANGO_SETTINGS_MODULE="bench.streams_settings", DATABASE_CONN_MAX_AGE=0)
    pushpin = PushpinProcess([f"127.0.0.1:{django.port}"], max_connections=19000)
    django.env.update(
        DATABASE_URL=DB_URL,
        REDIS_URL="",
        SPIKA_GRIP_KEY=TEST_GRIP_KEY,
        SPIKA_GRIP_PUBLISH_URLS=pushpin.control_url,
    )
    django.start()
    pushpin.start()
    stack = _ours("c. Pushpin + one process", "sse", [django], [django.port], user_id)
    stack.stream_ports = [pushpin.config.http_port]
    stack.pids.append(pushpin.process.pid)
    stack.stoppers.append(pushpin.stop)
    return stack


def _ours(name, kind, servers, post_ports, user_id) -> Stack:
    stack = Stack(
        name,
        kind=kind,
        stream_ports=[s.port for s in servers],
        post_ports=post_ports,
        post_path="/bench/publish",
        body=lambda sent: {"userId": user_id, "sentAt": sent},
        database=DB,
    )
    stack.pids = [s.process.pid for s in servers]
    stack.stoppers = [s.stop for s in servers]
    return stack


def stack_channels(room_id) -> Stack:
    chat = ServerProcess()
    chat.env.update(
        DATABASE_URL=CHAT_DB_URL,
        REDIS_URL=REDIS_URL,
        DJANGO_SETTINGS_MODULE="bench.channels_chat.settings",
    )
    chat.process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(chat.port)]
        + ["bench.channels_chat.asgi:application"],
        cwd=ROOT,
        env=chat.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            import socket

            socket.create_connection(("127.0.0.1", chat.port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    stack = Stack(
        "d. Channels + channels_redis",
        kind="ws",
        stream_ports=[chat.port],
        post_ports=[chat.port],
        post_path=f"/rooms/{room_id}/messages",
        body=lambda sent: {"text": repr(sent)},
        database=CHAT_DB,
    )
    stack.pids = [chat.process.pid]
    stack.stoppers = [chat.stop]
    return stack


# --- Measurements ------------------------------------------------------------------------


def subscribers(stack: Stack) -> Subscribers:
    if stack.kind == "ws":
        paths = ["/ws/rooms/1/?token=" + TOKEN]
    else:
        paths = [f"/events?accessToken={TOKEN}"]
    return Subscribers(stack.kind, stack.stream_ports, paths[0])


async def idle(stack: Stack, count: int) -> dict:
    subs = subscribers(stack)
    await subs.open(1)
    await subs.close()
    await asyncio.sleep(0.5)
    before = stack.usage()
    opened = await subs.open(count)
    await asyncio.sleep(2)
    after = stack.usage()
    result = {
        "opened": opened,
        "kb_per_stream": round((after["rss"] - before["rss"]) / max(opened, 1), 1),
        "threads": after["threads"],
        "db_connections": db_connections(stack.database),
    }
    await subs.close()
    return result


async def send_posts(stack: Stack, count: int, concurrency: int) -> None:
    headers = {"accesstoken": TOKEN}
    queue = list(range(count))

    async def worker(index):
        while queue:
            queue.pop()
            port = stack.post_ports[index % len(stack.post_ports)]
            status = await post(port, stack.post_path, stack.body(time.time()), headers)
            assert status == 200, status

    await asyncio.gather(*(worker(i) for i in range(concurrency)))


async def latency(stack: Stack, count: int) -> tuple:
    subs = subscribers(stack)
    if await subs.open(count) < count:
        await subs.close()
        return ("fail", "fail")
    await send_posts(stack, 1, 1)  # warm-up
    await subs.wait_for(count, timeout=10)
    subs.reset()
    for _ in range(POSTS[count]):
        target = subs.received + count
        await send_posts(stack, 1, 1)
        await subs.wait_for(target, timeout=15)
        await asyncio.sleep(0.05)
    values = sorted(subs.latencies)
    await subs.close()
    if len(values) < POSTS[count] * count * 0.99:
        return ("lost", "lost")
    return (round(statistics.median(values), 1), round(values[int(len(values) * 0.99) - 1], 1))


async def throughput(stack: Stack, subscribers_count=1000, posts=20) -> float | str:
    subs = subscribers(stack)
    if await subs.open(subscribers_count) < subscribers_count:
        await subs.close()
        return "fail"
    await send_posts(stack, 1, 1)
    await subs.wait_for(subscribers_count, timeout=10)
    subs.reset()
    before = stack.usage()
    await send_posts(stack, posts, 4)
    await subs.wait_for(posts * subscribers_count, timeout=60)
    cpu = stack.usage()["cpu"] - before["cpu"]
    received = subs.received
    await subs.close()
    return round(received / cpu) if cpu else "-"


async def burst(stack: Stack, posts=500) -> str:
    subs = subscribers(stack)
    await subs.open(1)
    subs.reset()
    start = time.monotonic()
    await send_posts(stack, posts, 10)
    await subs.wait_for(posts, timeout=60)
    elapsed = time.monotonic() - start
    ids = subs.ids
    in_order = ids == sorted(ids) and len(set(ids)) == len(ids)
    await subs.close()
    complete = "complete" if subs.received >= posts else f"{subs.received}/{posts}"
    return f"{round(posts / elapsed)}/s, {complete}, {'in order' if in_order else 'REORDERED'}"


async def measure(stack: Stack, idle_count: int) -> dict:
    results = {"idle": await idle(stack, idle_count)}
    for count in SUBSCRIBER_COUNTS:
        results[("latency", count)] = await latency(stack, count)
    results["throughput"] = await throughput(stack)
    results["burst"] = await burst(stack)
    return results


# --- The table ---------------------------------------------------------------------------


def versions() -> str:
    from importlib.metadata import version

    import channels
    import daphne
    import django

    pushpin = subprocess.run(["pushpin", "--version"], capture_output=True, text=True).stdout
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    postgres = psql("SHOW server_version")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"machine: {os.cpu_count()} cores, {memory:.1f} GiB RAM, {platform.platform()}\n"
        f"Python {platform.python_version()}, Django {django.__version__}, daphne "
        f"{daphne.__version__}, django-eventstream {version('django-eventstream')}, "
        f"channels {channels.__version__}, PostgreSQL {postgres}, "
        f"redis {redis.split()[2].removeprefix('v=')}, {pushpin.strip()}"
    )


def fmt(value) -> str:
    return "-" if value is None else str(value)


def table(results: dict, idle_count: int, edge: dict | None) -> str:
    from bench.scaleout_edge import edge_table

    parts = (stacks_table(results, idle_count), edge_table(edge) if edge else "")
    return "\n\n".join(part for part in parts if part)


def stacks_table(results: dict, idle_count: int) -> str:
    if not results:
        return ""
    names = list(results)
    rows = [("metric", *names, "ours best / Channels")]

    def row(label, values, lower_is_better=True):
        numbers = [v for v in values[:-1] if isinstance(v, int | float)]
        theirs = values[-1]
        ratio = "-"
        if numbers and isinstance(theirs, int | float) and theirs:
            best = min(numbers) if lower_is_better else max(numbers)
            ratio = f"{best / theirs:.2f}"
        rows.append((label, *[fmt(v) for v in values], ratio))

    for key, label in [
        ("kb_per_stream", f"{idle_count} idle: RSS KB/stream"),
        ("threads", f"{idle_count} idle: threads"),
        ("db_connections", f"{idle_count} idle: DB connections"),
        ("opened", f"{idle_count} idle: opened"),
    ]:
        row(label, [results[n]["idle"].get(key) for n in names])
    for count in SUBSCRIBER_COUNTS:
        for index, label in [(0, "p50 ms"), (1, "p99 ms")]:
            values = [results[n][("latency", count)][index] for n in names]
            row(f"{count} subscribers: {label}", values)
    row("deliveries/s per CPU-second", [results[n]["throughput"] for n in names], False)
    rows.append(("burst, one channel", *[results[n]["burst"] for n in names], ""))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


USER_ID = None


def main() -> None:
    global USER_ID
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--edge-idle", type=int, default=15000, help="idle streams via Pushpin")
    parser.add_argument(
        "--edges", type=int, default=0, help="Pushpin instances (default: one per 16,000 streams)"
    )
    parser.add_argument("--edge-servers", type=int, default=2, help="daphne processes behind them")
    parser.add_argument("--edge-sample", type=int, default=100, help="streams timed for latency")
    parser.add_argument("--edge-recheck", type=int, default=60, help="SPIKA_GRIP_RECHECK_SECONDS")
    parser.add_argument("--edge-conn-max-age", type=int, default=60, help="DATABASE_CONN_MAX_AGE")
    parser.add_argument("--edge-concurrency", type=int, default=200, help="opens in flight")
    parser.add_argument("--only", default="abcd", help="stacks to run, e.g. 'ac' ('-': none)")
    args = parser.parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    USER_ID, room_id = prepare()
    builders = {
        "a": lambda: stack_one(USER_ID),
        "b": lambda: stack_two(USER_ID),
        "c": lambda: stack_pushpin(USER_ID),
        "d": lambda: stack_channels(room_id),
    }
    results = {}
    for key in args.only.replace("-", ""):
        stack = builders[key]()
        try:
            results[stack.name] = asyncio.run(measure(stack, args.idle))
        finally:
            stack.stop()
        print(f"{stack.name}: {results[stack.name]}", file=sys.stderr, flush=True)
    edge = None
    if args.edge_idle:
        from bench.scaleout_edge import EdgeOptions, edge_run

        options = EdgeOptions(
            count=args.edge_idle,
            edges=args.edges or -(-args.edge_idle // 16000),
            servers=args.edge_servers,
            sample=args.edge_sample,
            concurrency=args.edge_concurrency,
            recheck=args.edge_recheck,
            conn_max_age=args.edge_conn_max_age,
        )
        edge = edge_run(options)
        print(f"edge: {edge}", file=sys.stderr, flush=True)
    print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(versions())
    print(table(results, args.idle, edge))


if __name__ == "__main__":
    main()
