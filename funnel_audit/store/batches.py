"""Commit an audit's pages to the history store in batches as they stream in.

Every BATCH pages or FLUSH_SECONDS, whichever comes first, so a slow crawl that is killed loses
little and a fast one does not pay a transaction per page.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from funnel_audit.models import PageResult
from funnel_audit.ports import AuditStore

BATCH = 64
FLUSH_SECONDS = 2.0


class PageBatches:
    """Pages waiting to be committed to one audit in the store."""

    def __init__(
        self,
        store: AuditStore,
        audit_id: int,
        topic_texts: Mapping[str, str],
        evidence: Callable[[str], bytes | None],
        model_version: Callable[[], str],
    ) -> None:
        self.store, self.audit_id = store, audit_id
        self._texts, self._evidence, self._version = topic_texts, evidence, model_version
        self._pending: list[PageResult] = []
        self._last = time.monotonic()
        self._version_stored = False

    def add(self, result: PageResult) -> None:
        """Queue a page; commit the batch when it is full or old enough."""
        self._pending.append(result)
        if len(self._pending) >= BATCH or time.monotonic() - self._last >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Commit what is pending (a run killed later keeps every committed batch)."""
        self._last = time.monotonic()
        if not self._pending:
            return
        version = self._version()
        if version and not self._version_stored:
            # known once a page is read: a resumed run checks it against its own model
            self.store.set_model_version(self.audit_id, version)
            self._version_stored = True
        batch, self._pending = self._pending, []
        self.store.add_pages(self.audit_id, batch, self._texts, self._evidence)
