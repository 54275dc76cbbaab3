"""`run_audit`: the one place where crawl, extract, classify, analyse, plan, store and report meet.

Pages stream through: each fetched page is extracted at once, classified in small batches and
committed to the history database, and only a compact PageResult stays in memory. Raw HTML is never
held for more than one page at a time.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from funnel_audit.boilerplate import RepeatedLines
from funnel_audit.classify import StageModel
from funnel_audit.corpus import load_labels
from funnel_audit.crawl import Crawler, CrawlProgress, CrawlSettings, KnownPage, read_folder
from funnel_audit.errors import OutputError, TargetError
from funnel_audit.exports import (
    calendar_ics,
    write_audit_json,
    write_calendar_csv,
    write_pages_csv,
)
from funnel_audit.extract import extract
from funnel_audit.features import doc_from_page
from funnel_audit.gaps import (
    DEFAULT_TARGET,
    content_quality,
    find_gaps,
    funnel_pages,
    stage_mix,
)
from funnel_audit.history import HistoryStore
from funnel_audit.linkflow import analyse_links, page_key
from funnel_audit.models import AuditResult, FetchedPage, PageResult, PageText, Stage
from funnel_audit.plan import DEFAULT_PER_WEEK, DEFAULT_WEEKS, build_calendar, next_monday
from funnel_audit.published import published_entries
from funnel_audit.report import Branding, render_report
from funnel_audit.reuse import plan_reuse
from funnel_audit.topics import find_topics, topic_text
from funnel_audit.urls import InvalidURLError, normalize_url, site_key

BATCH = 64
FLUSH_SECONDS = 2.0
MAX_LINK_CACHE = 500_000
ModelSource = StageModel | Callable[[], StageModel]
OUTPUT_FILES = ("report.html", "pages.csv", "calendar.csv", "calendar.ics", "audit.json")


@dataclass(frozen=True)
class AuditOptions:
    target: str
    out_dir: Path | None = None
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    target_mix: dict[Stage, float] = field(default_factory=lambda: dict(DEFAULT_TARGET))
    weeks: int = DEFAULT_WEEKS
    per_week: int = DEFAULT_PER_WEEK
    start: date | None = None
    labels: Path | None = None
    resume: bool = False
    conditional: bool = True
    branding: Branding = field(default_factory=Branding)
    template_dir: Path | None = None


@dataclass
class AuditOutcome:
    result: AuditResult
    out_dir: Path
    files: dict[str, Path]


def is_folder_target(target: str) -> bool:
    return "://" not in target


def resolve_target(target: str) -> tuple[str, Path | None]:
    """(target as given, folder or None); a clear error for what can never be audited."""
    if is_folder_target(target):
        folder = Path(target).expanduser()
        if not folder.exists():
            raise TargetError(f"folder not found: {target} (give a folder holding a static site, "
                              "or a full http(s):// URL)")
        if not folder.is_dir():
            raise TargetError(f"not a folder: {target} (give a folder or an http(s):// URL)")
        return target, folder.resolve()
    try:
        scheme = urlsplit(target).scheme.lower()
    except ValueError as exc:
        raise TargetError(f"invalid URL {target[:200]!r}: {exc}") from exc
    if scheme not in ("http", "https"):
        raise TargetError(f"unsupported URL scheme {scheme!r} in {target[:200]!r}: "
                          "use http:// or https://")
    return target, None


def default_out_dir(target: str, folder: Path | None, today: date) -> Path:
    name = folder.name if folder else site_key(target)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:80] or "site"
    return Path("funnel-audit-report") / f"{safe}-{today.isoformat()}"


def prepare_out_dir(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".funnel-audit-write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputError(f"cannot write to output folder {out}: {reason} "
                          "(choose another --out)") from exc
    return out


def site_name(titles: Sequence[str], fallback: str) -> str:
    """The brand: the title segment most pages share ("Pricing | Ledgerloop" -> "Ledgerloop")."""
    counts: Counter[str] = Counter()
    for title in titles:
        parts = {p.strip() for p in re.split(r"\s[|\u2013\u2014:\u00b7-]\s", title) if p.strip()}
        counts.update(p for p in parts if 2 <= len(p) <= 40)
    if counts and titles:
        name, n = counts.most_common(1)[0]
        if n >= max(2, 0.4 * len(titles)):
            return name
    host = fallback.split(".")
    core = host[1] if host[0] == "www" and len(host) > 2 else host[0]
    return " ".join(w.capitalize() for w in re.split(r"[-_]+", core) if w) or fallback


class _Pipeline:
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


def _pages(opts: AuditOptions, folder: Path | None, pipeline: _Pipeline,
           progress: Callable[[CrawlProgress], None] | None, notes: list[str],
           known: dict[str, KnownPage]) -> Iterator[FetchedPage]:
    if folder is not None:
        yield from read_folder(folder, opts.crawl, on_page=pipeline.on_page, notes=notes)
        return
    crawler = Crawler(opts.crawl, progress=progress)
    try:
        yield from crawler.crawl(opts.target, on_page=pipeline.on_page, known=known)
    finally:
        notes.extend(crawler.notes)


def run_audit(opts: AuditOptions, *, model: ModelSource, store: HistoryStore | None = None,
              today: date | None = None, clock: Callable[[], datetime] | None = None,
              progress: Callable[[CrawlProgress], None] | None = None,
              write_outputs: bool = True) -> AuditOutcome:
    """Audit one site end to end. `today` and `clock` are injected so tests control time."""
    now = clock or (lambda: datetime.now(UTC))
    started = now()
    today = today or started.date()
    target, folder = resolve_target(opts.target)
    out_dir = opts.out_dir or default_out_dir(target, folder, today)
    if write_outputs:
        prepare_out_dir(out_dir)
    overrides = {}
    if opts.labels is not None:
        overrides = {page_key(ex.doc.url): ex.label for ex in load_labels(opts.labels)}
    site = folder.name if folder else site_key(target)
    settings = settings_summary(opts)
    pipeline = _Pipeline(model, store, None, overrides)
    reuse = plan_reuse(store, target, resume=opts.resume, conditional=opts.conditional)
    notes: list[str] = [reuse.note] if reuse.note else []
    pipeline.prior = reuse.prior
    pipeline.preload(reuse.finished)
    if store is not None and reuse.resume_id is not None:
        store.reopen_audit(reuse.resume_id)
        pipeline.audit_id = reuse.resume_id
    elif store is not None:
        pipeline.audit_id = store.start_audit(site, target, started, settings,
                                              _model_version(model))
    audit_id = pipeline.audit_id
    try:
        for page in _pages(opts, folder, pipeline, progress, notes, reuse.known):
            pipeline.add(page)
        pipeline.flush()
        if not pipeline.results:
            raise TargetError(f"no HTML pages found in {target}")
        result = _analyse(opts, pipeline, target, site, started, now(), settings,
                          pipeline.model, today, notes, audit_id)
    except BaseException as exc:
        if store is not None and audit_id is not None:
            pipeline.flush()
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            store.finish_audit(audit_id, now(), status, error=str(exc)[:500] or status)
        raise
    if store is not None and audit_id is not None:
        store.set_topics(audit_id, {p.url: p.topic for p in result.pages if p.topic})
        store.record_findings(audit_id, result.gaps, result.calendar)
        store.finish_audit(audit_id, result.finished_at, "complete", summary=summary(result),
                           model_version=result.model_version)
    previous = since_last(store, target, audit_id, result) if store is not None else None
    files = write_all(result, out_dir, opts, previous) if write_outputs else {}
    return AuditOutcome(result, out_dir, files)


def _analyse(opts: AuditOptions, pipeline: _Pipeline, target: str, site: str, started: datetime,
             finished: datetime, settings: dict[str, Any], model: StageModel, today: date,
             notes: list[str], audit_id: int | None) -> AuditResult:
    urls = list(pipeline.topic_texts)
    labels, topics = find_topics([pipeline.topic_texts[u] for u in urls])
    topic_of = {u: topics[i].name for u, i in zip(urls, labels, strict=True)}
    pages = tuple(replace(p, topic=topic_of.get(p.url, "")) for p in pipeline.results)
    mix = stage_mix(pages, opts.target_mix)
    flow = analyse_links(pages, None if is_folder_target(target) else target)
    quality = content_quality(pages, today)
    gaps = find_gaps(pages, mix, flow.findings, quality)
    matrix: dict[str, dict[str, int]] = {t.name: {} for t in topics}
    for p in funnel_pages(pages):
        if p.topic:
            row = matrix[p.topic]
            row[p.stage.value] = row.get(p.stage.value, 0) + 1  # type: ignore[union-attr]
    name = opts.branding.client_name or site_name(pipeline.titles, site)
    calendar = build_calendar(pages, mix, gaps, topics, site_name=name,
                              start=opts.start or next_monday(today), weeks=opts.weeks,
                              per_week=opts.per_week)
    if pipeline.unchanged:
        notes.append(f"{pipeline.unchanged} page(s) unchanged since the last audit (HTTP 304): "
                     "their earlier results were reused")
    if pipeline.duplicates:
        notes.append(f"{pipeline.duplicates} page(s) skipped as duplicates of a canonical URL")
    if pipeline.js_pages:
        notes.append(f"{pipeline.js_pages} page(s) look JavaScript-rendered (little text, heavy "
                     "scripts): their labels rest on little evidence")
    return AuditResult(target=target, site=site, started_at=started, finished_at=finished,
                       settings=settings, model_version=model.version, pages=pages, mix=mix,
                       gaps=gaps, calendar=calendar, topics=matrix, notes=tuple(notes),
                       audit_id=audit_id, link_flow={"onward_share": flow.onward_share,
                                                     "stage_links": flow.stage_links},
                       quality=quality)


def _model_version(model: ModelSource) -> str:
    return model.version if isinstance(model, StageModel) else "pending"


def settings_summary(opts: AuditOptions) -> dict[str, Any]:
    c = opts.crawl
    return {"max_pages": c.max_pages, "max_depth": c.max_depth, "concurrency": c.concurrency,
            "delay": c.delay, "user_agent": c.user_agent,
            "target_mix": {s.value: round(v, 4) for s, v in opts.target_mix.items()},
            "weeks": opts.weeks, "per_week": opts.per_week}


def summary(result: AuditResult) -> dict[str, Any]:
    return {"pages": len(result.pages),
            "mix": {s.stage.value: {"pages": s.pages, "share": s.share, "thin": s.thin}
                    for s in result.mix},
            "gaps": len(result.gaps), "calendar": len(result.calendar)}


def since_last(store: HistoryStore, target: str, audit_id: int | None,
               result: AuditResult) -> dict[str, Any] | None:
    """Stage counts then and now, and the trend over every complete audit of this target."""
    earlier = [a for a in store.audits(target) if a["target"] == target
               and a["status"] == "complete" and a["id"] != audit_id]
    if not earlier:
        return None
    funnel = [s.value for s in Stage.funnel()]
    trend = []
    for audit in earlier:
        counts = store.stage_counts(audit["id"])
        trend.append({"date": audit["started_at"][:10],
                      "counts": {s: counts.get(s, 0) for s in funnel}})
    now = {s.stage.value: s.pages for s in result.mix}
    trend.append({"date": result.started_at.date().isoformat(), "counts": now})
    last = trend[-2]
    stored = store.audit(earlier[-1]["id"]) or {}
    old_urls = {p["url"] for p in store.pages(earlier[-1]["id"])}
    published = published_entries(stored.get("calendar") or (), old_urls, result.pages)
    trend_max = max([1, *(n for point in trend for n in point["counts"].values())])
    return {"date": last["date"], "trend": trend, "trend_max": trend_max, "published": published,
            "stages": [{"stage": s, "then": last["counts"][s], "now": now.get(s, 0)}
                       for s in funnel]}


def write_all(result: AuditResult, out_dir: Path, opts: AuditOptions,
              previous: dict[str, Any] | None = None) -> dict[str, Path]:
    files = {name: out_dir / name for name in OUTPUT_FILES}
    try:
        write_pages_csv(result, files["pages.csv"])
        write_calendar_csv(result.calendar, files["calendar.csv"])
        files["calendar.ics"].write_text(
            calendar_ics(result.calendar, site=result.site, stamp=result.finished_at),
            encoding="utf-8", newline="")
        write_audit_json(result, files["audit.json"])
        html = render_report(result, branding=opts.branding, template_dir=opts.template_dir,
                             previous=previous)
        files["report.html"].write_text(html, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write outputs to {out_dir}: {exc.strerror or exc}") from exc
    return files


def rerender_audit(audit_json: Path, out_dir: Path | None = None, *,
                   branding: Branding | None = None,
                   template_dir: Path | None = None) -> AuditOutcome:
    """Write every output again from a stored audit.json, without crawling or classifying.

    Lets an agency rebrand a report or pick up template fixes for an audit already delivered.
    `out_dir` defaults to the folder the audit.json is in.
    """
    from funnel_audit.exports import read_audit_json

    result = read_audit_json(audit_json)
    out = prepare_out_dir(out_dir if out_dir is not None else audit_json.parent)
    opts = AuditOptions(target=result.target, out_dir=out, branding=branding or Branding(),
                        template_dir=template_dir)
    return AuditOutcome(result, out, write_all(result, out, opts))
