"""The edge run of bench/scaleout.py: many idle streams held by several Pushpins.

The edge tier runs horizontally, as a deployment with more streams than one process can hold
would: ``edges`` Pushpin instances, each routing to the same ``servers`` daphne processes
(edge i prefers server i mod servers, the others are its failover), and Django publishing
every event to every Pushpin (``SPIKA_GRIP_PUBLISH_URLS``). One client process per edge, each
from its own loopback address (127.0.0.11, .12, ...), so that no process, client or Pushpin,
holds more sockets than the per-process file limit.

Every idle stream is a user of its own (a signed-in device each), as in production: its own
channel, and its own recheck (Pushpin fetches one next link per distinct URL, so streams of one
device would share theirs and hide the recheck load). ``sample`` streams of one more user,
spread over the edges, measure the latency of events while the idle ones are held.
Only loopback addresses are used.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import scaleout
from tests.e2e.harness import free_port
from tests.e2e.pushpin_harness import TEST_GRIP_KEY, PushpinProcess

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_TOKEN = "scaleout-sample-00000000000000000"
PER_EDGE_MAX = 19000  # client sockets per Pushpin: under this machine's 20,000 files per process


@dataclass
class EdgeOptions:
    count: int
    edges: int = 3
    servers: int = 2
    sample: int = 100
    events: int = 20
    concurrency: int = 200
    recheck: int = 60
    conn_max_age: int = 60
    quiet_seconds: int = 20


@dataclass
class EdgeStack:
    servers: list = field(default_factory=list)  # (port, Popen)
    pushpins: list = field(default_factory=list)
    clients: list = field(default_factory=list)

    def stop(self) -> None:
        for client in self.clients:
            if client.poll() is None:
                try:
                    client.stdin.write("close\n")
                    client.stdin.flush()
                    client.wait(timeout=20)
                except (OSError, subprocess.TimeoutExpired):
                    client.kill()
                    client.wait()
        for pushpin in self.pushpins:
            pushpin.stop()
        for _, process in self.servers:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def sample_user() -> int:
    script = (
        "from tests.factories import DeviceFactory, UserFactory;"
        "UserFactory.reset_sequence(1000);DeviceFactory.reset_sequence(1000);"
        f"print(DeviceFactory(token={SAMPLE_TOKEN!r}).user_id)"
    )
    env = {
        **os.environ,
        "DATABASE_URL": scaleout.DB_URL,
        "DJANGO_SETTINGS_MODULE": "spika.settings",
    }
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return int(out.stdout.decode().split()[-1])


def idle_token(index: int) -> str:
    return f"scaleout-idle-{index:020d}"


IDLE_USERS_SCRIPT = """
from django.utils import timezone
from accounts.models import Device, User
from accounts.tokens import token_expiry, token_hash
count, batch = {count}, 5000
for start in range(0, count, batch):
    indexes = range(start, min(start + batch, count))
    users = User.objects.bulk_create(
        User(telephone_number=f"+38597{{i:08d}}", display_name=f"idle {{i}}", verified=True)
        for i in indexes
    )
    Device.objects.bulk_create(
        Device(user=user, device_id=f"idle-{{i}}", type="browser",
               token_hash=token_hash(f"scaleout-idle-{{i:020d}}"), token_expired_at=token_expiry())
        for i, user in zip(indexes, users)
    )
"""


def idle_users(count: int) -> None:
    """``count`` users with one signed-in device each: every idle stream is its own user."""
    env = {
        **os.environ,
        "DATABASE_URL": scaleout.DB_URL,
        "DJANGO_SETTINGS_MODULE": "spika.settings",
    }
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", IDLE_USERS_SCRIPT.format(count=count)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def wait_for_port(port: int, timeout=20.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def start_server(port: int, env: dict) -> subprocess.Popen:
    """daphne with a listen backlog of 1024 (its default, 50, drops bursts of connections)."""
    endpoint = f"tcp:port={port}:interface=127.0.0.1:backlog=1024"
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-e", endpoint, "spika.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return process


def start_stack(options: EdgeOptions) -> EdgeStack:
    stack = EdgeStack()
    ports = [free_port() for _ in range(options.servers)]
    for index in range(options.edges):
        order = ports[index % len(ports) :] + ports[: index % len(ports)]
        backends = [f"127.0.0.1:{port}" for port in order]
        stack.pushpins.append(PushpinProcess(backends, max_connections=PER_EDGE_MAX))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.streams_settings",
        "DATABASE_URL": scaleout.DB_URL,
        "DATABASE_CONN_MAX_AGE": str(options.conn_max_age),
        "REDIS_URL": scaleout.REDIS_URL if options.servers > 1 else "",
        "SPIKA_REDIS_PREFIX": f"scaleout-edge-{os.getpid()}",
        "SPIKA_GRIP_KEY": TEST_GRIP_KEY,
        "SPIKA_GRIP_PUBLISH_URLS": ",".join(p.control_url for p in stack.pushpins),
        "SPIKA_GRIP_RECHECK_SECONDS": str(options.recheck),
        "PYTHONUNBUFFERED": "1",
    }
    try:
        for port in ports:
            stack.servers.append((port, start_server(port, env)))
        for pushpin in stack.pushpins:
            pushpin.start()
    except Exception:
        stack.stop()
        raise
    return stack


def start_clients(stack: EdgeStack, options: EdgeOptions) -> None:
    per_edge = split(options.count, options.edges)
    samples = split(options.sample, options.edges)
    for index, pushpin in enumerate(stack.pushpins):
        command = [
            sys.executable,
            str(ROOT / "bench" / "scaleout_clients.py"),
            f"--port={pushpin.config.http_port}",
            f"--source=127.0.0.{11 + index}",
            "--idle-path=/events?accessToken=" + idle_token(0).replace("0" * 20, "{:020d}"),
            f"--first={sum(per_edge[:index])}",
            f"--idle={per_edge[index]}",
            f"--sample-path=/events?accessToken={SAMPLE_TOKEN}",
            f"--sample={samples[index]}",
            f"--concurrency={options.concurrency}",
        ]
        stack.clients.append(
            subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        )


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def ask(stack: EdgeStack, command: str) -> list[dict]:
    for client in stack.clients:
        client.stdin.write(command + "\n")
        client.stdin.flush()
    return [json.loads(client.stdout.readline()) for client in stack.clients]


# --- Where the time and memory go -----------------------------------------------------------


def postgres_cpu() -> float:
    """CPU seconds of PostgreSQL: its live processes and the backends that already exited."""
    try:
        postmaster = int(Path("/var/run/postgresql/15-main.pid").read_text().split()[0])
    except (OSError, ValueError):
        return 0.0
    stat = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    exited = (int(stat[13]) + int(stat[14])) / os.sysconf("SC_CLK_TCK")
    return scaleout.usage(scaleout.tree(postmaster))["cpu"] + exited


def database_work() -> dict:
    """Sessions opened and seconds spent executing in the benchmark's database."""
    row = scaleout.psql(
        "SELECT sessions, active_time, xact_commit FROM pg_stat_database "
        f"WHERE datname = '{scaleout.DB}'"
    )
    sessions, active, commits = row.split("|")
    return {"sessions": int(sessions), "active_s": float(active) / 1000, "xact": int(commits)}


def open_files(pids: list[int]) -> int:
    most = 0
    for pid in pids:
        try:
            most = max(most, len(os.listdir(f"/proc/{pid}/fd")))
        except OSError:
            pass
    return most


def snapshot(stack: EdgeStack) -> dict:
    pushpin = [pid for p in stack.pushpins for pid in scaleout.tree(p.process.pid)]
    django = [process.pid for _, process in stack.servers]
    clients = [client.pid for client in stack.clients]
    return {
        "pushpin": scaleout.usage(pushpin),
        "pushpin_files": open_files(pushpin),
        "django": scaleout.usage(django),
        "clients": scaleout.usage(clients),
        "postgres_cpu": postgres_cpu(),
        "database": database_work(),
        "time": time.monotonic(),
    }


def cpu_split(before: dict, after: dict) -> dict:
    seconds = after["time"] - before["time"]
    return {
        "wall_s": round(seconds, 1),
        **{
            name: round(after[name]["cpu"] - before[name]["cpu"], 1)
            for name in ("pushpin", "django", "clients")
        },
        "postgres": round(after["postgres_cpu"] - before["postgres_cpu"], 1),
        "db_sessions": after["database"]["sessions"] - before["database"]["sessions"],
        "db_queries": after["database"]["xact"] - before["database"]["xact"],
        "db_active": round(after["database"]["active_s"] - before["database"]["active_s"], 1),
    }


def held_streams(stack: EdgeStack) -> int:
    """Established client connections on the edges' public ports, from /proc/net/tcp."""
    ports = {f"{p.config.http_port:04X}" for p in stack.pushpins}
    count = 0
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "01" and fields[1].rsplit(":", 1)[1] in ports:
                count += 1
    return count


def publish_samples(stack: EdgeStack, user_id: int, events: int) -> None:
    import asyncio

    from bench.scaleout_clients import post

    async def run():
        for index in range(events):
            port = stack.servers[index % len(stack.servers)][0]
            body = {"userId": user_id, "sentAt": time.time()}
            status = await post(port, "/bench/publish", body)
            assert status == 200, status
            await asyncio.sleep(0.25)

    asyncio.run(run())


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(int(len(ordered) * fraction) - 1, 0)], 1)


def edge_run(options: EdgeOptions) -> dict:
    user_id = sample_user()
    idle_users(options.count)
    stack = start_stack(options)
    try:
        before = snapshot(stack)
        start_clients(stack, options)
        opened = None
        progress = []
        while opened is None:
            time.sleep(15)
            held = held_streams(stack)
            progress.append((round(time.monotonic() - before["time"]), held))
            print(f"edge: {progress[-1][0]} s, {held} streams held", file=sys.stderr, flush=True)
            if all(client.poll() is not None for client in stack.clients):
                raise RuntimeError("every client process exited")
            ready = [select_ready(client) for client in stack.clients]
            if all(ready):
                opened = [json.loads(client.stdout.readline()) for client in stack.clients]
        opening = snapshot(stack)
        time.sleep(3)
        idle = snapshot(stack)
        time.sleep(options.quiet_seconds)
        quiet = snapshot(stack)
        ask(stack, "reset")
        publish_samples(stack, user_id, options.events)
        time.sleep(3)
        reports = ask(stack, "report")
        latencies = [value for report in reports for value in report["latencies"]]
        total = sum(o["idle"] + o["sample"] for o in opened)
        return {
            "options": options,
            "opened": total,
            "sample_opened": sum(o["sample"] for o in opened),
            "open_seconds": max(o["seconds"] for o in opened),
            "failed_attempts": sum(o["failed_attempts"] for o in opened),
            "errors": [o["errors"] for o in opened],
            "progress": progress,
            "opening_cpu": cpu_split(before, opening),
            "quiet_cpu": cpu_split(idle, quiet),
            "pushpin_kb": round((idle["pushpin"]["rss"] - before["pushpin"]["rss"]) / total, 1),
            "pushpin_mb": round(idle["pushpin"]["rss"] / 1024),
            "pushpin_threads": idle["pushpin"]["threads"],
            "pushpin_files": idle["pushpin_files"],
            "django_kb": round((idle["django"]["rss"] - before["django"]["rss"]) / total, 2),
            "django_mb": round(idle["django"]["rss"] / 1024),
            "django_threads": idle["django"]["threads"],
            "db_connections": scaleout.db_connections(scaleout.DB),
            "deliveries": len(latencies),
            "expected": sum(o["sample"] for o in opened) * options.events,
            "p50": round(statistics.median(latencies), 1) if latencies else None,
            "p99": percentile(latencies, 0.99) if latencies else None,
            "alive": sum(report["alive"] for report in reports),
        }
    finally:
        stack.stop()


def select_ready(client) -> bool:
    import select

    return bool(select.select([client.stdout], [], [], 0)[0])


def edge_table(result: dict) -> str:
    o = result["options"]
    opening, quiet = result["opening_cpu"], result["quiet_cpu"]
    rate = round(result["opened"] / result["open_seconds"]) if result["open_seconds"] else "-"
    rows = [
        (
            "setup",
            f"{o.edges} Pushpins x {split(o.count, o.edges)[0]} streams, {o.servers} "
            f"daphne, recheck {o.recheck} s, CONN_MAX_AGE {o.conn_max_age}, "
            f"{o.concurrency} opens in flight per client process",
        ),
        (
            "streams opened",
            f"{result['opened']} of {o.count + o.sample} "
            f"({result['failed_attempts']} failed attempts, retried)",
        ),
        ("time to open", f"{result['open_seconds']} s ({rate}/s)"),
        (
            "CPU s while opening",
            f"Pushpin {opening['pushpin']}, Django {opening['django']}, "
            f"clients {opening['clients']}, all of PostgreSQL {opening['postgres']} (shared; "
            f"our database: {opening['db_sessions']} sessions, {opening['db_active']} s "
            f"executing), over {opening['wall_s']} s x 2 cores",
        ),
        (
            "Pushpin RSS",
            f"{result['pushpin_mb']} MB in all, {result['pushpin_kb']} KB/stream, "
            f"{result['pushpin_threads']} threads, at most {result['pushpin_files']} files/process",
        ),
        (
            "Django RSS",
            f"{result['django_mb']} MB in all, {result['django_kb']} KB/stream, "
            f"{result['django_threads']} threads",
        ),
        ("database connections", str(result["db_connections"])),
        (
            "CPU s while idle",
            f"Pushpin {quiet['pushpin']}, Django {quiet['django']}, "
            f"all of PostgreSQL {quiet['postgres']} (shared; our database: "
            f"{quiet['db_queries']} queries, {quiet['db_active']} s executing), "
            f"over {quiet['wall_s']} s",
        ),
        (
            f"event -> {result['sample_opened']} sampled streams",
            f"p50 {result['p50']} ms, p99 {result['p99']} ms "
            f"({result['deliveries']} of {result['expected']} deliveries)",
        ),
        ("streams still open at the end", str(result["alive"])),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)} | {value}" for name, value in rows)
