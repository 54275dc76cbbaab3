"""Extract, classify and commit pages as the crawl yields them.

Each fetched page is extracted at once and classified in batches; batches are committed to the
history database every BATCH pages or FLUSH_SECONDS, so a run killed later keeps them. Only a
compact PageResult (and a short topic text) stays in memory per page.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from funnel_audit.boilerplate import RepeatedLines
from funnel_audit.classify import StageModel
from funnel_audit.extract import extract
from funnel_audit.features import doc_from_page
from funnel_audit.history import HistoryStore
from funnel_audit.linkflow import page_key
from funnel_audit.models import FetchedPage, PageResult, PageText, Stage
from funnel_audit.topics import topic_text
from funnel_audit.urls import InvalidURLError, normalize_url

BATCH = 64
FLUSH_SECONDS = 2.0
MAX_LINK_CACHE = 500_000
ModelSource = StageModel | Callable[[], StageModel]


class PagePipeline:
    """Extract, classify and store pages as the crawl yields them."""

    def __init__(self, model: ModelSource, store: HistoryStore | None, audit_id: int | None,
                 overrides: dict[str, str]) -> None:
        self._model_source = model
        self._model: StageModel | None = model if isinstance(model, StageModel) else None
        self.store = store
        self.audit_id = audit_id
        self.overrides = overrides
        self.texts: dict[str, PageText] = {}
        self.pending: list[tuple[FetchedPage, PageText | None, tuple[PageResult, str] | None]] = []
        self.results: list[PageResult] = []
        self.topic_texts: dict[str, str] = {}
        self.titles: list[str] = []
        self.canonicals: set[str] = set()
        self.duplicates = 0
        self.js_pages = 0
        self._keys: dict[str, str] = {}
        self.done: set[str] = set()
        self.repeated = RepeatedLines()
        self._last_flush = time.monotonic()
        self.prior: dict[str, tuple[PageResult, str]] = {}
        self.unchanged = 0

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

    @property
    def model(self) -> StageModel:
        """Loaded on first use, so a start page that fails costs no model load."""
        if self._model is None:
            source = self._model_source
            self._model = source if isinstance(source, StageModel) else source()
        return self._model

    def on_page(self, page: FetchedPage) -> Sequence[str]:
        text = extract(page)
        self.texts[page.url] = text
        return text.links

    def preload(self, rows: Sequence[tuple[PageResult, str]]) -> None:
        """Pages a resumed audit already committed: kept as they are, never fetched again."""
        for result, text in rows:
            self.results.append(result)
            self.done.add(result.url)
            if result.title:
                self.titles.append(result.title)
            if text:
                self.topic_texts[result.url] = text

    def add(self, page: FetchedPage) -> None:
        if page.url in self.done:
            return
        if page.not_modified and page.url in self.prior:
            self.pending.append((page, None, self.prior[page.url]))
            self.unchanged += 1
            if self._flush_due():
                self.flush()
            return
        text = self.texts.pop(page.url, None)
        if text is None and page.ok:
            text = extract(page)
        if text is not None:
            main = self.repeated.filter(text.main_text)
            if main != text.main_text:
                text = replace(text, main_text=main)
        if text is not None and text.canonical:
            canon = page_key(text.canonical)
            own = page_key(page.final_url or page.url)
            same_host = urlsplit(canon).netloc == urlsplit(own).netloc
            if canon != own and same_host and canon in self.canonicals:
                self.duplicates += 1
                return
            self.canonicals.add(canon)
        self.pending.append((page, text, None))
        if self._flush_due():
            self.flush()

    def _flush_due(self) -> bool:
        """Every BATCH pages or FLUSH_SECONDS, so a slow crawl that is killed loses little."""
        return len(self.pending) >= BATCH or \
            time.monotonic() - self._last_flush >= FLUSH_SECONDS

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self.pending:
            return
        readable = [t for _, t, _ in self.pending if t is not None]
        preds = iter(self.model.predict([doc_from_page(t) for t in readable]) if readable else ())
        batch: list[PageResult] = []
        for page, text, reused in self.pending:
            if reused is not None:
                batch.append(self._reuse(page, *reused))
            else:
                batch.append(self._result(page, text, next(preds) if text is not None else None))
        self.pending = []
        self.results.extend(batch)
        if self.store is not None and self.audit_id is not None:
            self.store.add_pages(self.audit_id, batch, self.topic_texts)

    def _reuse(self, page: FetchedPage, prior: PageResult, text: str) -> PageResult:
        """A 304 page keeps its earlier reading; manual labels still win."""
        if text:
            self.topic_texts[page.url] = text
        if prior.title:
            self.titles.append(prior.title)
        manual = self.overrides.get(page_key(page.url))
        if manual:
            prior = replace(prior, stage=Stage(manual), confidence=1.0,
                            reasons=("manual label",), label_source="manual",
                            needs_review=False)
        return replace(prior, depth=page.depth, etag=page.etag or prior.etag,
                       last_modified=page.last_modified or prior.last_modified)

    def _result(self, page: FetchedPage, text: PageText | None, pred: Any) -> PageResult:
        if text is None or pred is None:
            return PageResult(url=page.url, status=page.status, error=page.error or "no content",
                              depth=page.depth, content_type=page.content_type, title="",
                              word_count=0, stage=None, confidence=0.0, reasons=(),
                              needs_review=False, label_source="none", lastmod=page.lastmod)
        manual = self.overrides.get(page_key(page.url))
        if manual:
            stage, confidence, reasons, source, review = Stage(manual), 1.0, ("manual label",), \
                "manual", False
        else:
            stage, confidence, reasons = Stage(pred.label), pred.confidence, pred.reasons
            source, review = "model", pred.needs_review
        if text.js_rendered:
            self.js_pages += 1
        self.titles.append(text.title)
        if stage is not Stage.EXCLUDED:
            self.topic_texts[page.url] = topic_text(text.title, text.headings, text.main_text)
        origin = urlsplit(page.final_url or page.url).netloc
        links = tuple(dict.fromkeys(k for k in map(self._link_key, text.links)
                                    if urlsplit(k).netloc == origin))
        return PageResult(
            url=page.url, status=page.status, error=None, depth=page.depth,
            content_type=page.content_type, title=text.title, word_count=text.word_count,
            stage=stage, confidence=round(confidence, 4), reasons=reasons, needs_review=review,
            label_source=source, links=links, lastmod=text.lastmod or page.lastmod,
            noindex=text.noindex, js_rendered=text.js_rendered,
            content_hash=hashlib.sha1(text.main_text.encode("utf-8", "replace")).hexdigest(),
            etag=page.etag, last_modified=page.last_modified)
