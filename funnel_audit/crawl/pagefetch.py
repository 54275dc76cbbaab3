"""Fetch one page the careful way: robots, address checks, redirects hop by hop, HTML only.

Runs in the crawler's worker threads. Never raises: every outcome is a `FetchedPage`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from funnel_audit.crawl.content import (
    binary_body,
    decode_html,
    is_html_type,
    is_unknown_type,
    parse_content_type,
    sniff_kind,
)
from funnel_audit.crawl.fetch import Hop, Transport
from funnel_audit.crawl.robots import RobotsCache
from funnel_audit.crawl.urls import (
    InvalidURLError,
    SiteScope,
    dedup_key,
    host_is_public,
    normalize_url,
)
from funnel_audit.models import FetchedPage

__all__ = ["BLOCKED", "PageFetcher", "Scope"]

BLOCKED = "blocked by robots.txt"
_REDIRECTS = (301, 302, 303, 307, 308)


class Scope:
    """The site being crawled; the start page may move it (`start` is re-assignable)."""

    def __init__(self, start: str, include_subdomains: bool = False) -> None:
        self.include_subdomains = include_subdomains
        self.start = start

    @property
    def start(self) -> str:
        """The start URL: assigning another (after the start page redirects) moves the scope."""
        return self._start

    @start.setter
    def start(self, url: str) -> None:
        self._start = url
        self._site = SiteScope(url, self.include_subdomains)

    def contains(self, url: str) -> bool:
        """Whether `url` belongs to the site being crawled."""
        return self._site.contains(url)

    @property
    def host(self) -> str:
        """The start URL's host (with its port, if any)."""
        return urlsplit(self._start).netloc


def _accept_html(status: int, headers: object, first: bytes) -> str | None:
    mime, _ = parse_content_type(getattr(headers, "get", lambda *_: None)("content-type"))
    if mime and not is_unknown_type(mime):
        return None if is_html_type(mime) else f"non-HTML content: {mime}"
    if first and sniff_kind(first) == "binary":
        return "non-HTML content: binary data without a Content-Type"
    return None


class PageFetcher:
    """Turns a URL into a `FetchedPage`, following redirects itself with every hop re-checked."""

    def __init__(
        self,
        transport: Transport,
        robots: RobotsCache | None,
        scope: Scope,
        *,
        allow_private: bool,
        max_redirects: int,
        max_bytes: int,
        max_url_length: int = 2000,
    ) -> None:
        self.transport = transport
        self.max_url_length = max_url_length
        self.robots = robots
        self.scope = scope
        self.allow_private = allow_private
        self.max_redirects = max_redirects
        self.max_bytes = max_bytes
        self._public: dict[str, bool | None] = {}
        self._lock = threading.Lock()

    # -- checks ------------------------------------------------------------------------------
    def address_refusal(self, url: str) -> str | None:
        """A reason to refuse `url` because its host is not public (unless private is allowed)."""
        if self.allow_private:
            return None
        host = urlsplit(url).hostname or ""
        with self._lock:
            known = host in self._public
            public = self._public.get(host)
        if not known:
            public = host_is_public(host)
            with self._lock:
                self._public[host] = public
        if public is False:
            return f"refused: {host} is a private or local address"
        return None

    def allowed_by_robots(self, url: str) -> bool:
        """Whether robots.txt lets us fetch `url`; with no robots cache (robots ignored), always."""
        return self.robots is None or self.robots.allows(url)

    # -- fetching ----------------------------------------------------------------------------
    def fetch_page(
        self,
        url: str,
        depth: int,
        lastmod: str | None = None,
        rebase_scope: bool = False,
        validators: Mapping[str, str] | None = None,
    ) -> FetchedPage:
        """Fetch `url` as an HTML page. With `rebase_scope` (the start page) a redirect to
        another host moves the crawl's scope there instead of failing. `validators` are the
        conditional-request headers (If-None-Match / If-Modified-Since) of a re-audit; a 304
        answer comes back as a page with `not_modified` set."""
        fetched_at = datetime.now(UTC)
        try:
            return self._fetch(url, depth, lastmod, rebase_scope, fetched_at, validators)
        except Exception as exc:  # noqa: BLE001 - a worker must never die
            return self._failure(url, url, depth, fetched_at, f"internal error: {exc!r}"[:200])

    def _fetch(
        self,
        url: str,
        depth: int,
        lastmod: str | None,
        rebase_scope: bool,
        fetched_at: datetime,
        validators: Mapping[str, str] | None = None,
    ) -> FetchedPage:
        current, seen, elapsed = url, {dedup_key(url)}, 0.0
        hop = Hop(url=url)
        for hop_number in range(self.max_redirects + 1):
            refusal = self.address_refusal(current)
            if refusal:
                if hop_number:
                    refusal = "redirect to a private address " + refusal
                return self._failure(url, current, depth, fetched_at, refusal, elapsed=elapsed)
            if not self.allowed_by_robots(current):
                # robots.txt that could not be fetched at all (refused, DNS, timeout) says why
                # the host is unreachable; "blocked by robots.txt" would hide it
                unreachable = self.robots.rules(current).unreachable if self.robots else None
                reason = unreachable or BLOCKED
                return self._failure(url, current, depth, fetched_at, reason, elapsed=elapsed)
            hop = self.transport.get(
                current,
                max_bytes=self.max_bytes,
                accept=_accept_html,
                extra_headers=validators if hop_number == 0 else None,
            )
            elapsed += hop.elapsed
            location = hop.location
            if location is None:
                break
            if hop_number == self.max_redirects:
                return self._failure(
                    url,
                    current,
                    depth,
                    fetched_at,
                    f"too many redirects (> {self.max_redirects})",
                    hop.status,
                    elapsed,
                )
            target, problem = self._redirect_target(current, location, seen, rebase_scope)
            if problem:
                return self._failure(
                    url, target or current, depth, fetched_at, problem, hop.status, elapsed
                )
            assert target is not None
            seen.add(dedup_key(target))
            current = target
        return self._page_from_hop(url, current, depth, lastmod, fetched_at, hop, elapsed)

    def _redirect_target(
        self, current: str, location: str, seen: set[str], rebase_scope: bool
    ) -> tuple[str | None, str | None]:
        if len(location) > self.max_url_length:
            return None, f"redirect to a URL over {self.max_url_length} characters"
        try:
            raw = urljoin(current, location.strip())
        except ValueError:
            return None, "redirect to an invalid URL"
        scheme = raw.split(":", 1)[0].lower() if ":" in raw else ""
        if scheme not in ("http", "https"):
            return None, f"redirect to unsupported scheme: {scheme or '?'}"
        try:
            target = normalize_url(raw)
        except InvalidURLError:
            return None, "redirect to an invalid URL"
        if len(target) > self.max_url_length:
            return None, f"redirect to a URL over {self.max_url_length} characters"
        # A hop to the page's own trailing-slash twin (`/docs` -> `/docs/`) is how servers
        # canonicalise directories, not a loop; coming back to any other page already seen is.
        if dedup_key(target) in seen and dedup_key(target) != dedup_key(current):
            return target, "redirect loop"
        refusal = self.address_refusal(target)
        if refusal:
            return target, "redirect to a private address " + refusal
        if not self.scope.contains(target):
            if not rebase_scope:
                return target, f"redirect out of scope: {target}"
            self.scope.start = target  # the start page decides what the site is
        return target, None

    def _page_from_hop(
        self,
        url: str,
        final_url: str,
        depth: int,
        lastmod: str | None,
        fetched_at: datetime,
        hop: Hop,
        elapsed: float,
    ) -> FetchedPage:
        mime, charset = parse_content_type(hop.headers.get("content-type"))
        error = hop.error
        # 304 answers a conditional request: no body, and not an error (the caller reuses).
        not_modified = hop.status == 304 and error is None
        if error is None and not not_modified and hop.status in _REDIRECTS:
            error = f"HTTP {hop.status} redirect without a usable Location"
        if error is None and not not_modified and hop.body is None:
            error = f"HTTP {hop.status} without a body"
        html = None
        if error is None and hop.body is not None and not not_modified:
            kind = binary_body(hop.body)
            if kind is not None:
                error = f"binary content served as {mime or 'text/html'} ({kind})"
            else:
                html = decode_html(hop.body, charset)
        if (html is not None or not_modified) and (not mime or is_unknown_type(mime)):
            mime = "text/html"
        return FetchedPage(
            url=url,
            final_url=final_url,
            status=hop.status,
            content_type=mime,
            html=html,
            depth=depth,
            fetched_at=fetched_at,
            error=error,
            lastmod=lastmod,
            etag=hop.headers.get("etag"),
            last_modified=hop.headers.get("last-modified"),
            elapsed_ms=round(elapsed * 1000, 1),
            size_bytes=len(hop.body) if hop.body is not None else 0,
            not_modified=not_modified,
        )

    @staticmethod
    def _failure(
        url: str,
        final_url: str,
        depth: int,
        fetched_at: datetime,
        error: str,
        status: int | None = None,
        elapsed: float = 0.0,
    ) -> FetchedPage:
        return FetchedPage(
            url=url,
            final_url=final_url,
            status=status,
            content_type="",
            html=None,
            depth=depth,
            fetched_at=fetched_at,
            error=error,
            elapsed_ms=round(elapsed * 1000, 1),
        )

    def fetch_document(self, url: str, max_bytes: int) -> tuple[bytes | None, str | None]:
        """Fetch a non-page resource (a sitemap), following redirects with the same checks
        except scope. Returns (body, None) or (None, reason)."""
        current, seen = url, {url}
        for _ in range(self.max_redirects + 1):
            refusal = self.address_refusal(current)
            if refusal:
                return None, refusal
            hop = self.transport.get(
                current,
                max_bytes=max_bytes,
                accept_header="application/xml,text/xml;q=0.9,*/*;q=0.5",
            )
            location = hop.location
            if location is None:
                if hop.error:
                    return None, hop.error
                return (hop.body, None) if hop.body is not None else (None, "empty response")
            try:
                current = normalize_url(urljoin(current, location.strip()))
            except (InvalidURLError, ValueError):
                return None, "redirect to an invalid URL"
            if current in seen:
                return None, "redirect loop"
            seen.add(current)
        return None, f"too many redirects (> {self.max_redirects})"
