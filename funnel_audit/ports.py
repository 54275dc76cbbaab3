"""The seams between the audit's steps, as Protocols with typed records in and out.

A step depends on these, not on the classes behind them, so another page reader (say, a remote
one), another classifier or another store slots in without touching the steps around it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from funnel_audit.models import AuditResult, CalendarEntry, FetchedPage, Gap, PageResult
from funnel_audit.store.records import AuditRecord, JobRecord, SiteRecord, StoredPage

if TYPE_CHECKING:
    import numpy as np

    from funnel_audit.classify.features import Doc
    from funnel_audit.classify.model import Prediction
    from funnel_audit.read.reading import Reading


class PageReader(Protocol):
    """Reads fetched pages (main text, links, the model's verdict) for the crawl that owns it.

    `submit` may read elsewhere (a parser process) and returns a Future of the outcome: a
    `Reading`, or a short error string for a page that cannot be read. A Future that fails means
    the reader lost the page; the crawl then calls `read`, which reads it here and now."""

    version: str

    def submit(self, page: FetchedPage) -> Future[Reading | str]:
        """Start reading `page`; the Future holds its reading, or why it cannot be read."""
        ...

    def read(self, page: FetchedPage) -> Reading | str:
        """Read `page` in this process, now (also when a submitted page was lost)."""
        ...

    def close(self) -> None:
        """Release what the reader holds (parser processes); it reads no more pages."""
        ...


@dataclass(frozen=True, slots=True)
class ReadPage:
    """What a crawl with a reader yields, once per page: the page as fetched (its HTML
    dropped) and its reading, or why it has none (a fetch error, or a page that could not be
    read: then `reading` is None and `error` says why)."""

    page: FetchedPage
    reading: Reading | None
    error: str | None = None


@runtime_checkable
class Classifier(Protocol):
    """A fitted funnel-stage model as the reader and the site-level pass use it: page tokens
    counted once, weighed, scored; the calibrated scores and reasons per page."""

    @property
    def version(self) -> str:
        """The model's version, stored with each audit so re-audits know what read it."""
        ...

    @property
    def classes(self) -> list[str]:
        """The labels it gives, in the order of its score columns."""
        ...

    @property
    def n_features(self) -> int:
        """The number of feature columns (token counts index them)."""
        ...

    def token_counts(self, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
        """A page's known tokens as (columns, counts), before weighting."""
        ...

    def weigh(self, cols: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of weighed features from token counts."""
        ...

    def logits_of(self, vectors: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Uncalibrated class scores of weighed vectors."""
        ...

    def predict(self, docs: Sequence[Doc], n_reasons: int = 4) -> list[Prediction]:
        """A prediction (label, confidence, scores, reasons) per document."""
        ...

    def predict_vectors(
        self,
        vectors: Sequence[tuple[np.ndarray, np.ndarray]],
        n_reasons: int = 4,
        prior: np.ndarray | None = None,
        quiet: np.ndarray | None = None,
    ) -> list[Prediction]:
        """Predictions from weighed vectors, with an optional prior and reason mask."""
        ...


class RequestGate(Protocol):
    """What every HTTP request of a crawl passes through before it goes out. On one machine it
    is `OPEN_GATE` and does nothing; a distributed worker's gate holds a slot of a cap shared by
    every worker (`jobs/gate.py`), so the requests in flight across machines stay under it."""

    def slot(self) -> AbstractContextManager[object]:
        """Held while one request is in flight (sent, and its body read)."""
        ...


class _OpenGate:
    """The gate of a crawl on one machine: no cap, no cost."""

    def slot(self) -> AbstractContextManager[object]:
        return nullcontext()


OPEN_GATE: RequestGate = _OpenGate()


class AuditStore(Protocol):
    """Where audits outlast a run: written as pages stream in, read by re-audits, `history`,
    `diff` and the report's "since the last audit". Returns typed records, never rows.
    `store/history.py` (SQLite, the default) and `store/postgres.py` (PostgreSQL, shared by
    several machines) implement it with the same SQL (`store/sql.py`); `store.open_store` picks
    one from the location (a path or a `postgresql://` URL)."""

    def start_audit(
        self,
        site: str,
        target: str,
        started_at: datetime,
        settings: dict[str, Any],
        model_version: str,
    ) -> int:
        """Record a new running audit and return its id."""
        ...

    def reopen_audit(self, audit_id: int) -> None:
        """Mark an unfinished audit as running again (a resumed run)."""
        ...

    def add_pages(
        self,
        audit_id: int,
        pages: Iterable[PageResult],
        topic_texts: Mapping[str, str] | None = None,
        evidence: Callable[[str], bytes | None] | None = None,
    ) -> None:
        """Commit a batch of pages with their topic texts and token counts, all or nothing."""
        ...

    def set_model_version(self, audit_id: int, model_version: str) -> None:
        """Record the version of the model that read an audit's pages."""
        ...

    def set_stages(self, audit_id: int, pages: Sequence[PageResult]) -> None:
        """Store the stages the site-level pass settled on."""
        ...

    def set_topics(self, audit_id: int, topics: dict[str, str]) -> None:
        """Store each page's topic name."""
        ...

    def record_findings(
        self, audit_id: int, gaps: Sequence[Gap], calendar: Sequence[CalendarEntry]
    ) -> None:
        """Keep the gaps and calendar with the audit."""
        ...

    def finish_audit(
        self,
        audit_id: int,
        finished_at: datetime,
        status: str,
        summary: dict[str, Any] | None = None,
        error: str | None = None,
        model_version: str | None = None,
    ) -> None:
        """Close an audit as complete, failed or interrupted."""
        ...

    def save_result(self, audit_id: int, result: AuditResult) -> None:
        """Keep an audit's whole result (what audit.json holds), replacing any saved before."""
        ...

    def load_result(self, audit_id: int) -> AuditResult | None:
        """The result saved with an audit; None when it has none (older or unfinished audits)."""
        ...

    def audits(self, site: str | None = None) -> list[AuditRecord]:
        """Audits oldest first; `site` matches the site key, the target or a configured name."""
        ...

    def audit(self, audit_id: int) -> AuditRecord | None:
        """One audit with its settings, gaps and calendar."""
        ...

    def latest_unfinished(self, target: str) -> AuditRecord | None:
        """The newest audit of `target` that did not complete."""
        ...

    def last_complete(self, site: str) -> AuditRecord | None:
        """The newest complete audit of a site."""
        ...

    def page_results(self, audit_id: int) -> list[tuple[PageResult, str]]:
        """An audit's pages with their topic texts, to reuse without fetching."""
        ...

    def iter_page_results(self, audit_id: int) -> Iterator[tuple[PageResult, str]]:
        """`page_results` a row at a time (big sites)."""
        ...

    def page_evidence(self, audit_id: int) -> Iterator[tuple[str, bytes]]:
        """(url, the model's token counts) of each stored page that has them."""
        ...

    def pages(self, audit_id: int) -> list[StoredPage]:
        """An audit's pages as `history` and `diff` show them."""
        ...

    def stage_counts(self, audit_id: int) -> dict[str, int]:
        """Pages per stage of an audit."""
        ...

    def upsert_site(
        self,
        name: str,
        target: str,
        settings: dict[str, Any],
        *,
        client_name: str = "",
        now: datetime | None = None,
    ) -> None:
        """Remember a configured site's name, target and settings."""
        ...

    def sites(self) -> list[SiteRecord]:
        """The configured sites, by name."""
        ...

    def site_lock(self, name: str) -> AbstractContextManager[bool]:
        """Hold a site's lock while auditing it; yields False at once if another run holds it."""
        ...

    def is_locked(self, name: str) -> bool:
        """Whether some run holds the site's lock."""
        ...

    def queue_job(
        self, site: str, target: str, spec: dict[str, Any], now: datetime
    ) -> JobRecord | None:
        """Queue a job for a site; None when it has one queued or running already (a
        constraint in the database: two processes queueing one site at once write one row)."""
        ...

    def job(self, job_id: int) -> JobRecord | None:
        """One job, or None."""
        ...

    def live_job(self, site: str) -> JobRecord | None:
        """The site's queued or running job, if any."""
        ...

    def jobs(self, ids: Sequence[int] | None = None, *, live: bool = False) -> list[JobRecord]:
        """Jobs oldest first: these ids or all; only queued or running ones with `live`."""
        ...

    def mark_sent(self, job_id: int, sends: int, attempt: int, now: datetime) -> bool:
        """Count one more message for a live job if its row still reads `sends` and `attempt`
        (one of two racing senders wins; a claim in between cancels it)."""
        ...

    def unmark_sent(self, job_id: int, sends: int) -> None:
        """Take back a send `mark_sent(job_id, sends)` counted whose message never left."""
        ...

    def claim_job(
        self, job_id: int, worker: str, now: datetime, process: str | None = None
    ) -> JobRecord | None:
        """A worker's process takes up a live job: running, attempt + 1 (and takeovers + 1
        when another process had it running); None if it finished meanwhile."""
        ...

    def finish_job(
        self,
        job_id: int,
        state: str,
        now: datetime,
        *,
        audit_id: int | None = None,
        report: str | None = None,
        error: str | None = None,
    ) -> None:
        """Close a job as done or failed."""
        ...

    def close(self) -> None:
        """Release the store's connections."""
        ...

    def __enter__(self) -> AuditStore:
        """Use as a context manager: closed on exit."""
        ...

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        ...
