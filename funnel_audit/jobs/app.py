"""The Celery application of the distributed mode: Redis as broker, one task per site.

A message carries a job id and the site's name, nothing else (the site's settings are in the
job's row, so no setting and no password travels through Redis). Tasks are acknowledged late,
when the audit is over, one at a time per worker process (prefetch 1): a worker that dies
mid-audit has not acknowledged its message. Redis hands an unacknowledged message out again
only after its visibility timeout, which must be longer than any audit (else a slow audit's
message would go to a second worker while the first still runs); so the workers do not wait
for it: they find a job left running by a dead worker in the database and send it again once
that worker's lease has run out (`jobs/queue.resend_lost`). Duplicates are harmless: a message
for a job that is done, or that a live worker holds, does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from funnel_audit.errors import BrokerError
from funnel_audit.store.location import redact, redact_all

if TYPE_CHECKING:
    from celery import Celery

TASK = "funnel_audit.audit_site"
QUEUE = "funnel-audit"
# Twelve hours: far above a long audit (20,000 pages at 2 pages/s is under three). A message a
# dead worker had taken comes back after this long; the reapers send its job again within a
# minute (`jobs/queue.resend_lost`).
VISIBILITY_TIMEOUT = 12 * 3600
BROKER_TIMEOUT = 10.0


def make_app(broker: str) -> Celery:
    """A Celery app on `broker`, configured for long tasks that must survive a dead worker."""
    try:
        from celery import Celery
    except ImportError:
        raise BrokerError(
            "the distributed mode needs Celery and Redis: pip install 'funnel-audit[distributed]'"
        ) from None
    app = Celery("funnel_audit", broker=broker, set_as_current=False)
    app.conf.update(
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_disable_prefetch=True,  # take a message only when a pool process is free
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        broker_transport_options={
            "visibility_timeout": VISIBILITY_TIMEOUT,
            "socket_timeout": 30,
            "socket_connect_timeout": BROKER_TIMEOUT,
        },
        broker_connection_retry_on_startup=True,
        # a broker that blinks must not stop audits in flight (their messages stay unacked)
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_send_task_events=False,
        enable_utc=False,  # beat's time of day is local time, like the run-due timer's
    )
    return app


def register(app: Celery, run: Callable[[Any, int, str], str]) -> None:
    """Register the audit task on `app`: `run(task, job_id, site)` does the work."""

    @app.task(  # type: ignore[untyped-decorator]
        name=TASK,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=None,
        ignore_result=True,
    )
    def audit_site(self: Any, job_id: int, site: str) -> str:  # noqa: ANN401
        return run(self, job_id, site)


def send(app: Celery, job_id: int, site: str) -> str:
    """Put one message for job `job_id` of `site` on the queue; its task id. The site's name
    rides along, so a worker given another history database than the queue's ignores the
    message instead of running some other job of the same number."""
    broker = str(app.conf.broker_url)
    try:
        result = app.send_task(
            TASK,
            args=[job_id, site],
            queue=QUEUE,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.5, "interval_step": 1},
        )
    except Exception as exc:  # noqa: BLE001 - kombu's and redis' errors alike
        raise broker_error(broker, exc) from None
    return str(result.id)


def check_reachable(broker: str) -> None:
    """Stop with one line (exit 9) when Redis cannot be reached or refuses the login, before
    anything is queued."""
    try:
        import redis
    except ImportError:
        raise BrokerError(
            "the distributed mode needs Celery and Redis: pip install 'funnel-audit[distributed]'"
        ) from None
    client = redis.Redis.from_url(
        broker, socket_timeout=BROKER_TIMEOUT, socket_connect_timeout=BROKER_TIMEOUT
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        raise broker_error(broker, exc) from None
    finally:
        client.close()


def broker_error(broker: str, exc: BaseException) -> BrokerError:
    """One line naming the broker without its password."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    why = redact_all(first[:200], password_of_url(broker))
    return BrokerError(f"cannot reach the broker {redact(broker)}: {why}")


def password_of_url(url: str) -> str:
    """The password in a broker URL's user part ('' if none)."""
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""
