"""What a crawl starts from and reports: pages an earlier run already knows, progress, and the
plain link reader of a crawl without a page reader."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from funnel_audit.crawl.links import extract_hrefs
from funnel_audit.models import FetchedPage

if TYPE_CHECKING:
    from funnel_audit.read.reading import Reading

    # a reading, why a page could not be read, or (without a reader) just its links
    Outcome = Reading | str | list[str]

OnPage = Callable[[FetchedPage], Iterable[str]]


@dataclass(frozen=True)
class KnownPage:
    """What an earlier run already knows about a URL. `finished` pages (a resumed audit) are not
    fetched again; the others are fetched with conditional-request validators, and on a 304
    their stored links keep the crawl going."""

    links: tuple[str, ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    finished: bool = False

    def validators(self) -> dict[str, str] | None:
        """Conditional-request headers for this page, or None when there is nothing to send."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers or None


@dataclass(frozen=True)
class CrawlProgress:
    """A progress report for the progress bar or log, sent as pages are yielded."""

    done: int  # pages yielded so far (successes and failures)
    queued: int  # URLs waiting or in flight
    errors: int  # yielded pages with an error
    rate: float  # pages per second since the crawl started


class LinksOnly:
    """The reader of a crawl without one: a page's links from its raw HTML, or from the caller's
    `on_page`; nothing else is read."""

    version = ""

    def __init__(self, on_page: OnPage | None, max_links: int) -> None:
        self._on_page, self._max_links = on_page, max_links

    def submit(self, page: FetchedPage) -> Future[Outcome]:
        """The page's links, at once (nothing is read elsewhere)."""
        done: Future[Outcome] = Future()
        done.set_result(self.read(page))
        return done

    def read(self, page: FetchedPage) -> Outcome:
        """The page's links from `on_page`, else from its raw HTML."""
        if self._on_page is not None:
            return list(self._on_page(page))
        return list(extract_hrefs(page.html or "", self._max_links))

    def close(self) -> None:
        """Nothing to release."""
