"""The audit history in one SQLite file: the default, with no setup.

WAL mode, a busy timeout and short transactions let several audits write at once. An audit row is
written as `running` before the first page and pages are committed in small batches, so an
interrupted run keeps what it fetched and is never shown as complete. The operations themselves
are `sql.py`'s, shared with PostgreSQL; this module opens the file and locks sites with `flock`.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from funnel_audit.errors import StoreError
from funnel_audit.store.faults import cannot_open
from funnel_audit.store.locks import is_locked, lock_dir_for, site_lock
from funnel_audit.store.rows import Cursor
from funnel_audit.store.schema import MIGRATIONS, SQLITE
from funnel_audit.store.sql import SqlStore

__all__ = ["MIGRATIONS", "HistoryStore"]

BUSY_TIMEOUT_MS = 30_000


class HistoryStore(SqlStore):
    """Every audit and its pages in one SQLite file (WAL, safe for several processes)."""

    dialect = SQLITE

    def __init__(self, path: Path) -> None:
        self.path = path
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self._open(path)
                return
            except sqlite3.OperationalError as exc:
                # Switching a new file to WAL needs a moment alone and does not wait on the
                # busy handler, so two processes creating one database retry here.
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise StoreError(cannot_open(path, exc)) from exc
                self.conn.close()
                time.sleep(0.05)
            except (sqlite3.Error, OSError) as exc:
                raise StoreError(cannot_open(path, exc)) from exc

    def _open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self._migrate()

    def site_lock(self, name: str) -> contextlib.AbstractContextManager[bool]:
        """Hold the site's lock while auditing it; yields False at once if another run holds it."""
        return site_lock(lock_dir_for(self.path), name)

    def is_locked(self, name: str) -> bool:
        """True while some run holds the site's lock (for `schedule show`)."""
        return is_locked(lock_dir_for(self.path), name)

    def close(self) -> None:
        """Close the database connection."""
        self.conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def _execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        return self.conn.execute(sql, args)

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _lock_migrations(self) -> None:
        pass  # BEGIN IMMEDIATE already keeps every other writer out

    def _in_order(self, columns: str, audit_id: int, only: str = "") -> Iterator[Sequence[Any]]:
        # a cursor that SQLite steps through as it is read: one row in memory at a time
        yield from self.conn.execute(
            f"SELECT {columns} FROM pages WHERE audit_id = ? {only} ORDER BY rowid", (audit_id,)
        )
