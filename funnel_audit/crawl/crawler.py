"""The polite, concurrent crawler, and the reader for a local folder holding a static site.

Fetching runs in `concurrency` worker threads with per-host spacing; only the calling thread
touches the frontier and the reader, so the caller's code never runs concurrently. `read_site`
owns a `ports.PageReader`: each fetched page is handed to it at once, the crawl goes on fetching
while pages are read (in parser processes when the reader has them), follows the links each
reading finds, and yields each page once, with its reading, as a `ReadPage`. `crawl` is the same
walk without a reader (links from the raw HTML, or from an `on_page` callback). A failure on one
page is data (`FetchedPage.error`); only what stops the whole crawl raises `CrawlError`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from threading import Event
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import requests

from funnel_audit.crawl.aliases import Alias, rewrite
from funnel_audit.crawl.fetch import Hop, HostThrottle, Transport, make_session
from funnel_audit.crawl.folder import read_folder
from funnel_audit.crawl.frontier import Frontier
from funnel_audit.crawl.known import CrawlProgress, KnownPage, LinksOnly, OnPage
from funnel_audit.crawl.pagefetch import BLOCKED, PageFetcher, Scope
from funnel_audit.crawl.robots import ROBOTS_MAX_BYTES, RobotsCache, RobotsRules
from funnel_audit.crawl.settings import DEFAULT_USER_AGENT, CrawlSettings
from funnel_audit.crawl.sitemaps import MAX_SITEMAP_BYTES, collect_sitemap_urls
from funnel_audit.crawl.urls import InvalidURLError, dedup_key, host_is_public, normalize_url
from funnel_audit.errors import CrawlError, InputError, TargetError
from funnel_audit.models import FetchedPage
from funnel_audit.ports import OPEN_GATE, PageReader, ReadPage, RequestGate

if TYPE_CHECKING:
    from funnel_audit.read.reading import Reading

    # a reading, why a page could not be read, or (without a reader) just its links
    Outcome = Reading | str | list[str]

__all__ = [
    "DEFAULT_USER_AGENT",
    "CrawlError",
    "CrawlProgress",
    "CrawlSettings",
    "Crawler",
    "KnownPage",
    "read_folder",
]

PARSE_BACKLOG = 2  # pages waiting for a parser, per unit of concurrency: bounds held HTML


class Crawler:
    """Crawl one site breadth-first. `notes` collects human-readable remarks about the run."""

    def __init__(
        self,
        settings: CrawlSettings,
        session: requests.Session | None = None,
        progress: Callable[[CrawlProgress], None] | None = None,
        gate: RequestGate = OPEN_GATE,
    ) -> None:
        self.settings = settings
        self.session = session
        self.progress = progress
        self.gate = gate
        self.notes: list[str] = []
        self._known: dict[str, KnownPage] = {}
        self._include = _compile(settings.include, "--include")
        self._exclude = _compile(settings.exclude, "--exclude")

    # -- public ------------------------------------------------------------------------------
    def crawl(
        self,
        start_url: str,
        on_page: OnPage | None = None,
        known: Mapping[str, KnownPage] | None = None,
    ) -> Iterator[FetchedPage]:
        """Yield every fetched page (failures included, HTML kept), start page first; links come
        from the raw HTML, or from `on_page` (called in this thread) when it is given."""
        reader = LinksOnly(on_page, self.settings.max_links_per_page)
        return (item.page for item in self.read_site(start_url, reader, known))

    def read_site(
        self,
        start_url: str,
        reader: PageReader | LinksOnly,
        known: Mapping[str, KnownPage] | None = None,
        aliases: Sequence[Alias] = (),
    ) -> Iterator[ReadPage]:
        """Yield every page once with its reading (failures included), start page first.
        Links to an `aliases` host are followed as links within the site."""
        try:
            start = normalize_url(start_url)
        except InvalidURLError as exc:
            raise TargetError(
                f"invalid start URL {start_url[:200]!r}: {exc} "
                "(give a full http:// or https:// address)"
            ) from exc
        self._known = dict(known or {})
        return self._crawl(start, reader, tuple(aliases))

    def fetch(self, url: str) -> FetchedPage:
        """Fetch one URL under the crawl's rules (robots, redirects, limits), without crawling.
        Failures are returned as data, like in `crawl`."""
        try:
            start = normalize_url(url)
        except InvalidURLError as exc:
            raise TargetError(
                f"invalid URL {url[:200]!r}: {exc} (give a full http:// or https:// address)"
            ) from exc
        self._setup(start)
        try:
            return self._fetcher.fetch_page(start, 0, rebase_scope=True)
        finally:
            self._stop.set()
            if self._owned_session is not None:
                self._owned_session.close()

    # -- setup -------------------------------------------------------------------------------
    def _setup(self, start: str) -> None:
        settings = self.settings
        self.notes = []
        self._stop = Event()
        own = self.session is None
        session = self.session or make_session(settings.concurrency + 2)
        self._owned_session = session if own else None
        self._throttle = HostThrottle(self._stop, settings.delay)
        self._transport = Transport(
            session,
            self._throttle,
            user_agent=settings.user_agent,
            timeout=settings.timeout,
            retries=settings.retries,
            stop=self._stop,
            gate=self.gate,
        )
        host = urlsplit(start).hostname or ""
        allow_private = settings.allow_private or host_is_public(host) is False
        self._scope = Scope(start, settings.include_subdomains)
        robots = None
        if settings.respect_robots:
            robots = RobotsCache(
                self._get_robots, settings.user_agent, on_loaded=self._robots_loaded
            )
        self._robots = robots
        self._fetcher = PageFetcher(
            self._transport,
            robots,
            self._scope,
            allow_private=allow_private,
            max_redirects=settings.max_redirects,
            max_bytes=settings.max_bytes,
            max_url_length=settings.max_url_length,
        )
        if robots is not None:
            robots._check = self._fetcher.address_refusal
        self._frontier = Frontier(
            self._scope.contains,
            max_depth=settings.max_depth,
            max_url_length=settings.max_url_length,
            max_links_per_page=settings.max_links_per_page,
            pages_per_pattern=settings.pages_per_pattern,
            include=self._include,
            exclude=self._exclude,
        )
        self._yielded: set[str] = set()
        self._duplicates = 0
        self._lastmods: dict[str, str | None] = {}
        self._done = self._errors = 0
        self._started = time.monotonic()

    def _get_robots(self, url: str) -> Hop:
        return self._transport.get(
            url, max_bytes=ROBOTS_MAX_BYTES, truncate=True, accept_header="text/plain,*/*;q=0.5"
        )

    def _robots_loaded(self, origin: str, rules: RobotsRules) -> None:
        self.notes.extend(rules.notes)
        if rules.crawl_delay:
            self._throttle.set_interval(urlsplit(origin).netloc, rules.crawl_delay)

    # -- the crawl ---------------------------------------------------------------------------
    def _crawl(
        self, start: str, reader: PageReader | LinksOnly, aliases: tuple[Alias, ...]
    ) -> Iterator[ReadPage]:
        self._setup(start)
        self._reader: PageReader | LinksOnly = reader
        self._aliases = aliases
        pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="funnel-crawl")
        try:
            start_known = self._known.get(dedup_key(start))
            if start_known is not None and start_known.finished:
                self._frontier.mark_seen(start)
                self._yielded.add(dedup_key(start))
                self._frontier.add_links(start, "", start_known.links, 1)
                sitemap_urls = self._load_sitemaps() if self.settings.use_sitemaps else {}
            else:
                first = self._fetch_start(start, start_known)
                sitemap_urls = self._load_sitemaps() if self.settings.use_sitemaps else {}
                first = replace(first, lastmod=self._lastmods.get(dedup_key(first.final_url)))
                yield self._deliver(first)
                del first
            for url in sitemap_urls:
                self._frontier.consider(url, 1, listed=True)
            yield from self._run(pool)
            self._finish_notes()
        finally:
            self._stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            if self._owned_session is not None:
                self._owned_session.close()

    def _fetch_start(self, start: str, known: KnownPage | None = None) -> FetchedPage:
        validators = known.validators() if known is not None else None
        page = self._fetcher.fetch_page(start, 0, rebase_scope=True, validators=validators)
        if page.ok or page.not_modified:
            if self._scope.start != start:
                self.notes.append(
                    f"start URL redirected to {page.final_url}; crawling {self._scope.host}"
                )
            self._frontier.mark_seen(start, page.final_url)
            return page
        error = page.error or "no content"
        if error == BLOCKED and self._robots is not None:
            unreachable = self._robots.rules(page.final_url).unreachable
            if unreachable:
                raise CrawlError(
                    f"cannot reach {start}: {unreachable} (check the URL or your network)"
                )
            extra = "; ".join(self.notes)
            hint = f" ({extra})" if extra else " (robots.txt disallows it)"
            raise CrawlError(
                f"cannot crawl {start}: blocked by robots.txt{hint}; for a site you "
                "own, run again with --ignore-robots"
            )
        if error.startswith("non-HTML content"):
            raise CrawlError(f"{start} is not an HTML page ({error}); give the URL of a web page")
        if page.status is None:
            raise CrawlError(f"cannot reach {start}: {error} (check the URL or your network)")
        raise CrawlError(f"cannot crawl {start}: {error} (check the URL)")

    def _load_sitemaps(self) -> dict[str, str | None]:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self._scope.start))
        seeds: list[tuple[str, bool]] = []
        if self._robots is not None:
            listed = self._robots.rules(self._scope.start).sitemaps
            seeds += [(url, True) for url in listed if self._scope.contains(url)]
            if len(seeds) < len(listed):
                self.notes.append(
                    f"robots.txt lists {len(listed) - len(seeds)} sitemap(s) on "
                    "other hosts; not fetched (outside the crawl scope)"
                )
        seeds.append((origin + "/sitemap.xml", False))
        found = collect_sitemap_urls(
            seeds,
            lambda url: self._fetcher.fetch_document(url, MAX_SITEMAP_BYTES),
            self._scope.contains,
            self.notes,
        )
        self._lastmods = {dedup_key(url): lastmod for url, lastmod in found.items()}
        return found

    def _run(self, pool: ThreadPoolExecutor) -> Iterator[ReadPage]:
        settings = self.settings
        in_flight: dict[Future[FetchedPage], int] = {}
        parsing: dict[Future[Outcome], FetchedPage] = {}
        submitted, sequence = 1, 0  # the start page counts
        while True:
            while (
                self._frontier
                and len(in_flight) < settings.concurrency
                and len(parsing) < PARSE_BACKLOG * settings.concurrency
                and submitted < settings.max_pages
            ):
                url, depth = self._frontier.pop()
                key = dedup_key(url)
                prior = self._known.get(key)
                if prior is not None and prior.finished:
                    self._yielded.add(key)
                    self._frontier.mark_seen(url)
                    self._frontier.add_links(url, "", prior.links, depth + 1)
                    submitted += 1
                    continue
                lastmod = self._lastmods.get(key)
                validators = prior.validators() if prior is not None else None
                future = pool.submit(
                    self._fetcher.fetch_page, url, depth, lastmod, False, validators
                )
                in_flight[future] = sequence
                sequence += 1
                submitted += 1
            if not in_flight and not parsing:
                break
            waiting: list[Future[Any]] = [*in_flight, *parsing]
            done, _ = wait(waiting, return_when=FIRST_COMPLETED)
            fetched = sorted((f for f in done if f in in_flight), key=in_flight.__getitem__)
            for future in fetched:
                del in_flight[future]
                page = future.result()
                if dedup_key(page.final_url) in self._yielded:
                    submitted -= 1  # a redirect to a page already crawled
                    self._duplicates += 1
                    continue
                reading = self._accept(page)
                if reading is not None and not reading.done():
                    parsing[reading] = page
                else:
                    yield self._finish(page, self._outcome(reading, page), len(in_flight))
            for read in done:
                if read in parsing:
                    page = parsing.pop(read)
                    queued = len(in_flight) + len(parsing)
                    yield self._finish(page, self._outcome(read, page), queued)
        if self._frontier:
            self.notes.append(
                f"stopped at max_pages={settings.max_pages}; "
                f"{len(self._frontier)} discovered URL(s) not crawled"
            )

    def _outcome(self, future: Future[Outcome] | None, page: FetchedPage) -> Outcome | None:
        """A reader's answer; if the reader lost the page (its parser failed), it reads the page
        here, so no page's links are lost."""
        if future is None:
            return None
        try:
            return future.result()
        except Exception:  # noqa: BLE001 - any parser failure falls back to reading here
            return self._reader.read(page)

    def _deliver(self, page: FetchedPage, queued: int = 0) -> ReadPage:
        """Record a finished page, enqueue its links, report progress; returns it for yielding."""
        return self._finish(page, self._outcome(self._accept(page), page), queued)

    def _accept(self, page: FetchedPage) -> Future[Outcome] | None:
        """Mark a fetched page as crawled and start reading it."""
        self._yielded.update({dedup_key(page.url), dedup_key(page.final_url)})
        self._frontier.mark_seen(page.final_url)
        if not page.ok:
            return None
        return cast("Future[Outcome]", self._reader.submit(page))

    def _finish(self, page: FetchedPage, outcome: Outcome | None, queued: int = 0) -> ReadPage:
        """Enqueue a page's links and report progress; returns the page and its reading."""
        self._done += 1
        error = outcome if isinstance(outcome, str) else None
        reading = None if outcome is None or isinstance(outcome, (str, list)) else outcome
        if page.error is not None:
            self._errors += 1
        if page.ok:
            links = self._reader_links(page, outcome)
            self._frontier.add_links(page.final_url, page.html or "", links, page.depth + 1)
        elif page.not_modified:
            prior = self._known.get(dedup_key(page.url))
            if prior is not None:
                self._frontier.add_links(page.final_url, "", prior.links, page.depth + 1)
        if self.progress is not None:
            elapsed = max(time.monotonic() - self._started, 1e-6)
            self.progress(
                CrawlProgress(
                    self._done,
                    len(self._frontier) + queued,
                    self._errors,
                    round(self._done / elapsed, 2),
                )
            )
        if not isinstance(self._reader, LinksOnly):
            page = replace(page, html=None)  # read: the HTML is never held past this point
        return ReadPage(page, reading, error)

    def _reader_links(self, page: FetchedPage, outcome: Outcome | None) -> Sequence[str]:
        """The links to follow: what the reader found, with alias hosts moved onto the site."""
        if outcome is None or isinstance(outcome, str):
            return ()
        links: Sequence[str] = outcome if isinstance(outcome, list) else outcome.text.links
        if not self._aliases:
            return links
        parts = urlsplit(page.final_url or page.url)
        origin = f"{parts.scheme}://{parts.netloc}"
        return [rewrite(link, origin, self._aliases) for link in links]

    def _finish_notes(self) -> None:
        self.notes.extend(self._frontier.notes())


def _compile(patterns: tuple[str, ...], flag: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise InputError(
                f"invalid {flag} pattern {pattern!r}: {exc} (use a Python regular expression)"
            ) from exc
    return tuple(compiled)
