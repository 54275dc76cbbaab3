"""A throwaway PostgreSQL server for the tests: one per test session, on 127.0.0.1 at a free port,
its data in a temporary folder, a fresh database per test (dropped after it).

initdb refuses to run as root (CI runs as root), so there the server runs as the `postgres`
system user (Debian's package creates it) with a data folder that user owns. Without PostgreSQL
the tests that need it are skipped with the reason, unless `CI` is set: then a missing server is
a failure, so a CI run cannot go green without testing the PostgreSQL history.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

USER = "funnel"
PASSWORD = "pg-secret-Zq7x"  # the tests grep every output for it: it must never appear
_counter = itertools.count(1)


def pg_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's programs (Debian keeps them out of PATH)."""

    def version(initdb: str) -> int:
        name = Path(initdb).parent.parent.name
        return int(name) if name.isdigit() else 0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """One running server; `new_database` hands out a fresh, empty database's URL."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.base = Path(tempfile.mkdtemp(prefix="funnel-audit-pg-"))
        self.data = self.base / "data"
        self.port = _free_port()
        self._owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")  # KeyError: no user to run the server as
            self._owner = (entry.pw_uid, entry.pw_gid)
            os.chown(self.base, *self._owner)

    def _run(self, *argv: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:  # noqa: ANN401
        extra: dict[str, Any] = {}
        if self._owner is not None:
            extra = {"user": self._owner[0], "group": self._owner[1], "extra_groups": []}
        return subprocess.run(
            argv,
            cwd=self.base,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
            env={"PATH": os.environ.get("PATH", ""), "LANG": "C", "LC_ALL": "C"},
            **extra,
            **kwargs,
        )

    def start(self) -> None:
        """initdb (password auth over TCP), then start the server tuned for throwaway data."""
        pwfile = self.base / "pw"
        pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
        if self._owner is not None:
            os.chown(pwfile, *self._owner)
        self._run(
            str(self.bin_dir / "initdb"),
            "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}", "-E", "UTF8",
            "--locale=C", "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync",
        )  # fmt: skip
        pwfile.unlink()
        self.resume()

    def resume(self) -> None:
        """Start the server on its data (again, after `pause`)."""
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.base} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.base / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def pause(self) -> None:
        """Stop the server as an outage would (every connection cut), keeping its data."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        """Stop the server and remove its data."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str, password: str = PASSWORD) -> str:
        """A connection URL with the test user's password (as users give it)."""
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE / DROP DATABASE) as the superuser."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self) -> str:
        """A fresh empty database (copied from template0) and its URL."""
        name = f"t{os.getpid()}_{next(_counter)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a test's database, closing whatever connections it left open."""
        self.admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The session's PostgreSQL server (skipped, or failed under CI, when none is installed)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install '.[postgres]')")
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        _unavailable("no PostgreSQL installed (no initdb in /usr/lib/postgresql/*/bin or PATH)")
    assert bin_dir is not None
    try:
        server = PgServer(bin_dir)
    except KeyError:
        _unavailable("running as root and there is no `postgres` user to run the server as")
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        log = server.base / "server.log"
        tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
        server.stop()
        _unavailable(f"the server did not start: {exc.stderr.strip()[-400:]} {tail}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh PostgreSQL database for one test."""
    url = pg_server.new_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The history location a test runs against, once per backend: a SQLite file, or a fresh
    PostgreSQL database's URL. Either is what `--db` and `open_store` take."""
    if request.param == "sqlite":
        return str(tmp_path / "h.sqlite3")
    return str(request.getfixturevalue("pg_url"))


def run_sql(location: str, sql: str) -> list[tuple[Any, ...]]:
    """Run one statement on a history with its own driver, outside the store (to read a table
    the store does not show, or to damage a row as a hand edit would)."""
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location, autocommit=True) as conn:
            cur = conn.execute(sql)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []
    conn = sqlite3.connect(location)
    try:
        with conn:
            cur = conn.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()
