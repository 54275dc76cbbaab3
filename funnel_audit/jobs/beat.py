"""`funnel-audit beat`: Celery beat, queueing the due sites once at its start and then every day
at `beat_at` (local time), as `run-due --broker` does.

Its one periodic entry runs in beat's own process instead of being sent as a message: the
config file is read here, on the machine beat runs on, each time (so an edited file counts from
the next run on), and the workers receive only the audit tasks it queues. Queueing is
exactly-once in the database, so a second beat, a restarted one or a `run-due --broker` beside it
queues nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from funnel_audit.config import ScheduleConfig
from funnel_audit.jobs.app import make_app
from funnel_audit.jobs.messages import broker_watch
from funnel_audit.jobs.queue import Queued, queue_due
from funnel_audit.jobs.worker import redact_celery_logs
from funnel_audit.schedule import local_now
from funnel_audit.store.location import Location, password_of
from funnel_audit.store.open import open_store

ENTRY = "funnel-audit: queue the due sites"
log = logging.getLogger("funnel_audit.jobs")


def queue_once(
    load: Callable[[], ScheduleConfig],
    db: Location,
    app: Any,  # noqa: ANN401 - Celery's app
) -> list[Queued]:
    """Read the config file and queue its due sites; one log line per site queued."""
    config = load()
    with open_store(db) as store, broker_watch(str(app.conf.broker_url)) as (messages, alive):
        results = queue_due(config, store, app, local_now, messages, alive)
    for item in results:
        if item.status == "queued":
            log.info("queued %s (%s)", item.name, item.detail)
    unsent = [item for item in results if item.unsent]
    if unsent:
        log.warning(
            "%s; %s job(s) are in the history database but not sent: the workers send them "
            "once the broker is back",
            unsent[0].unsent,
            len(unsent),
        )
    counts = sum(1 for item in results if item.status == "queued")
    log.info("%s of %s site(s) queued", counts, len(results))
    return results


def run_beat(
    load: Callable[[], ScheduleConfig],
    db: Location,
    broker: str,
    at: tuple[int, int],
    secrets: tuple[str, ...] = (),
) -> None:
    """Queue the due sites now, then run beat until it is stopped."""
    from celery.beat import Scheduler
    from celery.schedules import crontab

    app = make_app(broker)
    app.conf.beat_schedule = {
        ENTRY: {"task": "funnel_audit.queue_due", "schedule": crontab(hour=at[0], minute=at[1])}
    }

    class QueueHere(Scheduler):  # type: ignore[misc]
        """Runs the entry in this process (see the module's docstring)."""

        def apply_async(
            self,
            entry: Any,  # noqa: ANN401
            producer: object = None,
            advance: bool = True,
            **kwargs: object,
        ) -> None:
            entry = self.reserve(entry) if advance else entry
            try:
                queue_once(load, db, app)
            except Exception as exc:  # noqa: BLE001 - beat goes on to the next day
                log.error("could not queue the due sites: %s", exc)

    redact_celery_logs(password_of(db), *secrets)
    beat = app.Beat(scheduler=QueueHere, quiet=True, loglevel="INFO", max_interval=60)
    beat.setup_logging()
    queue_once(load, db, app)
    beat.run()
