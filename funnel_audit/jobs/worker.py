"""`funnel-audit worker`: a Celery worker (prefork pool) that audits one site per task.

The main process takes messages and hands each to a pool process, which audits the site
(`jobs/runner.py`). The main process also runs the reaper: every few seconds it looks for jobs a
dead worker left running and sends them again (`jobs/queue.resend_orphans`), so killing a worker
(even SIGKILL of its main process and pool together) loses no site. Stopping it with SIGTERM is
Celery's warm shutdown: no new task, the audits in flight run to their end.

Nothing it prints or logs carries a password: Celery's banner is off, this module prints the
broker and the database with their passwords hidden, and a filter on every log handler hides
any that a library would write.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from typing import Any

from funnel_audit.jobs.app import make_app, password_of_url, register
from funnel_audit.jobs.liveness import Liveness
from funnel_audit.jobs.queue import resend_orphans
from funnel_audit.jobs.runner import BUSY, WorkerContext, run_job
from funnel_audit.schedule import local_now
from funnel_audit.store.location import password_of, redact_all
from funnel_audit.store.open import open_store

REAP_SECONDS = 5.0
log = logging.getLogger("funnel_audit.jobs")
_CONTEXT: list[WorkerContext] = []  # set once in the main process, inherited by the pool


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
    outcome = run_job(job_id, ctx, site)
    if outcome == BUSY:
        delay = ctx.busy_host_delay * random.uniform(0.8, 1.2)  # noqa: S311 - spreading retries
        log.info(
            "job %s: its host is being crawled by another worker; again in %.0f s", job_id, delay
        )
        raise task.retry(countdown=delay, max_retries=None)
    return outcome


def _reap(ctx: WorkerContext, app: Any, stop: threading.Event, alive: Liveness) -> None:  # noqa: ANN401
    while not stop.is_set():
        alive.renew(ctx.name)
        try:
            # a store of its own for each round: no connection lingers into a pool process
            # forked meanwhile
            with open_store(ctx.db) as store:
                for job_id in resend_orphans(store, app, local_now(), alive.held_by_the_dead):
                    alive.forget(job_id)
                    log.warning("job %s was left by a worker that died: sent again", job_id)
        except Exception as exc:  # noqa: BLE001 - the reaper must outlive a database blink
            log.warning("could not look for jobs left by dead workers: %s", exc)
        stop.wait(REAP_SECONDS)


def node_name() -> str:
    """This worker's Celery node name, unique per process (several may run on one machine)."""
    return f"funnel-audit-{os.getpid()}@{socket.gethostname()}"


def run_worker(ctx: WorkerContext, concurrency: int) -> int:
    """Run the worker until it is stopped; its exit code."""
    from celery import signals

    app = make_app(ctx.broker)
    register(app, _audit_task)
    _CONTEXT[:] = [ctx]
    secrets = (password_of(ctx.db), password_of_url(ctx.broker))
    stop = threading.Event()
    alive = Liveness(ctx.broker)
    alive.renew(ctx.name)

    def start_reaper(**_: object) -> None:
        threading.Thread(
            target=_reap, args=(ctx, app, stop, alive), name="reaper", daemon=True
        ).start()

    def note_holder(request: Any = None, **_: object) -> None:  # noqa: ANN401
        args = getattr(request, "args", None) or ()
        if args and isinstance(args[0], int):
            alive.hold(args[0], ctx.name)

    redact_celery_logs(*secrets)
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
