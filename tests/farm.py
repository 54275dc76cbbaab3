"""Helpers for the distributed mode's tests: sites on 127.0.0.1 that count what they are asked
(every hit, and the most requests in flight at once across all of them), real `funnel-audit
worker` processes, and the CLI as a subprocess with its output kept for the password check."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.live_runs import children, still_alive


@dataclass
class Traffic:
    """What every served site saw: hits as (port, path), and requests in flight."""

    hits: list[tuple[int, str]] = field(default_factory=list)
    now: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Counting(SimpleHTTPRequestHandler):
    traffic: Traffic
    delay: float

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        port = self.server.server_address[1]
        with self.traffic.lock:
            self.traffic.now += 1
            self.traffic.peak = max(self.traffic.peak, self.traffic.now)
            self.traffic.hits.append((port, self.path))
        try:
            time.sleep(self.delay)
            super().do_GET()
        finally:
            with self.traffic.lock:
                self.traffic.now -= 1

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serve_sites(folders: list[Path], delay: float, traffic: Traffic) -> Iterator[list[str]]:
    """Serve each folder on its own port (its own host for politeness); their base URLs."""
    handler = type("Counting", (_Counting,), {"traffic": traffic, "delay": delay})
    servers = []
    for folder in folders:
        server = ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
        )
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    try:
        yield [f"http://127.0.0.1:{s.server_address[1]}/" for s in servers]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def write_config(path: Path, sites: dict[str, str], **defaults: object) -> Path:
    """A funnel-audit.toml listing `sites` (name -> url) with these [defaults]."""
    lines = ["[defaults]"] + [f"{k} = {v!r}" for k, v in defaults.items()]
    for name, url in sites.items():
        lines += ["", "[[sites]]", f'name = "{name}"', f'url = "{url}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`funnel-audit ARGS` as a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "funnel_audit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Worker:
    """A `funnel-audit worker` process, its output in a file."""

    def __init__(self, log: Path, db: str, broker: str, *extra: str) -> None:
        self.log = log
        self._out = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "funnel_audit", "worker", "--broker", broker, "--db", db,
             "--parsers", "0", *extra],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        self.name = f"funnel-audit-{self.proc.pid}-"  # the node name's start

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while " ready." not in self.output():
            assert self.proc.poll() is None, f"the worker stopped: {self.output()[-2000:]}"
            assert time.monotonic() < deadline, f"the worker never got ready: {self.output()}"
            time.sleep(0.1)

    def kill(self) -> list[int]:
        """SIGKILL the main process and its pool processes at once (a machine lost)."""
        pids = [self.proc.pid, *children(self.proc.pid)]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        assert not still_alive(pids, 10), "a pool process outlived the killed worker"
        return pids

    def stop(self) -> None:
        """A warm shutdown (SIGTERM), then whatever is left killed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for pid in [self.proc.pid, *children(self.proc.pid)]:
                    os.kill(pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self._out.close()


@contextmanager
def workers(tmp: Path, count: int, db: str, broker: str, *extra: str) -> Iterator[list[Worker]]:
    """`count` workers, ready; stopped afterwards."""
    started = [Worker(tmp / f"worker{i}.log", db, broker, *extra) for i in range(count)]
    try:
        for worker in started:
            worker.wait_ready()
        yield started
    finally:
        for worker in started:
            worker.stop()
