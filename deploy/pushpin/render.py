"""Write a Pushpin configuration for Spika for Django: ``pushpin.conf`` and ``routes``.

    SPIKA_GRIP_KEY=... python -m deploy.pushpin.render --out /var/lib/spika-pushpin \\
        --backend 127.0.0.1:8001 --backend 127.0.0.1:8002
    pushpin --config /var/lib/spika-pushpin/pushpin.conf

The key is the one Django verifies ``Grip-Sig`` with (``SPIKA_GRIP_KEY``); Pushpin's file
format has no environment variables, hence this step. The end-to-end tests and the benchmark
render their Pushpin with the same function.
"""

import argparse
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent
STOCK_KEYS = frozenset({"changeme"})
MIN_KEY_LENGTH = 32  # bytes of an HS256 key (RFC 7518 3.2)


@dataclass
class PushpinConfig:
    sig_key: str
    backends: list[str] = field(default_factory=lambda: ["127.0.0.1:8000"])
    http_addr: str = "0.0.0.0"
    http_port: int = 7999
    control_addr: str = "127.0.0.1"
    control_port: int = 5561
    push_in_port: int = 5560
    push_in_sub_port: int = 5562
    command_port: int = 5563
    max_connections: int = 60000
    message_rate: int = 50000
    message_hwm: int = 200000
    log_level: int = 2
    ipc_prefix: str = "spika-"


def key_check(key: str) -> None:
    """Refuse what would let anyone forge Pushpin's signature."""
    if not key or key in STOCK_KEYS or len(key) < MIN_KEY_LENGTH:
        raise ValueError(
            f"the GRIP key must be a random secret of at least {MIN_KEY_LENGTH} characters, "
            "never Pushpin's stock 'changeme' (try: openssl rand -hex 32)"
        )


def render(config: PushpinConfig, out_dir: Path) -> Path:
    """Write ``pushpin.conf`` and ``routes`` into ``out_dir``; returns the conf's path."""
    key_check(config.sig_key)
    out_dir = Path(out_dir).resolve()
    for sub in ("run", "log"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    values = {name.upper(): value for name, value in asdict(config).items()}
    values |= {
        "BACKENDS": " ".join(config.backends),
        "RUNDIR": out_dir / "run",
        "LOGDIR": out_dir / "log",
        "ROUTES_FILE": out_dir / "routes",
    }
    for name in ("pushpin.conf", "routes"):
        template = Template((HERE / f"{name}.template").read_text())
        target = out_dir / name
        target.write_text(template.substitute(values))
        target.chmod(0o600)
    return out_dir / "pushpin.conf"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="directory to write into")
    parser.add_argument(
        "--backend", action="append", help="a Django server process, host:port (repeatable)"
    )
    parser.add_argument("--http-addr", default="0.0.0.0")
    parser.add_argument("--http-port", type=int, default=7999)
    parser.add_argument(
        "--port-base",
        type=int,
        default=5560,
        help="the private ports: ZeroMQ in (base), publish API (base+1), ZeroMQ in-sub "
        "(base+2), command (base+3); give each Pushpin on one host its own, e.g. 5570",
    )
    parser.add_argument("--control-port", type=int, help="the publish API (default: base+1)")
    parser.add_argument("--max-connections", type=int, default=60000)
    args = parser.parse_args(argv)
    base = args.port_base
    config = PushpinConfig(
        sig_key=os.environ.get("SPIKA_GRIP_KEY", ""),
        backends=args.backend or ["127.0.0.1:8000"],
        http_addr=args.http_addr,
        http_port=args.http_port,
        control_port=args.control_port or base + 1,
        push_in_port=base,
        push_in_sub_port=base + 2,
        command_port=base + 3,
        max_connections=args.max_connections,
    )
    try:
        path = render(config, args.out)
    except ValueError as error:
        print(f"SPIKA_GRIP_KEY: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
