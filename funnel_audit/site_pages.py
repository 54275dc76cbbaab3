"""Turn each page the crawl yields into the compact `PageResult` the audit keeps, and keep what
the after-crawl steps need from all of them.

Only a PageResult stays in memory per page; its topic text and the model's token counts wait on
disk (`store/spool.py`). Manual labels win over the model; a page answered 304 keeps its earlier
result; a page whose canonical URL was already seen is counted as a duplicate and dropped. What
the pages say about the site (its name, the hosts it calls its own) is gathered here too.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from funnel_audit.analyse.linkmap import LOCAL_HOSTS, HostClaims, claimed_hosts, www_twin
from funnel_audit.classify.overrides import Overrides
from funnel_audit.crawl.aliases import Alias, rewrite
from funnel_audit.crawl.urls import InvalidURLError, normalize_url, page_key
from funnel_audit.models import FetchedPage, PageResult, PageText, Stage
from funnel_audit.ports import ReadPage
from funnel_audit.read.brand import BrandVotes
from funnel_audit.read.reading import Reading
from funnel_audit.store.spool import BlobSpool, TextSpool

MAX_LINK_CACHE = 500_000
# form fields that make a form a lead, booking or sign-up form (not a search box)
LEAD_FIELDS = frozenset({"email", "phone"})


@dataclass
class Earlier:
    """What earlier runs lend this one (`store/reuse.py`): pages to reuse on a 304, with their
    topic texts and token counts."""

    pages: Mapping[str, PageResult]
    texts: Mapping[str, str]
    evidence: BlobSpool | None = None


class SitePages:
    """The audit's pages, one `add` per page the crawl yields."""

    def __init__(
        self,
        overrides: Overrides,
        aliases: Sequence[Alias] = (),
        earlier: Earlier | None = None,
    ) -> None:
        self.overrides = overrides
        self.aliases = tuple(aliases)
        self.earlier = earlier or Earlier({}, {})
        self.results: list[PageResult] = []
        self.topic_texts = TextSpool()
        self.evidence = BlobSpool()
        self.titles: list[str] = []
        self.brand = BrandVotes()  # what pages say the site is called, in bounded counters
        # the live host(s) pages name (canonical, og:url, base href)
        self.claims = HostClaims()
        self.duplicates = self.js_pages = self.unchanged = 0
        self.version = ""  # the version of the model that read the pages
        self._canonicals: set[str] = set()
        self._keys: dict[str, str] = {}
        self._done: set[str] = set()

    def close(self) -> None:
        """Release the on-disk spools (the OS also removes them if the process dies)."""
        self.topic_texts.close()
        self.evidence.close()
        for spool in (self.earlier.texts, self.earlier.evidence):
            if isinstance(spool, BlobSpool):
                spool.close()

    def keep(self, rows: Iterable[tuple[PageResult, str]]) -> None:
        """Pages a resumed audit already committed: kept as they are, never fetched again."""
        for result, text in rows:
            self.results.append(result)
            self._done.add(result.url)
            if result.title:
                self.titles.append(result.title)
            if text:
                self.topic_texts[result.url] = text
            self._keep_evidence(result)

    def add(self, item: ReadPage) -> PageResult | None:
        """The page's result (also kept in `results`), or None for a page already seen or a
        duplicate of a canonical URL."""
        page, reading = item.page, item.reading
        if page.url in self._done:
            return None
        self._done.add(page.url)
        prior = self.earlier.pages.get(page.url)
        if page.not_modified and prior is not None:
            self.unchanged += 1
            result = self._reuse(page, prior, self.earlier.texts.get(page.url, ""))
        elif reading is not None:
            if self._duplicate(page, reading.text):
                return None
            self.claims.add(
                page.final_url or page.url,
                reading.text.canonical,
                reading.text.og_url,
                reading.text.base_href,
            )
            result = self._result(page, reading)
        else:
            result = _failure(page, item.error)
        self.results.append(result)
        return result

    def _duplicate(self, page: FetchedPage, text: PageText) -> bool:
        """A page whose canonical URL (on its own host) was already seen."""
        if not text.canonical:
            return False
        canon = page_key(text.canonical)
        own = page_key(page.final_url or page.url)
        same_host = urlsplit(canon).netloc == urlsplit(own).netloc
        if canon != own and same_host and canon in self._canonicals:
            self.duplicates += 1
            return True
        self._canonicals.add(canon)
        return False

    def _keep_evidence(self, result: PageResult) -> None:
        """A reused page's stored token counts, so the site-level pass judges it too."""
        if result.label_source == "model" and self.earlier.evidence is not None:
            data = self.earlier.evidence.read(result.url)
            if data:
                self.evidence.write(result.url, data)

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

    def _result(self, page: FetchedPage, reading: Reading) -> PageResult:
        text, pred = reading.text, reading.prediction
        self.version = reading.model_version
        manual = self.overrides.get(page.url)
        reasons: tuple[str, ...]
        if manual:
            stage, confidence, reasons = Stage(manual.stage), 1.0, (manual.reason,)
            source, review = "manual", False
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
            lead_form=any(LEAD_FIELDS.intersection(f.field_kinds) for f in text.forms),
            etag=page.etag,
            last_modified=page.last_modified,
        )

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
            link = rewrite(raw, f"{parts.scheme}://{origin}", self.aliases) if self.aliases else raw
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


def _failure(page: FetchedPage, error: str | None) -> PageResult:
    return PageResult(
        url=page.url,
        status=page.status,
        error=error or page.error or "no content",
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
