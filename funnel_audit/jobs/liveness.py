"""Which worker holds which job's message, and whether that worker is alive, kept in Redis.

A message a worker has taken but not yet started (a moment after it is fetched, or while a
busy host's retry waits for its time) is invisible to the database: its job still reads
`queued`. Should that worker die, Redis would hand the message out again only after the
visibility timeout (hours). So each worker notes every message it receives (`held:<job>`), and
renews a short lease on its own name (`alive:<node>`) every few seconds; the reaper sends again a
queued job whose holder's lease has run out. Keys expire on their own; redis-py's connection
pool is safe across the pool's forks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

PREFIX = "funnel-audit:"
LEASE_SECONDS = 30
HELD_SECONDS = 24 * 3600
# delete a holder's note only if it is still that holder's (atomic on the server)
_FORGET = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class Liveness:
    """The worker leases and message holders in the broker's Redis."""

    def __init__(self, broker: str) -> None:
        import redis

        self._client: Any = redis.Redis.from_url(
            broker, socket_timeout=10, socket_connect_timeout=10
        )
        self._errors = (redis.RedisError, OSError)
        self._forget = self._client.register_script(_FORGET)

    def renew(self, node: str) -> None:
        """`node` is alive for the next LEASE_SECONDS."""
        with contextlib.suppress(*self._errors):
            self._client.set(f"{PREFIX}alive:{node}", 1, ex=LEASE_SECONDS)

    def hold(self, job_id: int, node: str) -> None:
        """`node` has received a message of job `job_id`."""
        with contextlib.suppress(*self._errors):
            self._client.set(f"{PREFIX}held:{job_id}", node, ex=HELD_SECONDS)

    def held_by_the_dead(self, job_ids: Sequence[int]) -> dict[int, str]:
        """Those of `job_ids` whose last receiving worker has stopped renewing its lease, with
        that worker (none when unknown, or when Redis cannot say); two round trips however many
        jobs wait."""
        if not job_ids:
            return {}
        try:
            nodes = self._client.mget([f"{PREFIX}held:{job_id}" for job_id in job_ids])
            held = [
                (job_id, node.decode()) for job_id, node in zip(job_ids, nodes, strict=True) if node
            ]
            if not held:
                return {}
            with self._client.pipeline(transaction=False) as pipe:
                for _, node in held:
                    pipe.exists(f"{PREFIX}alive:{node}")
                alive = pipe.execute()
        except self._errors:
            return {}
        return {job_id: node for (job_id, node), up in zip(held, alive, strict=True) if not up}

    def dead_nodes(self, nodes: Iterable[str]) -> set[str]:
        """Those of `nodes` whose lease has run out (none when Redis cannot say: a worker is
        taken for alive rather than its job sent twice)."""
        wanted = sorted(set(nodes))
        if not wanted:
            return set()
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for node in wanted:
                    pipe.exists(f"{PREFIX}alive:{node}")
                up = pipe.execute()
        except self._errors:
            return set()
        return {node for node, there in zip(wanted, up, strict=True) if not there}

    def forget(self, job_id: int, node: str) -> None:
        """`node` no longer holds a message of job `job_id` (it finished with it, or it died
        and the job was sent again); a newer holder's note is kept."""
        with contextlib.suppress(*self._errors):
            self._forget(keys=[f"{PREFIX}held:{job_id}"], args=[node])

    def close(self) -> None:
        """Close the connection to Redis."""
        with contextlib.suppress(*self._errors):
            self._client.close()
