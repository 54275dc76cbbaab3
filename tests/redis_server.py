"""A throwaway Redis server for the distributed mode's tests: one per test session, on 127.0.0.1
at a free port, with a password (the tests grep every output for it), no persistence, its files
in a temporary folder; each test gets its own database number, emptied first.

Without redis-server (or the `distributed` extra) the tests that need it are skipped with the
reason, unless `CI` is set: then it is a failure, so CI cannot go green without them.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PASSWORD = "redis-secret-Kp4w"
_numbers = itertools.cycle(range(1, 16))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One running redis-server."""

    def __init__(self, binary: str) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="funnel-audit-redis-"))
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.base),
             "--save", "", "--appendonly", "no", "--requirepass", PASSWORD,
             "--logfile", str(self.base / "redis.log"), "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def client(self, number: int = 0):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, password=PASSWORD, db=number)

    def wait_ready(self, within: float = 20.0) -> None:
        deadline = time.monotonic() + within
        while True:
            try:
                self.client().ping()
                return
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def url(self, number: int) -> str:
        return f"redis://:{PASSWORD}@127.0.0.1:{self.port}/{number}"

    def stop(self) -> None:
        self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        if self.proc.poll() is None:
            self.proc.kill()
        shutil.rmtree(self.base, ignore_errors=True)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"the distributed tests cannot run in CI: {reason}")
    pytest.skip(f"distributed tests skipped: {reason}")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's Redis server (skipped, or failed under CI, when none is installed)."""
    try:
        import celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError:
        _unavailable("Celery or redis-py is not installed (pip install '.[distributed]')")
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        _unavailable("no redis-server installed")
    assert binary is not None
    server = RedisServer(binary)
    try:
        server.wait_ready()
    except Exception as exc:  # noqa: BLE001
        server.stop()
        _unavailable(f"redis-server did not start: {exc}")
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server: RedisServer) -> str:
    """An empty Redis database of its own for one test, as a broker URL with the password."""
    number = next(_numbers)
    redis_server.client(number).flushdb()
    return redis_server.url(number)
