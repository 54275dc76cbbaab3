"""What a worker does with one message: take up its job, audit the site, close the job.

In order, so that no two workers ever audit one site and a dead worker's audit is finished by
the next one:

1. the job is read; a job that is done or failed (a duplicate message) does nothing;
2. the site's lock is taken (a PostgreSQL advisory lock, which the server drops when a dead
   worker's connection goes): if another worker holds it, this message is a duplicate;
3. the host's lock, likewise: one host is crawled by one worker at a time, on any machine; a
   busy host sends the task back to the queue for later (`BUSY`), which is not a failure;
4. the job is claimed (running, attempt + 1), and the site audited if it is still due: when a
   dead worker left an audit of this job unfinished, it is resumed (its committed pages are
   kept, not fetched again); every request passes through the cap shared by all workers;
5. the job is closed as done (with its audit and report folder) or failed (one line).

A database that cannot be reached (StoreUnavailable) at any step is not the site's failure: it
goes up to the task (`jobs/worker.py`), which waits and runs the job again; the lost connection
took the locks with it, so the next try takes them afresh and resumes the audit.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from funnel_audit.config import SiteConfig
from funnel_audit.errors import FunnelAuditError, StoreUnavailable
from funnel_audit.jobs.gate import SharedGate
from funnel_audit.jobs.spec import site_from_spec
from funnel_audit.ports import AuditStore
from funnel_audit.schedule import Clock, audit_due, local_now
from funnel_audit.store.location import Location
from funnel_audit.store.open import open_store
from funnel_audit.store.records import AuditRecord, JobRecord

if TYPE_CHECKING:
    from funnel_audit.read.reading import ModelSource

BUSY = "busy"
DEFAULT_PORTS = {"http": 80, "https": 443}  # so `https://h/` and `https://h:443/` share a lock
MAX_TAKEOVERS = 3  # workers that may die on one job before it is failed
log = logging.getLogger("funnel_audit.jobs")
_PROCESS: dict[tuple[int, str], str] = {}


@dataclass(frozen=True, slots=True)
class WorkerContext:
    """What every task of one worker shares: set before the worker starts, inherited by its
    pool processes."""

    db: Location
    broker: str
    model: ModelSource  # the shipped model's loader, or a model file's
    parsers: int | None
    output_dir: Path | None
    max_in_flight: int
    busy_host_delay: float
    name: str


def host_key(url: str) -> str | None:
    """What one-at-a-time politeness is keyed by: a URL's host and port (None for a folder)."""
    if "://" not in url:
        return None
    parts = urlsplit(url)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    return f"{(parts.hostname or '').lower()}:{port}"


@contextlib.contextmanager
def host_lock(store: AuditStore, url: str) -> Iterator[bool]:
    """Hold the lock of `url`'s host (always free for a folder); False when another holds it."""
    key = host_key(url)
    if key is None:
        yield True
        return
    with store.site_lock("host~" + hashlib.sha256(key.encode()).hexdigest()[:20]) as free:
        yield free


def run_job(job_id: int, ctx: WorkerContext, site_name: str, clock: Clock = local_now) -> str:
    """Do job `job_id` of `site_name`; what became of it: complete, not-due, failed, duplicate
    (nothing to do) or BUSY (try again later)."""
    with open_store(ctx.db) as store:
        job = store.job(job_id)
        if job is None or job.site != site_name:
            log.warning(
                "job %s (%s) is not in this worker's history database: ignored (give every "
                "worker the --db that run-due and beat use)",
                job_id,
                site_name,
            )
            return "duplicate"
        if not job.live:
            return "duplicate"
        try:
            site = site_from_spec(job.spec)
        except FunnelAuditError as exc:
            store.finish_job(job.id, "failed", clock(), error=str(exc)[:500])
            return "failed"
        with store.site_lock(job.site) as mine:
            if not mine:
                return "duplicate" if job.state == "running" else BUSY
            with host_lock(store, site.url) as free:
                if not free:
                    return BUSY
                claimed = store.claim_job(job.id, ctx.name, clock(), process_name(ctx.name))
                if claimed is None:
                    return "duplicate"
                return _audit(store, claimed, site, ctx, clock)


def _audit(
    store: AuditStore, job: JobRecord, site: SiteConfig, ctx: WorkerContext, clock: Clock
) -> str:
    left, done = _own_audits(store, job, site.url)
    if job.takeovers >= MAX_TAKEOVERS:
        error = f"a worker died while auditing it, {job.takeovers} times: given up"
        if left is not None:  # else it would read as running for good
            store.finish_audit(left.id, clock(), "failed", error=error)
        store.finish_job(job.id, "failed", clock(), error=error)
        log.error("job %s %s: %s", job.id, job.site, error)
        return "failed"
    if done is not None:  # its process lost the database between the audit's end and the job's
        store.finish_job(job.id, "done", clock(), audit_id=done.id)
        log.info("job %s %s: its audit %s was complete already", job.id, job.site, done.id)
        return "complete"
    resume = left is not None
    log.info(
        "job %s %s: auditing %s (attempt %s%s)",
        job.id,
        job.site,
        job.target,
        job.attempt,
        ", resuming the audit left unfinished" if resume else "",
    )
    out_dir = ctx.output_dir / site.name / clock().date().isoformat() if ctx.output_dir else None
    gate = SharedGate(ctx.broker, ctx.max_in_flight, float(site["timeout"]))
    try:
        run = audit_due(
            store,
            site,
            clock,
            ctx.model,
            ctx.parsers,
            out_dir=out_dir,
            resume=resume,
            gate=gate,
            retry_on=(StoreUnavailable,),
        )
    finally:
        gate.close()
    if run.status == "failed":
        store.finish_job(job.id, "failed", clock(), error=run.error or "failed")
        log.warning("job %s %s: failed: %s", job.id, job.site, run.error)
    elif run.status == "not-due":
        last = store.last_complete(job.target)
        store.finish_job(job.id, "done", clock(), audit_id=last.id if last else None)
        log.info("job %s %s: no longer due (audited since it was queued)", job.id, job.site)
    else:
        store.finish_job(job.id, "done", clock(), audit_id=run.audit_id, report=run.report or None)
        log.info(
            "job %s %s: complete, %s pages in %.1f s", job.id, job.site, run.pages, run.seconds
        )
    return run.status


def _own_audits(
    store: AuditStore, job: JobRecord, url: str
) -> tuple[AuditRecord | None, AuditRecord | None]:
    """The newest unfinished and the newest complete audit started for this job (newer than
    every audit there was when it was queued), from one read of the site's audits."""
    from funnel_audit.audit import resolve_target
    from funnel_audit.store.identity import site_identity

    try:
        target = site_identity(*resolve_target(url))[1]
    except FunnelAuditError:
        return None, None
    ours = [a for a in store.audits(target) if a.target == target and a.id > job.audit_floor]
    left = [a for a in ours if not a.complete]
    done = [a for a in ours if a.complete]
    return (left[-1] if left else None), (done[-1] if done else None)


def process_name(node: str) -> str:
    """This process's name in the jobs table: its worker's node name, its process id and a
    random part (a pool process that dies is replaced by one with a new id, maybe one used
    before). Fixed for the life of the process."""
    pid = os.getpid()
    return _PROCESS.setdefault((pid, node), f"{node} pid {pid}-{secrets.token_hex(2)}")
