"""Open the audit store a location names: the one place that chooses an `AuditStore`
implementation, so adding one (PostgreSQL for teams) touches its own module and this one."""

from __future__ import annotations

from pathlib import Path

from funnel_audit.ports import AuditStore
from funnel_audit.store.history import HistoryStore


def open_store(location: Path) -> AuditStore:
    """The store at `location`: today a SQLite file (created with its folder if missing)."""
    return HistoryStore(location)
