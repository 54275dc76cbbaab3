"""What the audit store gives back: typed records, so no module reads a database row by name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One stored audit. `settings`, `gaps` and `calendar` are filled only by `AuditStore.audit`
    (the one-audit lookup); lists of audits leave them None."""

    id: int
    site: str
    target: str
    started_at: str
    finished_at: str | None
    status: str
    model_version: str
    summary: dict[str, Any] | None = None
    error: str | None = None
    settings: dict[str, Any] | None = None
    gaps: list[dict[str, Any]] | None = None
    calendar: list[dict[str, Any]] | None = None

    @property
    def complete(self) -> bool:
        """Whether every output of this audit was written."""
        return self.status == "complete"


@dataclass(frozen=True, slots=True)
class StoredPage:
    """One stored page as `history` and `diff` show it."""

    url: str
    status: int | None
    error: str | None
    title: str
    word_count: int
    stage: str | None
    confidence: float
    reasons: tuple[str, ...]
    label_source: str
    content_hash: str
    topic: str


@dataclass(frozen=True, slots=True)
class SiteRecord:
    """A configured site: its name, what it audits, and the settings it is audited with."""

    name: str
    target: str
    client_name: str
    settings: dict[str, Any]
    updated_at: str


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One site queued for a worker (the distributed mode): `queued` until a worker takes it,
    `running` while one audits it (or until another takes over from one that died), then
    `done` or `failed`. `spec` is the site's entry of the config file, as the worker reads it."""

    id: int
    site: str
    target: str
    state: str
    spec: dict[str, Any]
    queued_at: str
    sent_at: str | None
    sends: int
    started_at: str | None
    finished_at: str | None
    attempt: int
    worker: str | None
    audit_floor: int
    audit_id: int | None
    report: str | None
    error: str | None
    takeovers: int = 0
    process: str | None = None
    claimed_sends: int = 0

    @property
    def live(self) -> bool:
        """Queued or running: the site cannot be queued again while it is."""
        return self.state in ("queued", "running")
