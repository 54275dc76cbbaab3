"""Who a site is in the history: one key per site, and one live run per target at a time."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

from funnel_audit.crawl.urls import site_key
from funnel_audit.errors import StoreError
from funnel_audit.ports import AuditStore


def site_identity(target: str, folder: Path | None) -> tuple[str, str]:
    """(site key, target) as the history keeps them. A site's key must never collide: two
    folders named `public` are two sites, so a folder's key carries a digest of its resolved
    path (`public~3fa2c1d0`) and its target is that path; a URL's key is its host and port."""
    if folder is None:
        return site_key(target), target
    return f"{folder.name}~{hashlib.sha256(str(folder).encode()).hexdigest()[:8]}", str(folder)


@contextlib.contextmanager
def live_audit_lock(store: AuditStore | None, kept_as: str, shown: str) -> Iterator[None]:
    """Hold the target's lock in the store for a whole run, so a second run of it (a `--resume`
    beside a live one, an overlapping schedule) stops at once; nothing to lock without a store."""
    if store is None:
        yield
        return
    name = "audit-" + hashlib.sha256(kept_as.encode()).hexdigest()[:20]
    with store.site_lock(name) as locked:
        if not locked:
            raise StoreError(
                f"another run is auditing {shown} with this history database right now; "
                "wait for it to finish (or stop it), then run again"
            )
        yield
