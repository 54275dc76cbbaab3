"""One HTTP hop, done carefully: total deadline, size cap, retries, per-host politeness.

`Transport.get` never follows redirects and never raises for network trouble: every outcome is a
`Hop` with either a status or a short `error`. The total deadline per attempt is enforced twice:
the body loop checks the clock between chunks, and a watchdog shuts the socket down when the
deadline passes (so a server that drips headers or never answers cannot hold a worker).
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
import urllib3

from funnel_audit.crawl.session import Deadline, make_session
from funnel_audit.ports import OPEN_GATE, RequestGate

__all__ = ["Hop", "HostThrottle", "Transport", "make_session", "parse_retry_after"]

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
RETRY_AFTER_CAP = 60.0
BACKOFF_BASE = 0.5
CHUNK = 64 * 1024

# Decides whether to read a 2xx body: called with b"" on the headers alone, then once more with
# the first bytes (>= 1 KiB or the whole body). Return None to read on, or a short error such as
# "non-HTML content: application/pdf" to stop.
AcceptBody = Callable[[int, Mapping[str, str], bytes], str | None]


@dataclass(frozen=True, slots=True)
class Hop:
    """The outcome of one request (after retries), redirects not followed."""

    url: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    error: str | None = None
    elapsed: float = 0.0
    attempts: int = 1

    @property
    def location(self) -> str | None:
        """Where a redirect points (as sent, unresolved); None for anything but a redirect."""
        if self.status in (301, 302, 303, 307, 308):
            return self.headers.get("location") or None
        return None


class HostThrottle:
    """Per-host spacing of requests: each host has a minimum interval and a 'not before' time.

    Slots are reserved under a lock, so concurrent workers for one host queue up politely.
    """

    def __init__(self, stop: threading.Event, default_interval: float = 0.0) -> None:
        self._stop = stop
        self._default = max(0.0, default_interval)
        self._interval: dict[str, float] = {}
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def set_interval(self, host: str, seconds: float) -> None:
        """Space requests to `host` by `seconds` (a Crawl-delay), never under the default."""
        with self._lock:
            self._interval[host] = max(self._default, seconds)

    def interval(self, host: str) -> float:
        """The spacing in force for `host`."""
        with self._lock:
            return self._interval.get(host, self._default)

    def penalize(self, host: str, seconds: float) -> None:
        """Nobody requests from `host` for the next `seconds` (Retry-After, backoff)."""
        with self._lock:
            self._next[host] = max(self._next.get(host, 0.0), time.monotonic() + seconds)

    def wait(self, host: str) -> bool:
        """Block until this caller may send to `host`; False when the crawl was stopped."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(host, 0.0))
            self._next[host] = slot + self._interval.get(host, self._default)
        pause = slot - time.monotonic()
        if pause > 0:
            return not self._stop.wait(pause)
        return not self._stop.is_set()


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), capped at 60."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(delta, 0.0), RETRY_AFTER_CAP)


def describe_exception(exc: BaseException) -> tuple[str, bool]:
    """A short reason for a failed request, and whether it is worth retrying."""
    text = repr(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return "TLS error: certificate verify failed", False
        return "TLS error", False
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out", True
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "read timed out", False
    if "NameResolution" in text or "Name or service not known" in text or "getaddrinfo" in text:
        return "DNS lookup failed", False
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused", True
    if "BadStatusLine" in text or "LineTooLong" in text or "HeaderParsingError" in text:
        return "malformed HTTP response", False
    if "IncompleteRead" in text or "InvalidChunkLength" in text:
        return "connection broken: incomplete body", True
    if "reset" in text.lower():
        return "connection reset", True
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidHeader):
        return "invalid request", False
    if isinstance(exc, ValueError):
        return "invalid response (unparseable header)", False
    if isinstance(exc, requests.exceptions.ConnectionError | urllib3.exceptions.HTTPError):
        return "connection error", True
    return f"request failed: {type(exc).__name__}", False


class Transport:
    """Sends GET requests with the crawl's politeness, deadline and size rules."""

    def __init__(
        self,
        session: requests.Session,
        throttle: HostThrottle,
        *,
        user_agent: str,
        timeout: float,
        retries: int,
        stop: threading.Event,
        gate: RequestGate = OPEN_GATE,
    ) -> None:
        self.session = session
        self.gate = gate  # a cap on requests in flight shared with other workers, if any
        self.throttle = throttle
        self.user_agent = user_agent
        self.timeout = timeout
        self.retries = max(0, retries)
        self.stop = stop

    def get(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: AcceptBody | None = None,
        accept_header: str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
        truncate: bool = False,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Hop:
        """GET `url` (no redirects), retrying connection errors and 408/429/5xx with backoff.

        A body over `max_bytes` (decoded) is an error, or is cut to `max_bytes` with `truncate`.
        """
        host = urlsplit(url).netloc
        hop = Hop(url=url, error="crawl stopped")
        for attempt in range(self.retries + 1):
            if not self.throttle.wait(host):
                return Hop(url=url, error="crawl stopped", attempts=attempt + 1)
            hop, retryable = self._attempt(
                url, max_bytes, accept, accept_header, truncate, extra_headers
            )
            hop = Hop(
                hop.url, hop.status, hop.headers, hop.body, hop.error, hop.elapsed, attempt + 1
            )
            retry_after = parse_retry_after(hop.headers.get("retry-after"))
            if retry_after is not None and hop.status in RETRY_STATUSES:
                self.throttle.penalize(host, retry_after)  # the whole host slows down
            if not retryable or attempt == self.retries:
                return hop
            if retry_after is None:
                self.throttle.penalize(host, min(BACKOFF_BASE * 2**attempt, RETRY_AFTER_CAP))
        return hop

    def _attempt(
        self,
        url: str,
        max_bytes: int,
        accept: AcceptBody | None,
        accept_header: str,
        truncate: bool,
        extra_headers: Mapping[str, str] | None = None,
    ) -> tuple[Hop, bool]:
        started = time.monotonic()
        headers = {
            "User-Agent": self.user_agent,
            "Accept": accept_header,
            "Accept-Encoding": "gzip, deflate",
            **(extra_headers or {}),
        }
        with self.gate.slot(), Deadline(self.timeout) as deadline:
            try:
                response = self.session.get(
                    url,
                    headers=headers,
                    stream=True,
                    allow_redirects=False,
                    timeout=(min(self.timeout, 10.0), self.timeout),
                )
            except Exception as exc:  # noqa: BLE001 - every failure becomes data
                if deadline.expired or time.monotonic() - started >= self.timeout:
                    return self._timeout(url, started), False
                reason, retryable = describe_exception(exc)
                return Hop(url=url, error=reason, elapsed=time.monotonic() - started), retryable
            try:
                return self._read(response, url, started, max_bytes, accept, deadline, truncate)
            finally:
                response.close()

    def _timeout(self, url: str, started: float) -> Hop:
        return Hop(
            url=url, error=f"timeout after {self.timeout:g}s", elapsed=time.monotonic() - started
        )

    def _read(
        self,
        response: requests.Response,
        url: str,
        started: float,
        max_bytes: int,
        accept: AcceptBody | None,
        deadline: Deadline,
        truncate: bool,
    ) -> tuple[Hop, bool]:
        status, headers = response.status_code, response.headers
        if status in RETRY_STATUSES:
            return Hop(
                url, status, headers, None, f"HTTP {status}", time.monotonic() - started
            ), True
        if not 200 <= status < 300:
            error = None if 300 <= status < 400 else f"HTTP {status}"
            return Hop(url, status, headers, None, error, time.monotonic() - started), False
        too_large = f"too large (> {max_bytes} bytes)"
        encoding = headers.get("content-encoding", "identity").strip().lower()
        length = headers.get("content-length", "")
        declared_large = length.isdigit() and int(length) > max_bytes
        if encoding in ("", "identity") and declared_large and not truncate:
            return Hop(url, status, headers, None, too_large, time.monotonic() - started), False
        if accept is not None:
            refusal = accept(status, headers, b"")
            if refusal:
                return Hop(url, status, headers, None, refusal, time.monotonic() - started), False
        chunks: list[bytes] = []
        total, checked = 0, accept is None
        try:
            while True:
                if time.monotonic() - started >= self.timeout:
                    return self._timeout(url, started), False
                chunk = response.raw.read1(CHUNK, decode_content=True)
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
                if total > max_bytes and truncate:
                    chunks[-1] = chunk[: len(chunk) - (total - max_bytes)]
                    break
                if total > max_bytes:
                    return Hop(
                        url, status, headers, None, too_large, time.monotonic() - started
                    ), False
                if not checked and total >= 1024:
                    checked = True
                    refusal = accept(status, headers, b"".join(chunks)) if accept else None
                    if refusal:
                        return Hop(
                            url, status, headers, None, refusal, time.monotonic() - started
                        ), False
        except Exception as exc:  # noqa: BLE001
            if deadline.expired or time.monotonic() - started >= self.timeout:
                return self._timeout(url, started), False
            reason, retryable = describe_exception(exc)
            if "decod" in repr(exc).lower():
                reason, retryable = "content decoding failed", False
            return Hop(url, status, headers, None, reason, time.monotonic() - started), retryable
        if deadline.expired:
            return self._timeout(url, started), False
        body = b"".join(chunks)
        if not checked and accept is not None:
            refusal = accept(status, headers, body)
            if refusal:
                return Hop(url, status, headers, None, refusal, time.monotonic() - started), False
        return Hop(url, status, headers, body, None, time.monotonic() - started), False
