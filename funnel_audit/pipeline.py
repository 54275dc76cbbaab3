"""Read, classify and commit pages as the crawl yields them.

Each fetched page is read (extracted and classified, `reading.py`) as soon as it arrives, in a
parser process when one is given, so fetching and parsing use both cores. Results are committed
to the history database every BATCH pages or FLUSH_SECONDS, so a run killed later keeps them. Only
a compact PageResult stays in memory per page; topic texts wait on disk (`spool.py`).
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from funnel_audit.analyse.linkmap import (
    LOCAL_HOSTS,
    Alias,
    HostClaims,
    claimed_hosts,
    rewrite,
    www_twin,
)
from funnel_audit.classify.overrides import Overrides
from funnel_audit.crawl.urls import InvalidURLError, normalize_url, page_key
from funnel_audit.models import FetchedPage, PageResult, PageText, Stage
from funnel_audit.read.boilerplate import RepeatedLines
from funnel_audit.read.brand import BrandVotes
from funnel_audit.read.reading import (
    ModelSource,
    ParserGone,
    ParserProcess,
    Reading,
    load,
    read_page,
)
from funnel_audit.store.history import HistoryStore
from funnel_audit.store.spool import BlobSpool, TextSpool

if TYPE_CHECKING:
    from funnel_audit.classify.model import StageModel

__all__ = ["ModelSource", "PagePipeline"]

BATCH = 64
FLUSH_SECONDS = 2.0
MAX_LINK_CACHE = 500_000


class PagePipeline:
    """Read, classify and store pages as the crawl yields them."""

    def __init__(
        self,
        model: ModelSource,
        store: HistoryStore | None,
        audit_id: int | None,
        overrides: Overrides,
        *,
        parsers: int = 0,
    ) -> None:
        self._model_source = model
        self._model: StageModel | None = model if hasattr(model, "predict") else None
        self._model_version: str | None = None
        self._parsers: list[ParserProcess] = []
        for _ in range(parsers):
            try:
                self._parsers.append(ParserProcess(model))
            except ParserGone:
                break  # no processes to be had here: read pages in this one
        self._turn = 0
        self.store = store
        self.audit_id = audit_id
        self.overrides = overrides
        self.readings: dict[str, Reading | str] = {}  # a str says why a page could not be read
        self._retry: set[str] = set()
        self.pending: list[tuple[FetchedPage, Reading | None, tuple[PageResult, str] | None]] = []
        self.results: list[PageResult] = []
        self.topic_texts = TextSpool()
        self.evidence = BlobSpool()
        self.titles: list[str] = []
        self.brand = BrandVotes()  # what pages say the site is called, in bounded counters
        self.canonicals: set[str] = set()
        self.duplicates = 0
        self.js_pages = 0
        self._keys: dict[str, str] = {}
        self.done: set[str] = set()
        self.repeated = RepeatedLines()
        self._last_flush = time.monotonic()
        self.prior: dict[str, PageResult] = {}
        self.prior_texts: Mapping[str, str] = {}
        self.prior_evidence: BlobSpool | None = None  # reused pages' token counts
        self._version_stored = False
        self.unchanged = 0
        # the live host(s) pages name (canonical, og:url, base href), and the --alias-host hosts
        # whose links are moved onto the audited origin at once (the crawl follows them too)
        self.claims = HostClaims()
        self.alias_hosts: tuple[Alias, ...] = ()

    def _link_key(self, url: str) -> str:
        """The link as the crawler names it (normalised, memoised): nav and footer links repeat on
        every page, and one shared string per URL keeps the link graph small on big sites. The
        exact URL is kept (not the page key) so a resumed or re-audit can follow it as is."""
        key = self._keys.get(url)
        if key is None:
            try:
                computed = normalize_url(url)
            except InvalidURLError:
                computed = url
            key = self._keys.setdefault(computed, computed)
            if len(self._keys) < MAX_LINK_CACHE:
                self._keys[url] = key
        return key

    def stop_parsers(self) -> None:
        for parser in self._parsers:
            parser.close()
        self._parsers = []

    def close(self) -> None:
        """Stop the parser processes and release the on-disk text spool (the OS also removes it
        if the process dies)."""
        self.stop_parsers()
        self.topic_texts.close()
        self.evidence.close()
        if isinstance(self.prior_texts, TextSpool):
            self.prior_texts.close()
        if self.prior_evidence is not None:
            self.prior_evidence.close()

    @property
    def model(self) -> StageModel:
        """Loaded on first use, so a start page that fails costs no model load."""
        if self._model is None:
            self._model = load(self._model_source)
        return self._model

    @property
    def model_version(self) -> str:
        """The version of the model that read the pages (the parser process reports it)."""
        return self._model_version or self.model.version

    def on_page(self, page: FetchedPage) -> Sequence[str] | Future[Sequence[str]]:
        """Start reading a page; returns its links, or a Future of them from the parser."""
        while self._parsers and page.url not in self._retry:
            self._turn = (self._turn + 1) % len(self._parsers)
            parser = self._parsers[self._turn]
            try:
                reading = parser.submit(page)
            except ParserGone:
                # it died (killed, out of memory): the others, or this process, read from now on
                parser.close()
                self._parsers.remove(parser)
            else:
                links: Future[Sequence[str]] = Future()
                reading.add_done_callback(functools.partial(self._keep, page.url, links=links))
                return links
        reading_here = self._read_here(page)
        self.readings[page.url] = reading_here
        return (
            self._crawl_links(page.url, reading_here.text.links)
            if isinstance(reading_here, Reading)
            else ()
        )

    def _crawl_links(self, url: str, links: Sequence[str]) -> Sequence[str]:
        """Links for the crawler: those to an --alias-host moved onto this site, so it follows
        them."""
        if not self.alias_hosts:
            return links
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        return [rewrite(link, origin, self.alias_hosts) for link in links]

    def _read_here(self, page: FetchedPage) -> Reading | str:
        """Read a page in this process; a page that breaks the reader is reported, not fatal."""
        try:
            return read_page(page, self.model, self.repeated)
        except Exception as exc:  # noqa: BLE001 - one broken page never stops an audit
            return f"could not read the page: {type(exc).__name__}: {str(exc)[:200]}"

    def _keep(self, url: str, done: Future[Reading], *, links: Future[Sequence[str]]) -> None:
        try:
            reading = done.result()
        except BaseException as exc:  # noqa: BLE001 - the crawler asks again; read here then
            self._retry.add(url)
            links.set_exception(exc)
            return
        self.readings[url] = reading
        links.set_result(self._crawl_links(url, reading.text.links))

    def preload(self, rows: Sequence[tuple[PageResult, str]]) -> None:
        """Pages a resumed audit already committed: kept as they are, never fetched again."""
        for result, text in rows:
            self.results.append(result)
            self.done.add(result.url)
            if result.title:
                self.titles.append(result.title)
            if text:
                self.topic_texts[result.url] = text
            self._keep_evidence(result)

    def _keep_evidence(self, result: PageResult) -> None:
        """A reused page's stored token counts, so the site-level pass judges it too."""
        if result.label_source == "model" and self.prior_evidence is not None:
            data = self.prior_evidence.read(result.url)
            if data:
                self.evidence.write(result.url, data)

    def add(self, page: FetchedPage) -> None:
        if page.url in self.done:
            return
        if page.not_modified and page.url in self.prior:
            prior = (self.prior[page.url], self.prior_texts.get(page.url, ""))
            self.pending.append((page, None, prior))
            self.unchanged += 1
            if self._flush_due():
                self.flush()
            return
        reading = self.readings.pop(page.url, None)
        if reading is None and page.ok:
            reading = self._read_here(page)
        if isinstance(reading, str):
            page, reading = replace(page, error=reading), None
        if reading is not None:
            self._model_version = reading.model_version
        text = reading.text if reading is not None else None
        if text is not None and text.canonical:
            canon = page_key(text.canonical)
            own = page_key(page.final_url or page.url)
            same_host = urlsplit(canon).netloc == urlsplit(own).netloc
            if canon != own and same_host and canon in self.canonicals:
                self.duplicates += 1
                return
            self.canonicals.add(canon)
        if text is not None:
            self.claims.add(page.final_url or page.url, text.canonical, text.og_url, text.base_href)
        self.pending.append((replace(page, html=None), reading, None))
        if self._flush_due():
            self.flush()

    def _flush_due(self) -> bool:
        """Every BATCH pages or FLUSH_SECONDS, so a slow crawl that is killed loses little."""
        return len(self.pending) >= BATCH or time.monotonic() - self._last_flush >= FLUSH_SECONDS

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self.pending:
            return
        batch: list[PageResult] = []
        for page, reading, reused in self.pending:
            if reused is not None:
                batch.append(self._reuse(page, *reused))
            elif reading is not None:
                batch.append(self._result(page, reading))
            else:
                batch.append(self._failure(page))
        self.pending = []
        self.results.extend(batch)
        if self.store is not None and self.audit_id is not None:
            if self._model_version and not self._version_stored:
                # known once a page is read: a resumed run checks it against its own model
                self.store.set_model_version(self.audit_id, self._model_version)
                self._version_stored = True
            self.store.add_pages(self.audit_id, batch, self.topic_texts, self.evidence.read)

    def _reuse(self, page: FetchedPage, prior: PageResult, text: str) -> PageResult:
        """A 304 page keeps its earlier reading; manual labels still win."""
        if text:
            self.topic_texts[page.url] = text
        if prior.title:
            self.titles.append(prior.title)
        manual = self.overrides.get(page.url)
        if manual:
            prior = replace(
                prior,
                stage=Stage(manual.stage),
                confidence=1.0,
                reasons=(manual.reason,),
                label_source="manual",
                needs_review=False,
            )
        self._keep_evidence(prior)
        return replace(
            prior,
            depth=page.depth,
            etag=page.etag or prior.etag,
            last_modified=page.last_modified or prior.last_modified,
        )

    def _site_links(self, url: str, text: PageText) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(links to this site, those of them in the page's body). Links on the page's own host
        are kept, and so are links on hosts the site may also be known by - the ones its
        canonical, og:url or base href name, localhost, the www twin - for `linkmap` to resolve
        once every page is read. Links to an --alias-host are moved onto the origin here."""
        parts = urlsplit(url)
        origin = parts.netloc
        hosts = claimed_hosts(text.canonical, text.og_url, text.base_href) | LOCAL_HOSTS
        twin = www_twin(parts.hostname or "")
        if twin:
            hosts.add(twin)
        body = set(text.body_links)
        links: dict[str, None] = {}
        in_body: dict[str, None] = {}
        for raw in text.links:
            link = (
                rewrite(raw, f"{parts.scheme}://{origin}", self.alias_hosts)
                if self.alias_hosts
                else raw
            )
            key = self._link_key(link)
            try:
                there = urlsplit(key)
                keep = there.netloc == origin or (there.hostname or "") in hosts
            except ValueError:  # an unusable host ("http://[oops")
                continue
            if keep:
                links[key] = None
                if raw in body:
                    in_body[key] = None
        return tuple(links), tuple(in_body)

    @staticmethod
    def _failure(page: FetchedPage) -> PageResult:
        return PageResult(
            url=page.url,
            status=page.status,
            error=page.error or "no content",
            depth=page.depth,
            content_type=page.content_type,
            title="",
            word_count=0,
            stage=None,
            confidence=0.0,
            reasons=(),
            needs_review=False,
            label_source="none",
            lastmod=page.lastmod,
        )

    def _result(self, page: FetchedPage, reading: Reading) -> PageResult:
        text, pred = reading.text, reading.prediction
        manual = self.overrides.get(page.url)
        if manual:
            stage, confidence, reasons, source, review = (
                Stage(manual.stage),
                1.0,
                (manual.reason,),
                "manual",
                False,
            )
        else:
            # the same few hundred reason strings recur on every page: share one copy of each
            stage, confidence = Stage(pred.label), pred.confidence
            reasons = tuple(sys.intern(r) for r in pred.reasons)
            source, review = "model", pred.needs_review
        if text.js_rendered:
            self.js_pages += 1
        self.titles.append(text.title)
        self.brand.add(page.url, text.title, text.site_name, text.logo_alt)
        if reading.topic:
            # every page's: the site-level pass may move a page into or out of the funnel
            self.topic_texts[page.url] = reading.topic
        if source == "model" and reading.evidence:
            self.evidence.write(page.url, reading.evidence)
        links, body_links = self._site_links(page.final_url or page.url, text)
        return PageResult(
            url=page.url,
            status=page.status,
            error=None,
            depth=page.depth,
            content_type=page.content_type,
            title=text.title,
            word_count=text.word_count,
            stage=stage,
            confidence=round(confidence, 4),
            reasons=reasons,
            needs_review=review,
            label_source=source,
            links=links,
            body_links=body_links,
            lastmod=text.lastmod or page.lastmod,
            noindex=text.noindex,
            js_rendered=text.js_rendered,
            content_hash=reading.content_hash,
            etag=page.etag,
            last_modified=page.last_modified,
        )
