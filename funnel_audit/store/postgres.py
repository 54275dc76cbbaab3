"""The audit history in PostgreSQL, shared by every machine that audits (psycopg 3).

The operations are `sql.py`'s, the same as SQLite's, and so are the numbered migrations
(`schema.py` gives them in PostgreSQL's types); what differs lives here:

- migrations run under a transaction-level advisory lock, so two processes opening a new
  database at once apply each step once;
- a site's lock is a session-level advisory lock, keyed by a 64-bit hash of the site's name,
  taken on the store's own connection: it holds across machines, PostgreSQL drops it when the
  holder's connection ends, even after a crash, as the kernel drops a SQLite history's `flock`,
  and a run whose connection was lost (and so its lock) cannot write another row. The session
  is never timed out for idleness, and TCP keepalives both ways let the server drop the locks
  of a machine that lost power within about a minute. (So a pooler between the workers and
  the server must hand out whole sessions: PgBouncer's transaction mode breaks the locks.);
- pages keep their written order in a `seq` column (SQLite's rowid), read back in chunks;
- every driver failure is one StoreError line (exit 7) that names the database without its
  password (`location.shown`); a lost or refused connection is a StoreUnavailable, which a
  distributed worker waits out.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from funnel_audit.errors import StoreError, StoreUnavailable
from funnel_audit.store.location import scrub, shown
from funnel_audit.store.rows import Cursor
from funnel_audit.store.schema import POSTGRES
from funnel_audit.store.sql import SqlStore

try:
    import psycopg
except ImportError:  # the `postgres` extra is not installed
    psycopg = None  # type: ignore[assignment]

CONNECT_TIMEOUT_SECONDS = 10
CHUNK = 500  # pages read back per query


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for `name` (the same on every machine)."""
    digest = hashlib.sha256(f"funnel-audit:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


MIGRATION_LOCK = lock_key("schema migrations")


@lru_cache(maxsize=256)
def _placeholders(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (a literal `%` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


def reason(exc: BaseException) -> str:
    """What a connection failure comes down to, in a few words (`connection refused`,
    `password authentication failed for user "x"`, `database "x" does not exist`)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    line = next((text for text in lines if "failed:" in text), lines[0])
    words = re.sub(r"^(FATAL|ERROR):\s*", "", line.rsplit("failed: ", 1)[-1]).strip()
    return words[:1].lower() + words[1:] if words[:2] != words[:2].upper() else words


# libpq's side: notice a server that went silent within about a minute, instead of waiting
# on a dead socket for the kernel's quarter of an hour
CLIENT_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60_000,
}
# the server's side of the same, and no idle-session timeout: the session holds the locks
SESSION_SETTINGS = (
    ("tcp_keepalives_idle", "30"),
    ("tcp_keepalives_interval", "10"),
    ("tcp_keepalives_count", "3"),
)
# SQLSTATEs that say "not now" rather than "never": connection exceptions (08), too many
# connections or out of resources (53), a server shutting down, crashing or starting up
# (57P01-57P03; not 57P04, a database dropped), a former primary after a failover (25006), a
# serialization failure or deadlock (40001, 40P01)
TRANSIENT_STATES = ("08", "53", "57P01", "57P02", "57P03", "25006", "40001", "40P01")


def transient(exc: BaseException) -> bool:
    """Whether a driver error means the server cannot be reached for now (a refused or lost
    connection, a restart), not that the request or the login is wrong."""
    if psycopg is None or not isinstance(exc, psycopg.Error):
        return False
    state = exc.sqlstate
    if state is None:  # no word from the server: the connection itself failed
        return isinstance(exc, psycopg.OperationalError)
    return state.startswith(TRANSIENT_STATES)


def _connect(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    """A connection in autocommit mode (transactions are opened explicitly), with keepalives
    both ways and no idle-session timeout."""
    if psycopg is None:
        raise StoreError(
            f"cannot use the history database {shown(url)}: PostgreSQL needs psycopg "
            "(pip install 'funnel-audit[postgres]')"
        )
    try:
        options = psycopg.conninfo.conninfo_to_dict(url)
        options.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
        options.setdefault("application_name", "funnel-audit")
        for name, value in CLIENT_KEEPALIVES.items():
            options.setdefault(name, value)
        conn = psycopg.connect(psycopg.conninfo.make_conninfo("", **options), autocommit=True)
        settings = list(SESSION_SETTINGS)
        if conn.info.server_version >= 120000:  # data sent to a machine that went dark
            settings.append(("tcp_user_timeout", "60000"))
        if conn.info.server_version >= 140000:
            settings.append(("idle_session_timeout", "0"))
        calls = ", ".join("set_config(%s, %s, false)" for _ in settings)
        conn.execute(f"SELECT {calls}", [part for pair in settings for part in pair])
        return conn
    except psycopg.Error as exc:
        kind = StoreUnavailable if transient(exc) else StoreError
        raise kind(
            scrub(f"cannot connect to the history database {shown(url)}: {reason(exc)}", url)
        ) from None


class PostgresStore(SqlStore):
    """Every audit and its pages in a PostgreSQL database (the same tables as SQLite's)."""

    dialect = POSTGRES

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = _connect(url)
        self._held: set[int] = set()  # the lock keys this store holds
        try:
            self._migrate()
        except BaseException:
            self.conn.close()
            raise

    def _failed(self, exc: BaseException) -> StoreError:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        kind = StoreUnavailable if transient(exc) or self.conn.closed else StoreError
        return kind(
            scrub(f"the history database {shown(self.url)} failed: {first[:200]}", self.url)
        )

    def _execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        try:
            return self.conn.execute(_placeholders(sql), args)
        except psycopg.Error as exc:
            raise self._failed(exc) from None

    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            with self.conn.cursor() as cur:
                cur.executemany(_placeholders(sql), rows)
        except psycopg.Error as exc:
            raise self._failed(exc) from None

    @contextmanager
    def _tx(self) -> Iterator[None]:
        try:
            with self.conn.transaction():
                yield
        except psycopg.Error as exc:
            raise self._failed(exc) from None

    def _lock_migrations(self) -> None:
        self._execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))

    def _in_order(self, columns: str, audit_id: int, only: str = "") -> Iterator[Sequence[Any]]:
        # keyset pages over (audit_id, seq): a few hundred rows in memory at a time, and no
        # cursor held open between them, so the store stays usable while the caller iterates
        after = -1
        while True:
            rows = self._execute(
                f"SELECT seq, {columns} FROM pages WHERE audit_id = ? AND seq > ? {only} "
                f"ORDER BY seq LIMIT {CHUNK}",
                (audit_id, after),
            ).fetchall()
            for row in rows:
                yield row[1:]
            if len(rows) < CHUNK:
                return
            after = rows[-1][0]

    @contextmanager
    def site_lock(self, name: str) -> Iterator[bool]:
        """Hold the site's advisory lock on this store's connection while auditing it; yields
        False at once if another run, on any machine or on this store, holds it."""
        key = lock_key(name)
        if key in self._held:  # PostgreSQL's session locks nest; a site's lock does not
            yield False
            return
        row = self._execute("SELECT pg_try_advisory_lock(?)", (key,)).fetchone()
        got = bool(row[0])
        if got:
            self._held.add(key)
        try:
            yield got
        finally:
            if got:
                self._held.discard(key)
                with contextlib.suppress(StoreError):  # a lost connection dropped it already
                    self._execute("SELECT pg_advisory_unlock(?)", (key,))

    def is_locked(self, name: str) -> bool:
        """True while some run, on any machine, holds the site's lock (for `schedule show`)."""
        key = lock_key(name) & 0xFFFFFFFFFFFFFFFF
        row = self._execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid::bigint = ? AND objid::bigint = ? AND objsubid = 1)",
            (key >> 32, key & 0xFFFFFFFF),
        ).fetchone()
        return bool(row[0])

    def close(self) -> None:
        """Close the database connection."""
        self.conn.close()

    def __enter__(self) -> PostgresStore:
        return self
