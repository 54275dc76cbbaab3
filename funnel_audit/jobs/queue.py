"""Queue the due sites for the workers (`run-due --broker`, and beat every day), wait for them,
and send again a job whose message was lost.

Which sites are due is `schedule.py`'s rule, read from the history database exactly as the
local `run-due` reads it. A site is queued by writing its job row first (refused by the database
when the site already has one queued or running: exactly once, however many processes queue at
the same moment), then sending its message. Sending again is always safe, because a worker
ignores a message for a job that is finished or that a live worker holds; so a job whose message
may be gone is simply sent again (`resend_lost`), by every live worker's reaper every few
seconds (`jobs/worker.py`) and by each `run-due --broker` and beat:

- a job left running by a dead worker: its site lock is free, no message was sent for it since
  that worker took it up (`sends <= claimed_sends`), and the worker's lease has run out
  (`jobs/liveness.py`; a live worker whose lock went with a lost connection is waiting for the
  database, and takes its job up again itself);
- a job whose last message a worker took and then died before starting it (its lease ran out);
- a job queued with no message sent a minute after it was written (the queueing process died
  in between, or the broker could not be reached);
- a job whose last message is over a minute old and is nowhere in the broker, neither waiting
  nor taken (`jobs/messages.py`): Redis lost its data, or a retry could not be published.

Each send is counted in the job's row by a conditional update on the count the sender read, so
of two reapers deciding at once only one sends; a send the broker refused is taken back.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from funnel_audit.config import ScheduleConfig
from funnel_audit.crawl.urls import strip_userinfo
from funnel_audit.errors import BrokerError, StoreError
from funnel_audit.jobs.app import send
from funnel_audit.jobs.spec import site_specs
from funnel_audit.ports import AuditStore
from funnel_audit.schedule import Clock, SiteRun, due_date, local_now
from funnel_audit.store.reconnect import Reconnecting
from funnel_audit.store.records import JobRecord

if TYPE_CHECKING:
    from celery import Celery

    from funnel_audit.jobs.liveness import Liveness
    from funnel_audit.jobs.messages import BrokerMessages

UNSENT_GRACE = timedelta(minutes=1)
LOST_GRACE = timedelta(minutes=1)  # a message this old, in neither the queue nor a worker's hands
# a job whose worker died, with a message counted since its claim that is not waiting in the
# queue, is sent again once that message is this old (and so at most this often)
ORPHAN_GRACE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Queued:
    """What queueing did with one site: `queued`, `already-queued`, `already-running` or
    `not-due`, with the job's id and a few words."""

    name: str
    status: str
    job_id: int | None = None
    detail: str = ""
    unsent: str = ""  # why its message could not be sent (the broker's one-line error)


def queue_due(
    config: ScheduleConfig,
    store: AuditStore,
    app: Celery,
    clock: Clock = local_now,
    messages: BrokerMessages | None = None,
    alive: Liveness | None = None,
) -> list[Queued]:
    """Queue every due site of `config` that has no job queued or running, and send again the
    live jobs of its sites whose message is gone; results in config order. Once the broker
    fails a send, the rest are written but not sent (`unsent`): they stay queued, and the
    workers send them when it is back (`resend_lost`: "was never sent")."""
    now = clock()
    specs = site_specs(config)
    out: list[Queued | JobRecord] = []  # a live job's line waits for what resending did
    broken = ""
    for site in config.sites:
        due = due_date(store, site, now)
        if due > now.date():
            out.append(Queued(site.name, "not-due", detail=f"next due {due.isoformat()}"))
            continue
        target = strip_userinfo(site.url)
        job = store.queue_job(site.name, target, specs[site.name], now)
        running = None if job is not None else store.live_job(site.name)
        if job is None and running is None:  # it finished between the two statements
            job = store.queue_job(site.name, target, specs[site.name], now)
        if running is not None:
            out.append(running)
            continue
        if job is None:
            continue
        if not broken:
            try:
                send_job(store, app, job, now)
            except BrokerError as exc:
                broken = str(exc)
        detail = f"job {job.id}" + (", not sent yet (the broker failed)" if broken else "")
        out.append(Queued(site.name, "queued", job.id, detail, broken))
    live = [item for item in out if isinstance(item, JobRecord)]
    resent: set[int] = set()
    if not broken:
        resent = {job.id for job, _ in resend_lost(store, app, now, alive, messages, live)}
    return [_already(i, i.id in resent) if isinstance(i, JobRecord) else i for i in out]


def _already(job: JobRecord, resent: bool) -> Queued:
    since = (job.started_at if job.state == "running" else job.queued_at) or ""
    detail = f"job {job.id}, {job.state} since {since[:19].replace('T', ' ')}"
    if job.state == "running" and job.worker:
        detail += f" on {job.worker} (attempt {job.attempt})"
    if resent:
        detail += "; its message was lost: sent again"
    return Queued(job.site, f"already-{job.state}", job.id, detail)


def send_job(store: AuditStore, app: Celery, job: JobRecord, now: datetime) -> bool:
    """Send a message for `job` unless another process has sent one since `job` was read (True
    if we did). A message the broker refuses is not counted (BrokerError goes up)."""
    if not store.mark_sent(job.id, job.sends, job.attempt, now):
        return False
    try:
        send(app, job.id, job.site)
    except BrokerError:
        with contextlib.suppress(StoreError):  # else the job reads as sent: found lost later
            store.unmark_sent(job.id, job.sends)
        raise
    return True


def _age(stamp: str | None, now: datetime) -> timedelta:
    if not stamp:
        return timedelta.max
    then = datetime.fromisoformat(stamp)
    if (then.tzinfo is None) != (now.tzinfo is None):
        then = then.replace(tzinfo=now.tzinfo)
    return now - then


def _why_send(
    job: JobRecord, now: datetime, dead_holders: Mapping[int, str], dead_workers: set[str]
) -> str:
    """Why `job`, whose site no live process holds, must be sent again ('' if nothing says so),
    from its row, the jobs whose message a dead worker took last (`dead_holders`) and the
    workers whose lease ran out (`dead_workers`)."""
    if job.state == "running" and job.sends <= job.claimed_sends:
        # no message since it was taken up: only its own worker can take it up again (after an
        # outage), and only while that worker lives
        return "was left by a worker that died" if job.worker in dead_workers else ""
    if job.sends == 0:
        return "was never sent" if _age(job.queued_at, now) > UNSENT_GRACE else ""
    if job.id in dead_holders:
        return "was taken by a worker that died before starting it"
    return ""


def resend_lost(
    store: AuditStore,
    app: Celery,
    now: datetime,
    alive: Liveness | None = None,
    messages: BrokerMessages | None = None,
    jobs: Sequence[JobRecord] | None = None,
) -> list[tuple[JobRecord, str]]:
    """Send again each live job (of `jobs`, or every one) whose message is gone, as the
    module's docstring lists; with `messages`, also those whose message the broker lost. Each
    job sent, with why. Without `alive` (no Redis to ask), every worker is taken for dead."""
    live = store.jobs(live=True) if jobs is None else list(jobs)
    free = [job for job in live if not (job.state == "running" and store.is_locked(job.site))]
    workers = {job.worker for job in free if job.state == "running" and job.worker}
    dead_holders: dict[int, str] = {}
    if alive is None:
        dead_workers = workers
    else:
        dead_holders = alive.held_by_the_dead([job.id for job in free if job.sends])
        dead_workers = alive.dead_nodes(workers)
    sent: list[tuple[JobRecord, str]] = []
    suspects: list[JobRecord] = []
    orphans: list[JobRecord] = []
    for job in free:
        why = _why_send(job, now, dead_holders, dead_workers)
        if why:
            if send_job(store, app, job, now):
                sent.append((job, why))
                if job.id in dead_holders and alive is not None:
                    # only the dead holder's note: the new message's receiver may have noted
                    # itself already
                    alive.forget(job.id, dead_holders[job.id])
        elif job.state == "running" and job.worker in dead_workers:
            if _age(job.sent_at, now) > ORPHAN_GRACE:
                orphans.append(job)
        elif job.sends > 0 and _age(job.sent_at, now) > LOST_GRACE:
            suspects.append(job)
    if messages is not None and orphans:
        # its worker died with a message counted after its claim that is not waiting: that
        # message was ignored, refused or is held where no one will run it
        seen = messages.look()
        if seen is not None:
            for job in orphans:
                if (job.id, job.site) not in seen[0] and send_job(store, app, job, now):
                    sent.append((job, "was left by a worker that died"))
    if messages is not None and suspects:
        gone = messages.missing((job.id, job.site) for job in suspects)
        for job in suspects:
            if job.id in gone and send_job(store, app, job, now):
                sent.append((job, "lost its message"))
    return sent


def wait_for(
    db: Reconnecting,
    ids: Sequence[int],
    on_done: Callable[[JobRecord], None],
    poll: float = 1.0,
) -> list[JobRecord]:
    """Wait until every job of `ids` is done or failed, calling `on_done` as each finishes; a
    database that goes away for a while is waited for too."""
    pending = set(ids)
    finished: dict[int, JobRecord] = {}
    while pending:
        for job in db.read(lambda store: store.jobs(sorted(pending))):
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
