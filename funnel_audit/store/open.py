"""Open the audit store a location names: the one place that chooses an `AuditStore`
implementation, so adding one touches its own module and this one."""

from __future__ import annotations

from pathlib import Path

from funnel_audit.errors import LookupFailed
from funnel_audit.ports import AuditStore
from funnel_audit.store.history import HistoryStore
from funnel_audit.store.location import Location, is_database_url


def open_store(location: Location) -> AuditStore:
    """The store at `location`: a `postgresql://` (or `postgres://`) URL opens that PostgreSQL
    database, anything else is a SQLite file (created with its folder if missing)."""
    if is_database_url(location):
        from funnel_audit.store.postgres import PostgresStore  # psycopg loads only for a URL

        return PostgresStore(str(location).strip())
    return HistoryStore(Path(location))


def exists(location: Location) -> bool:
    """Whether there is a history to read: a SQLite file that exists, or any database URL (the
    server says whether the database exists when it is opened)."""
    return is_database_url(location) or Path(location).is_file()


def open_existing(location: Location) -> AuditStore:
    """Open a history that must already exist: reading never creates an empty SQLite file."""
    if not exists(location):
        raise LookupFailed(f"no history database at {location} (run an audit first, or pass --db)")
    return open_store(location)
