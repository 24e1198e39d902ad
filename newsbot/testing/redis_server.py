"""A real ``redis-server`` on a free loopback port, for tests and benchmarks.

Nothing is persisted (``--save ''``, no AOF); the working directory is a temporary
folder; the server is stopped (and waited for) on exit, whatever happened.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """``with RedisServer() as redis: redis.url`` -> ``redis://127.0.0.1:<port>/0``

    With ``password``, the server requires it (``requirepass``) and ``url`` carries it.
    """

    def __init__(self, executable: str = "redis-server", startup_timeout: float = 10.0,
                 password: str | None = None):
        self.executable = shutil.which(executable) or executable
        self.password = password
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self._dir: tempfile.TemporaryDirectory | None = None

    @property
    def url(self) -> str:
        credentials = f":{self.password}@" if self.password else ""
        return f"redis://{credentials}127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)

    def __enter__(self) -> RedisServer:
        self._dir = tempfile.TemporaryDirectory(prefix="newsbot-redis-")
        for _attempt in range(5):  # a free port can be taken between the probe and the bind
            self.port = _free_port()
            self.process = subprocess.Popen(
                [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", self._dir.name, "--logfile", str(Path(self._dir.name) / "log"),
                 *(["--requirepass", self.password] if self.password else [])],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            if self._wait_ready():
                return self
            self._stop()
        self._dir.cleanup()
        raise RuntimeError(f"redis-server did not start (tried 5 ports); is {self.executable} installed?")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    # unauthenticated PING: +PONG, or -NOAUTH once a password is required
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith((b"+PONG", b"-NOAUTH")):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def _stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __exit__(self, *exc) -> None:
        self._stop()
        if self._dir is not None:
            self._dir.cleanup()
