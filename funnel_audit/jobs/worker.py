"""`funnel-audit worker`: a Celery worker (prefork pool) that audits one site per task.

The main process takes messages and hands each to a pool process, which audits the site
(`jobs/runner.py`). The main process also runs the reaper: every few seconds it looks for jobs
whose message is gone (a dead worker's, one Redis lost) and sends them again
(`jobs/queue.resend_lost`), so killing a worker (even SIGKILL of its main process and pool
together) loses no site. Stopping it with SIGTERM is Celery's warm shutdown: no new task, the
audits in flight run to their end.

A history database that cannot be reached is waited for: the task tries again in place for as
long as it takes (its message stays unacknowledged and its worker's lease alive, so no other
worker takes the job over), and resumes its audit when the database is back. The job is never
dropped while the database is away, never failed for it, and no worker death is counted.

Nothing it prints or logs carries a password: Celery's banner is off, this module prints the
broker and the database with their passwords hidden, and a filter on every log handler hides
any that a library would write.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from typing import Any

from funnel_audit.errors import StoreUnavailable
from funnel_audit.jobs.app import make_app, password_of_url, register
from funnel_audit.jobs.liveness import Liveness
from funnel_audit.jobs.messages import BrokerMessages
from funnel_audit.jobs.queue import resend_lost
from funnel_audit.jobs.runner import BUSY, WorkerContext, run_job
from funnel_audit.schedule import local_now
from funnel_audit.store.location import password_of, redact_all
from funnel_audit.store.open import open_store

REAP_SECONDS = 5.0
SCAN_SECONDS = 30.0  # how often the reaper reads the broker's messages to find lost ones
MAX_OUTAGE_PAUSE = 5.0  # seconds between two tries while the history database is away
log = logging.getLogger("funnel_audit.jobs")
# set once in the main process, inherited by the pool
_CONTEXT: list[WorkerContext] = []
_ALIVE: list[Liveness] = []


class Redacting(logging.Filter):
    """Hides passwords (of any URL, and the ones given) in every record a handler writes."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's text (and traceback) without passwords; always keep it."""
        text = record.getMessage()
        clean = redact_all(text, *self.secrets)
        if clean != text:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_all(record.exc_text, *self.secrets)
        return True


def redact_celery_logs(*secrets: str) -> None:
    """Put one `Redacting` filter on every handler Celery sets up (root and task loggers), so
    no password reaches a log line; a handler that has one already is left as it is."""
    from celery import signals

    def redact_handlers(logger: logging.Logger | None = None, **_: object) -> None:
        for handler in logging.getLogger().handlers + (logger.handlers if logger else []):
            if not any(isinstance(f, Redacting) for f in handler.filters):
                handler.addFilter(Redacting(*secrets))

    signals.after_setup_logger.connect(redact_handlers, weak=False)
    signals.after_setup_task_logger.connect(redact_handlers, weak=False)


def _audit_task(task: Any, job_id: int, site: str) -> str:  # noqa: ANN401 - Celery's task
    ctx = _CONTEXT[0]
    outcome = _through_outages(job_id, site, ctx)
    if outcome == BUSY:
        delay = ctx.busy_host_delay * random.uniform(0.8, 1.2)  # noqa: S311 - spreading retries
        log.info(
            "job %s: its host is being crawled by another worker; again in %.0f s", job_id, delay
        )
        raise task.retry(countdown=delay, max_retries=None)
    if _ALIVE:
        _ALIVE[0].forget(job_id, ctx.name)
    return outcome


def _through_outages(job_id: int, site: str, ctx: WorkerContext) -> str:
    """`run_job`, tried again for as long as the history database cannot be reached. The task
    waits in place: its message stays unacknowledged and its worker alive, so no other worker
    takes the job over meanwhile (`jobs/queue.py`), and once the database is back this process
    takes its job up again and resumes the audit (a lost connection took the site's lock with
    it, and the first write after it failed)."""
    pause = 1.0
    while True:
        try:
            return run_job(job_id, ctx, site)
        except StoreUnavailable as exc:
            log.warning("job %s %s: %s; trying again in %.0f s", job_id, site, exc, pause)
            time.sleep(pause)
            pause = min(pause * 2, MAX_OUTAGE_PAUSE)


def _keep_alive(ctx: WorkerContext, stop: threading.Event, alive: Liveness) -> None:
    """Renew this worker's lease, in a thread of its own so that a slow database (which the
    reaper waits on) never lets it run out."""
    while not stop.is_set():
        alive.renew(ctx.name)
        stop.wait(REAP_SECONDS)


def _reap(ctx: WorkerContext, app: Any, stop: threading.Event, alive: Liveness) -> None:  # noqa: ANN401
    messages = BrokerMessages(ctx.broker)
    scanned = 0.0
    while not stop.is_set():
        scan = time.monotonic() - scanned >= SCAN_SECONDS
        try:
            # a store of its own for each round: no connection lingers into a pool process
            # forked meanwhile
            with open_store(ctx.db) as store:
                found = resend_lost(store, app, local_now(), alive, messages if scan else None)
            if scan:
                scanned = time.monotonic()
            for job, why in found:
                log.warning("job %s %s %s: sent again", job.id, job.site, why)
        except Exception as exc:  # noqa: BLE001 - the reaper must outlive a database blink
            log.warning("could not look for jobs whose message is gone: %s", exc)
        stop.wait(REAP_SECONDS)
    messages.close()


def node_name() -> str:
    """This worker's Celery node name, unique per process (several may run on one machine) and
    per start (a restarted container's worker often has the same process id as the dead one,
    and must not look like it to the reaper)."""
    return f"funnel-audit-{os.getpid()}-{secrets.token_hex(3)}@{socket.gethostname()}"


def run_worker(ctx: WorkerContext, concurrency: int) -> int:
    """Run the worker until it is stopped; its exit code."""
    from celery import signals

    app = make_app(ctx.broker)
    register(app, _audit_task)
    _CONTEXT[:] = [ctx]
    hidden = (password_of(ctx.db), password_of_url(ctx.broker))
    stop = threading.Event()
    alive = Liveness(ctx.broker)
    _ALIVE[:] = [alive]
    alive.renew(ctx.name)

    threading.Thread(target=_keep_alive, args=(ctx, stop, alive), name="lease", daemon=True).start()

    def start_reaper(**_: object) -> None:
        threading.Thread(
            target=_reap, args=(ctx, app, stop, alive), name="reaper", daemon=True
        ).start()

    def note_holder(request: Any = None, **_: object) -> None:  # noqa: ANN401
        args = getattr(request, "args", None) or ()
        if args and isinstance(args[0], int):
            alive.hold(args[0], ctx.name)

    redact_celery_logs(*hidden)
    signals.worker_ready.connect(start_reaper, weak=False)
    signals.task_received.connect(note_holder, weak=False)
    worker = app.Worker(
        hostname=ctx.name,
        concurrency=concurrency,
        pool_cls="prefork",
        loglevel="INFO",
        quiet=True,
        without_mingle=True,
        without_gossip=True,
        optimization="fair",
    )
    try:
        worker.start()
    finally:
        stop.set()
        alive.close()
    return int(worker.exitcode or 0)
