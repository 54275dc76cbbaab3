"""Which jobs have a message in the broker right now, so a message that was lost is found.

A job's message is in one of two places in Redis while it lives: waiting in the queue's list, or
taken by a worker and not yet acknowledged (kombu keeps it in the `unacked` hash until the ack,
also while a busy host's retry waits for its time). A message can vanish from both without the
job finishing: Redis restarted without its data, a send that failed after it was counted, a
retry whose publish failed. A job whose last message is over a minute old and that is in
neither place, looked at twice a moment apart (a worker moves a message from the list to the
hash in two steps), has lost it and is sent again. A message sent twice does no harm: a worker
ignores one for a job that is finished or that a live worker holds.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from funnel_audit.jobs.app import QUEUE
from funnel_audit.jobs.liveness import Liveness

UNACKED = "unacked"  # kombu's hash of delivered, unacknowledged messages
PRIORITY_LISTS = ("", "\x06\x163", "\x06\x166", "\x06\x169")  # kombu's queue per priority step
SECOND_LOOK = 0.5  # seconds between the two looks


def job_of(payload: Any) -> tuple[int, str] | None:  # noqa: ANN401 - JSON
    """(job id, site) of one Celery message of ours, or None for anything else."""
    try:
        body = payload["body"]
        if payload.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
        job_id, site = args[0], args[1]
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None
    if isinstance(job_id, int) and isinstance(site, str):
        return job_id, site
    return None


class BrokerMessages:
    """What the broker's Redis holds for the audit queue."""

    def __init__(self, broker: str, queue: str = QUEUE) -> None:
        import redis

        self._client: Any = redis.Redis.from_url(
            broker, socket_timeout=10, socket_connect_timeout=10
        )
        self._errors = (redis.RedisError, OSError)
        self._lists = [queue + suffix for suffix in PRIORITY_LISTS]

    def look(self) -> tuple[set[tuple[int, str]], set[tuple[int, str]]] | None:
        """(job id, site) of every message waiting in the queue, and of every one taken by a
        worker and not acknowledged, read at one instant; None when Redis cannot say (then
        nothing is taken for lost)."""
        try:
            with self._client.pipeline(transaction=True) as pipe:
                for name in self._lists:
                    pipe.lrange(name, 0, -1)
                pipe.hvals(UNACKED)
                *lists, hashed = pipe.execute()
        except self._errors:
            return None
        waiting = {_parsed(raw, unwrap=False) or (-1, "") for items in lists for raw in items}
        taken = {_parsed(raw, unwrap=True) or (-1, "") for raw in hashed}
        return waiting, taken

    def present(self) -> set[tuple[int, str]] | None:
        """(job id, site) of every message waiting or unacknowledged (None: Redis cannot say)."""
        seen = self.look()
        return None if seen is None else seen[0] | seen[1]

    def missing(self, jobs: Iterable[tuple[int, str]]) -> set[int]:
        """The ids of `jobs` with no message in the broker, looked at twice."""
        wanted = set(jobs)
        if not wanted:
            return set()
        first = self.present()
        if first is None or not (wanted - first):
            return set()
        time.sleep(SECOND_LOOK)
        second = self.present()
        if second is None:
            return set()
        return {job_id for job_id, site in wanted - first - second}

    def close(self) -> None:
        """Close the connection to Redis."""
        with suppress(*self._errors):
            self._client.close()


def _parsed(raw: bytes, *, unwrap: bool) -> tuple[int, str] | None:
    try:
        payload = json.loads(raw)
    except ValueError:
        return None
    if unwrap:  # the hash keeps [message, exchange, routing key]
        payload = payload[0] if isinstance(payload, list) and payload else None
    return job_of(payload)


@contextmanager
def broker_watch(broker: str) -> Iterator[tuple[BrokerMessages, Liveness]]:
    """What a queueing process needs to find lost messages: the broker's messages, and the
    workers' leases; closed afterwards."""
    messages, alive = BrokerMessages(broker), Liveness(broker)
    try:
        yield messages, alive
    finally:
        messages.close()
        alive.close()
