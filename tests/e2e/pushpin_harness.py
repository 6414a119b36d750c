"""A real Pushpin in front of real server processes, configured by deploy/pushpin/render.py."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from deploy.pushpin.render import PushpinConfig, render
from tests.e2e.harness import free_port

# A test key: random enough for the key check, known to the test (and to nobody else).
TEST_GRIP_KEY = "e2e-grip-key-" + os.urandom(16).hex()


def _wait_for_port(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class PushpinProcess:
    """``pushpin`` on free loopback ports, routing to ``backends`` (``host:port`` strings)."""

    def __init__(self, backends, *, key=TEST_GRIP_KEY, max_connections=2000):
        self.dir = Path(tempfile.mkdtemp(prefix="spika-pushpin-"))
        self.config = PushpinConfig(
            sig_key=key,
            backends=list(backends),
            http_addr="127.0.0.1",
            http_port=free_port(),
            control_port=free_port(),
            push_in_port=free_port(),
            push_in_sub_port=free_port(),
            command_port=free_port(),
            max_connections=max_connections,
            ipc_prefix=f"spika-{os.getpid()}-{self.dir.name[-6:]}-",
        )
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.config.http_port}"

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.config.control_port}"

    def start(self, timeout=20.0) -> "PushpinProcess":
        conf = render(self.config, self.dir)
        self.log = open(self.dir / "pushpin.log", "wb")
        self.process = subprocess.Popen(
            ["pushpin", "--config", str(conf), "--merge-output"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends its children too
        )
        deadline = time.monotonic() + timeout
        ports = (self.config.http_port, self.config.control_port)
        if not (all(_wait_for_port(port, deadline) for port in ports) and self._started(deadline)):
            log = self.log_text()
            self.stop()
            raise RuntimeError(f"pushpin did not start: {log[-2000:]}")
        return self

    def _started(self, deadline: float) -> bool:
        """Open ports are not enough: the proxy answers 500 until it reaches the handler."""
        while time.monotonic() < deadline:
            log = self.log_text()
            if "[proxy] started" in log and "[handler] started" in log:
                time.sleep(0.3)
                return True
            time.sleep(0.05)
        return False

    def log_text(self) -> str:
        return (self.dir / "pushpin.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
