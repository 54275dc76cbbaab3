"""Helpers for tests that stop a real funnel-audit process mid-run: a slow server on 127.0.0.1
(so a crawl is still going when the test acts), waiting until pages are committed, and finding a
process's children (parser or worker processes) in /proc."""

from __future__ import annotations

import functools
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _SlowHandler(SimpleHTTPRequestHandler):
    """Serves files slowly, noting (path, status) of every request in `log`."""

    delay = 0.25
    log: list[tuple[str, int]]

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        time.sleep(self.delay)
        super().do_GET()

    def log_request(self, code: object = "-", size: object = "-") -> None:
        self.log.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def slow_site(
    folder: Path, log: list[tuple[str, int]] | None = None, delay: float = 0.25
) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1, `delay` seconds a request; yields its base URL."""
    handler_class = type(
        "Slow", (_SlowHandler,), {"delay": delay, "log": log if log is not None else []}
    )
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler_class, directory=str(folder))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def committed_pages(db: Path | str) -> int:
    """Pages committed to the history so far (0 before it exists): a SQLite file, or a
    PostgreSQL database's URL."""
    if str(db).startswith("postgresql://"):
        import psycopg

        try:
            with psycopg.connect(str(db), autocommit=True) as pg:
                row = pg.execute("SELECT COUNT(*) FROM pages").fetchone()
                return int(row[0]) if row else 0
        except psycopg.Error:
            return 0
    if not Path(db).exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM pages").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def wait_for_pages(db: Path | str, proc: subprocess.Popen[bytes], at_least: int) -> int:
    """Wait (up to two minutes) until `at_least` pages are committed or `proc` has ended."""
    committed, deadline = 0, time.monotonic() + 120
    while committed < at_least and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        committed = committed_pages(db)
    return committed


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def still_alive(pids: list[int], within: float) -> list[int]:
    """The processes of `pids` still alive after waiting up to `within` seconds."""
    deadline = time.monotonic() + within
    while any(Path(f"/proc/{p}").exists() for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [p for p in pids if Path(f"/proc/{p}").exists()]


@contextmanager
def small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """Mount a real tmpfs of `size` (e.g. "96k") at `where` for disk-full and read-only cases;
    unmounted afterwards. The caller skips without root; a failing mount skips too."""
    import pytest

    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode()[:100]}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
