"""Which discovered URLs get crawled: de-duplication, scope, depth, filters and trap budgets.

Used only by the crawler's calling thread, so it needs no locking.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable
from urllib.parse import urljoin

from funnel_audit.crawl.links import find_base_href
from funnel_audit.crawl.urls import (
    InvalidURLError,
    dedup_key,
    looks_like_trap,
    normalize_url,
    path_pattern,
    resolve_link,
    trap_prone,
)

__all__ = ["Frontier"]

_CACHE_LIMIT = 100_000


class Frontier:
    """A breadth-first queue of (url, depth) plus the rules that admit URLs into it."""

    def __init__(
        self,
        in_scope: Callable[[str], bool],
        *,
        max_depth: int,
        max_url_length: int,
        max_links_per_page: int,
        pages_per_pattern: int,
        include: tuple[re.Pattern[str], ...] = (),
        exclude: tuple[re.Pattern[str], ...] = (),
    ) -> None:
        self.in_scope = in_scope
        self.max_depth = max_depth
        self.max_url_length = max_url_length
        self.max_links_per_page = max_links_per_page
        self.pages_per_pattern = pages_per_pattern
        self.include = include
        self.exclude = exclude
        self.queue: deque[tuple[str, int]] = deque()
        self.seen: set[str] = set()
        self._patterns: Counter[str] = Counter()
        self._trapped: Counter[str] = Counter()
        self._skipped: Counter[str] = Counter()
        self._resolved: dict[tuple[str, str], str | None] = {}

    def __len__(self) -> int:
        return len(self.queue)

    def pop(self) -> tuple[str, int]:
        """The next (url, depth) to fetch, breadth first."""
        return self.queue.popleft()

    def mark_seen(self, *urls: str) -> None:
        """Never queue these URLs (pages already fetched, or reached by a redirect)."""
        self.seen.update(dedup_key(url) for url in urls)

    def add_links(self, page_url: str, html: str, hrefs: Iterable[str] | None, depth: int) -> None:
        """Resolve the hrefs of a page (against its <base href> if any) and consider each one
        at `depth`; at most `max_links_per_page` are looked at."""
        base = page_url
        base_href = find_base_href(html)
        if base_href:
            with contextlib.suppress(InvalidURLError, ValueError):
                base = normalize_url(urljoin(page_url, base_href))
        for count, href in enumerate(hrefs or ()):
            if count >= self.max_links_per_page:
                self._skipped["links over the per-page limit"] += 1
                break
            if not isinstance(href, str) or len(href) > self.max_url_length * 2:
                self._skipped["overlong or invalid links"] += 1
                continue
            url = self._resolve(base, href)
            if url is not None:  # javascript:, mailto:, broken hosts ... are not pages
                self.consider(url, depth)

    def _resolve(self, base: str, href: str) -> str | None:
        """`resolve_link` with a bounded cache: menus repeat the same hrefs on every page."""
        if href[:8].lower().startswith(("http://", "https://")):
            context = ""
        elif href.startswith("/") and not href.startswith("//"):
            context = base[: base.find("/", base.find("//") + 2)]  # the origin
        else:
            context = base
        key = (context, href)
        if key in self._resolved:
            return self._resolved[key]
        try:
            url: str | None = resolve_link(base, href)
        except InvalidURLError:
            url = None
        if len(self._resolved) >= _CACHE_LIMIT:
            self._resolved.clear()
        self._resolved[key] = url
        return url

    def consider(self, url: str, depth: int, listed: bool = False) -> None:
        """Queue a normalised URL if it passes the rules. URLs `listed` in a sitemap are exempt
        from the crawl-trap budget (the owner vouches for them)."""
        key = dedup_key(url)
        if key in self.seen:
            return
        if depth > self.max_depth:
            self._skipped[f"links beyond max depth {self.max_depth}"] += 1
            return
        if len(url) > self.max_url_length:
            self._skipped["overlong or invalid links"] += 1
            return
        if not self.in_scope(url):
            return
        if self.include and not any(rx.search(url) for rx in self.include):
            return
        if any(rx.search(url) for rx in self.exclude):
            return
        self.seen.add(key)
        if looks_like_trap(url):
            self._skipped["URLs with looping paths"] += 1
            return
        pattern = path_pattern(url)
        if not listed and self._patterns[pattern] >= self.pages_per_pattern and trap_prone(pattern):
            self._trapped[pattern] += 1
            return
        self._patterns[pattern] += 1
        self.queue.append((url, depth))

    def notes(self) -> list[str]:
        """Human-readable counts of what was skipped and why."""
        notes = [f"{count} {reason} skipped" for reason, count in sorted(self._skipped.items())]
        for pattern, count in self._trapped.most_common(5):
            notes.append(
                f"possible crawl trap {pattern}: {count} URL(s) skipped after "
                f"{self.pages_per_pattern} pages"
            )
        return notes
