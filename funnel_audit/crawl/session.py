"""HTTP sessions whose every request has a total deadline, enforced by a watchdog thread.

requests and urllib3 time out each socket read, not a whole request: a server that drips one byte
every few seconds, or sends headers slowly, can hold a worker for ever. Each connection here is
registered with a watchdog that shuts its socket down when its request's deadline passes.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from http.cookiejar import Cookie, DefaultCookiePolicy
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class _Watchdog:
    """One daemon thread that fires every pending deadline when it falls due.

    A `threading.Timer` per attempt would start (and wait for) a new OS thread for every request,
    which under a busy GIL costs far more than the request itself; one shared thread with a heap
    of due times does the same job. Cancelled deadlines are dropped lazily when they fall due.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None

    def schedule(self, deadline: Deadline, seconds: float) -> None:
        due = time.monotonic() + seconds
        with self._cond:
            heapq.heappush(self._heap, (due, next(self._seq), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="funnel-audit-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is deadline:
                self._cond.notify()  # the new deadline is the earliest: wake up sooner

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                due, _, deadline = self._heap[0]
                pause = due - time.monotonic()
                if pause > 0:
                    self._cond.wait(pause)
                    continue
                heapq.heappop(self._heap)
            if not deadline.cancelled:
                deadline._expire()


_WATCHDOG = _Watchdog()


class Deadline:
    """Shuts down every socket registered for one attempt once `seconds` have passed."""

    _local = threading.local()

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self.cancelled = False
        self._seconds = seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Deadline:
        Deadline._local.current = self
        _WATCHDOG.schedule(self, self._seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.cancelled = True
            self._sockets = []
        Deadline._local.current = None

    @classmethod
    def register_current(cls, sock: socket.socket | None) -> None:
        """Put a socket under this thread's deadline (if any), to be shut when time runs out."""
        deadline = getattr(cls._local, "current", None)
        if deadline is not None and sock is not None:
            deadline._register(sock)

    def _register(self, sock: socket.socket) -> None:
        with self._lock:
            if not self.expired:
                self._sockets.append(sock)
                return
        _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            if self.cancelled:
                return
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError, ValueError, TypeError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().request(*args, **kwargs)
        finally:
            Deadline.register_current(self.sock)


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().request(*args, **kwargs)
        finally:
            Deadline.register_current(self.sock)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """A requests adapter whose sockets the per-attempt deadline can shut down."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


class _OwnRedirectsSession(requests.Session):
    """The crawler follows redirects itself; requests must not even parse Location headers
    (it raises on hostile ones such as `http://[::1`)."""

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None


class NoCookieJar(RequestsCookieJar):
    """A cookie jar that never stores a cookie, so none is ever sent back: an auditor needs no
    session, and a site that sets cookies on every page must not see them pile up (until every
    request fails with 431 Request Header Fields Too Large)."""

    def __init__(self) -> None:
        super().__init__(policy=DefaultCookiePolicy(allowed_domains=[]))

    def set_cookie(self, cookie: Cookie, *args: Any, **kwargs: Any) -> None:
        """Drop the cookie."""
        return None


def make_session(pool_size: int = 8) -> requests.Session:
    """A session with no automatic retries, no redirect handling, deadline-aware connections and
    no cookies (they are never stored, so never sent)."""
    session = _OwnRedirectsSession()
    session.cookies = NoCookieJar()
    for prefix in ("http://", "https://"):
        session.mount(
            prefix,
            _WatchedAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0),
        )
    return session
