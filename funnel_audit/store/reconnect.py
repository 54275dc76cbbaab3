"""A history store that is opened again when its server was lost, for a caller that only reads
and can simply ask again: `run-due --wait` watching jobs for hours must not stop (exit 7) because
the database restarted for a few seconds while the workers, which wait it out too, go on."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

from funnel_audit.errors import StoreError, StoreUnavailable
from funnel_audit.ports import AuditStore
from funnel_audit.store.location import Location
from funnel_audit.store.open import open_store

T = TypeVar("T")
PATIENCE_SECONDS = 600.0  # an outage longer than this is reported (exit 7)
MAX_PAUSE = 10.0


class Reconnecting:
    """Runs reads against the store at `location`, opening it again after a lost connection
    until the server has been unreachable for `patience` seconds in a row."""

    def __init__(
        self,
        location: Location,
        patience: float = PATIENCE_SECONDS,
        on_outage: Callable[[StoreUnavailable], None] = lambda exc: None,
    ) -> None:
        self.location, self.patience, self.on_outage = location, patience, on_outage
        self._store: AuditStore | None = None

    def read(self, query: Callable[[AuditStore], T]) -> T:
        """`query(store)`, asked again on a fresh connection while the server is away."""
        since: float | None = None
        pause = 1.0
        while True:
            try:
                if self._store is None:
                    self._store = open_store(self.location)
                return query(self._store)
            except StoreUnavailable as exc:
                self._drop()
                now = time.monotonic()
                if since is None:
                    since = now
                    self.on_outage(exc)
                if now - since + pause > self.patience:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)

    def _drop(self) -> None:
        if self._store is not None:
            with contextlib.suppress(StoreError):
                self._store.close()
            self._store = None

    def close(self) -> None:
        """Close the store, if open."""
        self._drop()

    def __enter__(self) -> Reconnecting:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
