"""`run_audit`: the one place where crawl, extract, classify, analyse, plan, store and report meet.

Pages stream through: each fetched page is extracted at once, classified in small batches and
committed to the history database, and only a compact PageResult stays in memory. Raw HTML is never
held for more than one page at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from funnel_audit.analyse.gaps import (
    DEFAULT_TARGET,
    content_quality,
    find_gaps,
    funnel_pages,
    stage_mix,
)
from funnel_audit.analyse.linkflow import LinkFlow, analyse_links, main_origin
from funnel_audit.analyse.linkmap import LOCAL_HOSTS, parse_alias, site_aliases
from funnel_audit.analyse.since_last import since_last
from funnel_audit.analyse.topics import find_topics
from funnel_audit.classify.overrides import Overrides, load_overrides
from funnel_audit.crawl.crawler import Crawler, CrawlProgress, CrawlSettings, KnownPage, read_folder
from funnel_audit.crawl.urls import site_key
from funnel_audit.errors import OutputError, TargetError
from funnel_audit.models import AuditResult, FetchedPage, Stage
from funnel_audit.pipeline import ModelSource, PagePipeline
from funnel_audit.plan.planner import DEFAULT_PER_WEEK, DEFAULT_WEEKS, build_calendar, next_monday
from funnel_audit.read.brand import NEUTRAL_NAME, find_brand, host_words
from funnel_audit.read.reading import default_parsers
from funnel_audit.report.exports import (
    calendar_ics,
    write_audit_json,
    write_calendar_csv,
    write_labels_todo,
    write_pages_csv,
)
from funnel_audit.report.html import Branding, render_report
from funnel_audit.store.history import HistoryStore
from funnel_audit.store.reuse import plan_reuse

OUTPUT_FILES = (
    "report.html",
    "pages.csv",
    "labels-todo.csv",
    "calendar.csv",
    "calendar.ics",
    "audit.json",
)


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
    # processes that read pages while the crawl fetches (0: read in the crawling process;
    # None: one per CPU up to three); folders are always read in-process
    parsers: int | None = None
    # other host names of the site (--alias-host): links to them are links within the site
    alias_hosts: tuple[str, ...] = ()


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
            raise TargetError(
                f"folder not found: {target} (give a folder holding a static site, "
                "or a full http(s):// URL)"
            )
        if not folder.is_dir():
            raise TargetError(f"not a folder: {target} (give a folder or an http(s):// URL)")
        return target, folder.resolve()
    try:
        scheme = urlsplit(target).scheme.lower()
    except ValueError as exc:
        raise TargetError(f"invalid URL {target[:200]!r}: {exc}") from exc
    if scheme not in ("http", "https"):
        raise TargetError(
            f"unsupported URL scheme {scheme!r} in {target[:200]!r}: use http:// or https://"
        )
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
        raise OutputError(
            f"cannot write to output folder {out}: {reason} (choose another --out)"
        ) from exc
    return out


def _pages(
    opts: AuditOptions,
    folder: Path | None,
    pipeline: PagePipeline,
    progress: Callable[[CrawlProgress], None] | None,
    notes: list[str],
    known: dict[str, KnownPage],
) -> Iterator[FetchedPage]:
    if folder is not None:
        yield from read_folder(folder, opts.crawl, on_page=pipeline.on_page, notes=notes)
        return
    crawler = Crawler(opts.crawl, progress=progress)
    try:
        yield from crawler.crawl(opts.target, on_page=pipeline.on_page, known=known)
    finally:
        notes.extend(crawler.notes)


def run_audit(
    opts: AuditOptions,
    *,
    model: ModelSource,
    store: HistoryStore | None = None,
    today: date | None = None,
    clock: Callable[[], datetime] | None = None,
    progress: Callable[[CrawlProgress], None] | None = None,
    write_outputs: bool = True,
) -> AuditOutcome:
    """Audit one site end to end. `today` and `clock` are injected so tests control time."""
    now = clock or (lambda: datetime.now(UTC))
    started = now()
    today = today or started.date()
    target, folder = resolve_target(opts.target)
    out_dir = opts.out_dir or default_out_dir(target, folder, today)
    if write_outputs:
        prepare_out_dir(out_dir)
    overrides = load_overrides(opts.labels) if opts.labels is not None else Overrides()
    site = folder.name if folder else site_key(target)
    settings = settings_summary(opts)
    alias_hosts = tuple(parse_alias(host) for host in opts.alias_hosts)
    pipeline = PagePipeline(
        model,
        store,
        None,
        overrides,
        parsers=0
        if folder is not None
        else default_parsers()
        if opts.parsers is None
        else opts.parsers,
    )
    pipeline.alias_hosts = alias_hosts
    reuse = plan_reuse(
        store,
        target,
        resume=opts.resume,
        conditional=opts.conditional,
        model_version=lambda: pipeline.model.version,
    )
    notes: list[str] = [reuse.note] if reuse.note else []
    pipeline.prior = reuse.prior
    pipeline.prior_texts = reuse.prior_texts
    pipeline.prior_evidence = reuse.evidence
    pipeline.preload(reuse.finished)
    if store is not None and reuse.resume_id is not None:
        store.reopen_audit(reuse.resume_id)
        pipeline.audit_id = reuse.resume_id
    elif store is not None:
        pipeline.audit_id = store.start_audit(
            site, target, started, settings, _model_version(model)
        )
    audit_id = pipeline.audit_id
    try:
        for page in _pages(opts, folder, pipeline, progress, notes, reuse.known):
            pipeline.add(page)
        pipeline.flush()
        pipeline.stop_parsers()  # their memory is free for the analysis
        if not pipeline.results:
            raise TargetError(f"no HTML pages found in {target}")
        result = _analyse(
            opts,
            pipeline,
            target,
            site,
            started,
            now(),
            settings,
            pipeline.model_version,
            today,
            notes,
            audit_id,
        )
    except BaseException as exc:
        if store is not None and audit_id is not None:
            pipeline.flush()
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            store.finish_audit(audit_id, now(), status, error=str(exc)[:500] or status)
        raise
    finally:
        pipeline.close()
    if store is not None and audit_id is not None:
        store.set_stages(audit_id, [p for p in result.pages if p.label_source == "model"])
        store.set_topics(audit_id, {p.url: p.topic for p in result.pages if p.topic})
        store.record_findings(audit_id, result.gaps, result.calendar)
        store.finish_audit(
            audit_id,
            result.finished_at,
            "complete",
            summary=summary(result),
            model_version=result.model_version,
        )
    previous = since_last(store, target, audit_id, result) if store is not None else None
    # a todo file passed back from this output folder is about to be rewritten: keep its
    # decisions at the top of the new one
    rewritten = (
        opts.labels is not None and opts.labels.resolve() == (out_dir / "labels-todo.csv").resolve()
    )
    files = (
        write_all(result, out_dir, opts, previous, settled=overrides.rows if rewritten else ())
        if write_outputs
        else {}
    )
    return AuditOutcome(result, out_dir, files)


LITTLE_TEXT_WORDS = 50  # under this, a page's main text is too little to tell its stage by


def _analyse(
    opts: AuditOptions,
    pipeline: PagePipeline,
    target: str,
    site: str,
    started: datetime,
    finished: datetime,
    settings: dict[str, Any],
    model_version: str,
    today: date,
    notes: list[str],
    audit_id: int | None,
) -> AuditResult:
    # the site's name from its pages, never its host: "" when nothing on them names it
    name = opts.branding.client_name or find_brand(pipeline.titles, pipeline.brand)
    _judge_site(pipeline, name, notes)
    funnel_urls = {p.url for p in pipeline.results if p.stage in Stage.funnel()}
    urls = [u for u in pipeline.topic_texts if u in funnel_urls]
    del funnel_urls
    hosts = {target} if not is_folder_target(target) else set()
    hosts.update(p.url for p in pipeline.results[:1])
    labels, topics = find_topics(
        pipeline.topic_texts.texts(urls),
        brand=name,
        avoid=[w for h in sorted(hosts) for w in host_words(h)],
    )
    topic_of = {u: topics[i].name for u, i in zip(urls, labels, strict=True)}
    del urls, labels
    # in place, so the pages are never held twice on big sites
    results = pipeline.results
    for i, page in enumerate(results):
        results[i] = replace(page, topic=topic_of.get(page.url, ""))
    pages = tuple(results)
    results.clear()
    del topic_of
    mix = stage_mix(pages, opts.target_mix)
    flow = _link_flow(pipeline, pages, target, notes)
    quality = content_quality(pages, today)
    gaps = find_gaps(pages, mix, flow.findings, quality)
    matrix: dict[str, dict[str, int]] = {t.name: {} for t in topics}
    for p in funnel_pages(pages):
        if p.topic:
            row = matrix[p.topic]
            row[p.stage.value] = row.get(p.stage.value, 0) + 1  # type: ignore[union-attr]
    calendar = build_calendar(
        pages,
        mix,
        gaps,
        topics,
        site_name=name or NEUTRAL_NAME,
        start=opts.start or next_monday(today),
        weeks=opts.weeks,
        per_week=opts.per_week,
    )
    if pipeline.unchanged:
        notes.append(
            f"{pipeline.unchanged} page(s) unchanged since the last audit (HTTP 304): "
            "their earlier results were reused"
        )
    if pipeline.duplicates:
        notes.append(f"{pipeline.duplicates} page(s) skipped as duplicates of a canonical URL")
    if pipeline.js_pages:
        notes.append(
            f"{pipeline.js_pages} page(s) look JavaScript-rendered (little text, heavy "
            "scripts): their labels rest on little evidence"
        )
    # most pages near-empty: more likely a template the reader cannot see into than a thin site
    read = sum(1 for p in pages if p.stage is not None)
    little = sum(1 for p in pages if p.stage is not None and p.word_count < LITTLE_TEXT_WORDS)
    if little * 2 > read:
        notes.append(
            f"{little} of {read} pages yielded under {LITTLE_TEXT_WORDS} words of main text: the "
            "site's template may hide its content from the reader; stages and thin-page findings "
            "rest on little evidence"
        )
    return AuditResult(
        target=target,
        site=site,
        started_at=started,
        finished_at=finished,
        settings=settings,
        model_version=model_version,
        pages=pages,
        mix=mix,
        gaps=gaps,
        calendar=calendar,
        topics=matrix,
        notes=tuple(notes),
        audit_id=audit_id,
        link_flow={
            "onward_share": flow.onward_share,
            "stage_links": flow.stage_links,
            "links": flow.stats,
        },
        quality=quality,
        brand=name,
    )


def _judge_site(pipeline: PagePipeline, brand: str, notes: list[str]) -> None:
    """The site-level pass (`site_pass.py`), in place: each page judged with its site."""
    if not len(pipeline.evidence):
        return
    from funnel_audit.classify.site_pass import judge_site

    pipeline.results[:], done = judge_site(
        pipeline.model, pipeline.results, pipeline.evidence, brand
    )
    if done.changed:
        notes.append(
            f"site-level pass: {done.changed} of {done.pages_judged} page(s) changed "
            f"stage once judged with their site ({done.common_terms} site-wide term(s) "
            "set aside, sections and page families taken into account)"
        )
    if done.families:
        found = ", ".join(f"{name} {n}" for name, n in sorted(done.families.items()))
        notes.append(
            f"page families recognised by their addresses, titles and structured data: {found}"
        )
    if done.mixed_sections:
        shown = ", ".join(done.mixed_sections[:5])
        more = f" and {len(done.mixed_sections) - 5} more" if len(done.mixed_sections) > 5 else ""
        notes.append(f"sections whose pages carry mixed stages (worth a check): {shown}{more}")


def _link_flow(
    pipeline: PagePipeline, pages: tuple[Any, ...], target: str, notes: list[str]
) -> LinkFlow:
    """The link analysis with the site's other names: --alias-host hosts, the live host most
    pages name as their own (canonical, og:url, base href) and, for a folder, localhost."""
    folder = is_folder_target(target)
    origin = main_origin(p.url for p in pages)
    aliases, detected = site_aliases(origin, pipeline.claims, pipeline.alias_hosts, folder=folder)
    flow = analyse_links(
        pages,
        None if folder else target,
        aliases=aliases,
        folder=folder,
        origin=origin,
        candidates={*pipeline.claims.hosts, *LOCAL_HOSTS},
        guard_orphans=True,
    )
    found = [str(a) for a in detected if a not in pipeline.alias_hosts]
    if found:
        notes.append(
            f"links to {', '.join(found)} (the address most pages give as their own) "
            "were counted as links within this site"
            + ("" if folder else "; to crawl them as well, add --alias-host")
        )
    notes.extend(flow.notes)
    blocked = sum(1 for p in pages if p.error == "blocked by robots.txt")
    if blocked:
        notes.append(
            f"{blocked} page(s) not read: blocked by robots.txt (for a site you own, "
            "use --ignore-robots)"
        )
    flow.stats["alias_hosts"] = sorted({*found, *(str(a) for a in pipeline.alias_hosts)})
    return flow


def _model_version(model: ModelSource) -> str:
    return str(model.version) if hasattr(model, "predict") else "pending"


def settings_summary(opts: AuditOptions) -> dict[str, Any]:
    c = opts.crawl
    summary = {
        "max_pages": c.max_pages,
        "max_depth": c.max_depth,
        "concurrency": c.concurrency,
        "delay": c.delay,
        "user_agent": c.user_agent,
        "target_mix": {s.value: round(v, 4) for s, v in opts.target_mix.items()},
        "weeks": opts.weeks,
        "per_week": opts.per_week,
    }
    if opts.alias_hosts:
        summary["alias_hosts"] = list(opts.alias_hosts)
    return summary


def summary(result: AuditResult) -> dict[str, Any]:
    return {
        "pages": len(result.pages),
        "mix": {
            s.stage.value: {"pages": s.pages, "share": s.share, "thin": s.thin} for s in result.mix
        },
        "gaps": len(result.gaps),
        "calendar": len(result.calendar),
    }


def write_all(
    result: AuditResult,
    out_dir: Path,
    opts: AuditOptions,
    previous: dict[str, Any] | None = None,
    settled: Sequence[tuple[str, str]] = (),
) -> dict[str, Path]:
    files = {name: out_dir / name for name in OUTPUT_FILES}
    try:
        write_pages_csv(result, files["pages.csv"])
        write_labels_todo(result, files["labels-todo.csv"], settled)
        write_calendar_csv(result.calendar, files["calendar.csv"])
        files["calendar.ics"].write_text(
            calendar_ics(
                result.calendar, site=result.brand or result.site, stamp=result.finished_at
            ),
            encoding="utf-8",
            newline="",
        )
        write_audit_json(result, files["audit.json"])
        html = render_report(
            result, branding=opts.branding, template_dir=opts.template_dir, previous=previous
        )
        files["report.html"].write_text(html, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write outputs to {out_dir}: {exc.strerror or exc}") from exc
    return files


def rerender_audit(
    audit_json: Path,
    out_dir: Path | None = None,
    *,
    branding: Branding | None = None,
    template_dir: Path | None = None,
) -> AuditOutcome:
    """Write every output again from a stored audit.json, without crawling or classifying.

    Lets an agency rebrand a report or pick up template fixes for an audit already delivered.
    `out_dir` defaults to the folder the audit.json is in.
    """
    from funnel_audit.report.exports import read_audit_json

    result = read_audit_json(audit_json)
    out = prepare_out_dir(out_dir if out_dir is not None else audit_json.parent)
    opts = AuditOptions(
        target=result.target,
        out_dir=out,
        branding=branding or Branding(),
        template_dir=template_dir,
    )
    return AuditOutcome(result, out, write_all(result, out, opts))
