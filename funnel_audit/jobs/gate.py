"""A cap on requests in flight that holds across every worker: a semaphore in Redis (the
broker's server), so adding workers adds sites audited at once, not load on the network.

Each request holds a slot: a member of one sorted set whose score is when its lease runs out.
Taking a slot is one Lua script (atomic on the server): drop the leases that ran out, and add one
if fewer than the cap remain. A worker killed mid-request never gives its slots back, so a lease
lasts a request's whole deadline and a little more; then the slot is free again by itself. The
server's clock decides every lease, so the workers' clocks need not agree.

If Redis cannot be reached, requests go on without the cap (a warning is logged once): an
audit is not failed because the queue's server blinked.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

KEY = "funnel-audit:in-flight"
LEASE_MARGIN = 30.0  # seconds a slot outlives its request's deadline
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
    redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
    return 1
end
return 0
"""
log = logging.getLogger("funnel_audit.jobs")


class SharedGate:
    """`RequestGate` over Redis: at most `cap` requests in flight across every worker."""

    def __init__(self, broker: str, cap: int, request_timeout: float) -> None:
        import redis

        self.cap = cap
        self.lease_ms = int((request_timeout + LEASE_MARGIN) * 1000)
        self._client: Any = redis.Redis.from_url(
            broker, socket_timeout=10, socket_connect_timeout=10
        )
        self._take = self._client.register_script(_TAKE)
        self._errors = (redis.RedisError, OSError)
        self._warned = threading.Event()

    @contextlib.contextmanager
    def slot(self) -> Iterator[object]:
        """Wait for a free slot, hold it while the request runs, give it back."""
        token = uuid.uuid4().hex
        held = self._acquire(token)
        try:
            yield token
        finally:
            if held:
                with contextlib.suppress(*self._errors):
                    self._client.zrem(KEY, token)

    def _acquire(self, token: str) -> bool:
        pause = 0.005
        while True:
            try:
                if self._take(keys=[KEY], args=[token, self.cap, self.lease_ms]) == 1:
                    return True
            except self._errors as exc:
                if not self._warned.is_set():
                    self._warned.set()
                    log.warning("the cap on requests in flight is not applied: %s", exc)
                return False
            time.sleep(pause * (0.5 + random.random()))  # noqa: S311 - jitter, not secrecy
            pause = min(pause * 2, 0.1)

    def close(self) -> None:
        """Close the connection to Redis."""
        with contextlib.suppress(*self._errors):
            self._client.close()
