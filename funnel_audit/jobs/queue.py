"""Queue the due sites for the workers (`run-due --broker`, and beat every day), wait for them,
and send again a job whose message was lost.

Which sites are due is `schedule.py`'s rule, read from the history database exactly as the
local `run-due` reads it. A site is queued by writing its job row first (refused by the database
when the site already has one queued or running: exactly once, however many processes queue at
the same moment), then sending its message. Sending again is always safe, because a worker
ignores a message for a job that is finished or that a live worker holds; so a job whose message
may be gone is simply sent again:

- a job left running by a dead worker (its site lock is free, and no message was sent for it
  since that worker took it up), or queued but its message taken by a worker that died
  (`jobs/liveness.py`): within seconds, by every live worker's reaper (`jobs/worker.py`);
- a job queued with no message sent a minute after it was written (the queueing process died
  in between), or whose last message is older than the visibility timeout (Redis lost it, say):
  by the next `run-due --broker` or beat.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from funnel_audit.config import ScheduleConfig
from funnel_audit.crawl.urls import strip_userinfo
from funnel_audit.errors import BrokerError
from funnel_audit.jobs.app import VISIBILITY_TIMEOUT, send
from funnel_audit.jobs.spec import site_specs
from funnel_audit.ports import AuditStore
from funnel_audit.schedule import Clock, SiteRun, due_date, local_now
from funnel_audit.store.records import JobRecord

if TYPE_CHECKING:
    from celery import Celery

UNSENT_GRACE = timedelta(minutes=1)
LOST_AFTER = timedelta(seconds=VISIBILITY_TIMEOUT)


@dataclass(frozen=True, slots=True)
class Queued:
    """What queueing did with one site: `queued`, `already-queued`, `already-running` or
    `not-due`, with the job's id and a few words."""

    name: str
    status: str
    job_id: int | None = None
    detail: str = ""


def queue_due(
    config: ScheduleConfig, store: AuditStore, app: Celery, clock: Clock = local_now
) -> list[Queued]:
    """Queue every due site of `config` that has no job queued or running; results in config
    order. A broker that fails stops it (BrokerError), the job it failed on marked failed."""
    now = clock()
    specs = site_specs(config)
    out: list[Queued] = []
    for site in config.sites:
        due = due_date(store, site, now)
        if due > now.date():
            out.append(Queued(site.name, "not-due", detail=f"next due {due.isoformat()}"))
            continue
        target = strip_userinfo(site.url)
        job = store.queue_job(site.name, target, specs[site.name], now)
        live = None if job is not None else store.live_job(site.name)
        if job is None and live is None:  # it finished between the two statements
            job = store.queue_job(site.name, target, specs[site.name], now)
        if live is not None:
            resent = resend_if_lost(store, app, live, now)
            out.append(_already(live, resent))
            continue
        if job is None:
            continue
        try:
            send_job(store, app, job, now)
        except BrokerError as exc:
            store.finish_job(job.id, "failed", clock(), error=str(exc))
            raise
        out.append(Queued(site.name, "queued", job.id, f"job {job.id}"))
    return out


def _already(job: JobRecord, resent: bool) -> Queued:
    since = (job.started_at if job.state == "running" else job.queued_at) or ""
    detail = f"job {job.id}, {job.state} since {since[:19].replace('T', ' ')}"
    if job.state == "running" and job.worker:
        detail += f" on {job.worker} (attempt {job.attempt})"
    if resent:
        detail += "; its message was lost: sent again"
    return Queued(job.site, f"already-{job.state}", job.id, detail)


def send_job(store: AuditStore, app: Celery, job: JobRecord, now: datetime) -> bool:
    """Send a message for `job` unless another process has just sent one (True if we did)."""
    if not store.mark_sent(job.id, job.sends, now):
        return False
    send(app, job.id, job.site)
    return True


def _age(stamp: str | None, now: datetime) -> timedelta:
    if not stamp:
        return timedelta.max
    then = datetime.fromisoformat(stamp)
    if (then.tzinfo is None) != (now.tzinfo is None):
        then = then.replace(tzinfo=now.tzinfo)
    return now - then


def resend_if_lost(store: AuditStore, app: Celery, job: JobRecord, now: datetime) -> bool:
    """Send `job` again when its message may be gone (see the module's docstring)."""
    unsent = job.sends == 0 and _age(job.queued_at, now) > UNSENT_GRACE
    stale = job.sends > 0 and _age(job.sent_at, now) > LOST_AFTER
    if not (unsent or stale):
        return False
    if job.state == "running" and store.is_locked(job.site):
        return False  # a live worker has it
    return send_job(store, app, job, now)


def resend_orphans(
    store: AuditStore,
    app: Celery,
    now: datetime,
    held_by_the_dead: Callable[[int], bool] = lambda job_id: False,
) -> list[int]:
    """Send again each job a dead worker left behind: running, its site lock free (the
    database or the kernel dropped it with the worker) and no message sent since it was taken
    up; or queued, its message taken by a worker whose lease ran out (`held_by_the_dead`)."""
    sent = []
    for job in store.jobs(live=True):
        if job.state == "running":
            if job.sends > job.attempt or store.is_locked(job.site):
                continue
        elif job.sends == 0 or not held_by_the_dead(job.id):
            continue
        fresh = store.job(job.id)  # it may have moved on while the lock was looked at
        if fresh is not None and fresh.state == job.state and send_job(store, app, fresh, now):
            sent.append(job.id)
    return sent


def wait_for(
    store: AuditStore,
    ids: Sequence[int],
    on_done: Callable[[JobRecord], None],
    poll: float = 1.0,
) -> list[JobRecord]:
    """Wait until every job of `ids` is done or failed, calling `on_done` as each finishes."""
    pending = set(ids)
    finished: dict[int, JobRecord] = {}
    while pending:
        for job in store.jobs(sorted(pending)):
            if not job.live:
                pending.discard(job.id)
                finished[job.id] = job
                on_done(job)
        if pending:
            time.sleep(poll)
    return [finished[i] for i in ids]


def job_run(store: AuditStore, job: JobRecord) -> SiteRun:
    """A finished job as `run-due` prints a site: complete (with its pages) or failed."""
    seconds = 0.0
    if job.started_at and job.finished_at:
        seconds = round(
            _age(job.started_at, datetime.fromisoformat(job.finished_at)).total_seconds(), 1
        )
    if job.state == "failed":
        return SiteRun(job.site, "failed", error=job.error or "failed", seconds=seconds)
    audit = store.audit(job.audit_id) if job.audit_id is not None else None
    pages = int((audit.summary or {}).get("pages", 0)) if audit is not None else 0
    where = job.report or (f"audit {job.audit_id} in the history database" if job.audit_id else "")
    return SiteRun(
        job.site, "complete", audit_id=job.audit_id, pages=pages, report=where, seconds=seconds
    )
