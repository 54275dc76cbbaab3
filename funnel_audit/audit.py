"""`run_audit`: the one place where crawl, extract, classify, analyse, plan, store and report meet.

Pages stream through: each fetched page is extracted at once, classified in small batches and
committed to the history database, and only a compact PageResult stays in memory. Raw HTML is never
held for more than one page at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from funnel_audit.analyse.since_last import since_last
from funnel_audit.classify.overrides import Overrides, load_overrides
from funnel_audit.crawl.aliases import Alias, parse_alias
from funnel_audit.crawl.crawler import Crawler, CrawlProgress, KnownPage
from funnel_audit.crawl.folder import read_folder_site
from funnel_audit.crawl.urls import site_key, strip_userinfo
from funnel_audit.errors import OutputError, TargetError
from funnel_audit.findings import build_result, is_folder_target
from funnel_audit.models import AuditResult
from funnel_audit.options import AuditOptions, AuditOutcome
from funnel_audit.ports import OPEN_GATE, AuditStore, PageReader, ReadPage, RequestGate
from funnel_audit.read.readers import page_reader
from funnel_audit.read.reading import ModelSource, default_parsers
from funnel_audit.report import workbook
from funnel_audit.report.calendar_files import (
    write_calendar_csv,
    write_calendar_ics,
    write_tasks_csv,
)
from funnel_audit.report.exports import write_audit_json, write_labels_todo, write_pages_csv
from funnel_audit.report.html import render_report
from funnel_audit.report.pdf import drop_stale_pdf
from funnel_audit.report.staging import staged_outputs
from funnel_audit.report.templates_check import check_templates
from funnel_audit.site_pages import Earlier, SitePages
from funnel_audit.store.batches import PageBatches
from funnel_audit.store.identity import live_audit_lock, site_identity
from funnel_audit.store.reuse import plan_reuse

__all__ = [
    "OUTPUT_FILES",
    "AuditOptions",
    "AuditOutcome",
    "resolve_target",
    "run_audit",
    "write_all",
]

OUTPUT_FILES = (
    "report.html",
    "pages.csv",
    "labels-todo.csv",
    "calendar.csv",
    "tasks.csv",
    "calendar.ics",
    "audit.json",
)


def resolve_target(target: str) -> tuple[str, Path | None]:
    """(target as given, folder or None); a clear error for what can never be audited."""
    if not target.strip():
        # "" would be the current folder: never audit what nobody named
        raise TargetError("empty target: give a folder holding a static site or an http(s):// URL")
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
    target = strip_userinfo(target)  # the target as recorded and shown: no credentials
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


def _read_pages(
    opts: AuditOptions,
    folder: Path | None,
    reader: PageReader,
    aliases: tuple[Alias, ...],
    progress: Callable[[CrawlProgress], None] | None,
    notes: list[str],
    known: dict[str, KnownPage],
    session: requests.Session | None,
    gate: RequestGate,
) -> Iterator[ReadPage]:
    """Every page of the site once, with its reading: a folder walked, or a site crawled."""
    if folder is not None:
        yield from read_folder_site(folder, opts.crawl, reader, notes=notes)
        return
    crawler = Crawler(opts.crawl, session=session, progress=progress, gate=gate)
    try:
        start = strip_userinfo(opts.target)
        yield from crawler.read_site(start, reader, known=known, aliases=aliases)
    finally:
        notes.extend(crawler.notes)


def run_audit(
    opts: AuditOptions,
    *,
    model: ModelSource,
    store: AuditStore | None = None,
    today: date | None = None,
    clock: Callable[[], datetime] | None = None,
    progress: Callable[[CrawlProgress], None] | None = None,
    write_outputs: bool = True,
    session: requests.Session | None = None,
    gate: RequestGate = OPEN_GATE,
) -> AuditOutcome:
    """Audit one site end to end (see `_audit`). With a store, the target is locked for the
    whole run: a second run of it (a `--resume` while the first still crawls, an overlapping
    schedule) stops at once instead of fetching the same pages beside it. `gate` is what each
    request passes through (a distributed worker's cap on requests in flight)."""
    check_templates(opts.template_dir)  # a broken --templates stops before the crawl
    target, folder = resolve_target(opts.target)
    with live_audit_lock(store, site_identity(target, folder)[1], target):
        return _audit(
            opts,
            model=model,
            store=store,
            today=today,
            clock=clock,
            progress=progress,
            write_outputs=write_outputs,
            session=session,
            gate=gate,
        )


def _audit(
    opts: AuditOptions,
    *,
    model: ModelSource,
    store: AuditStore | None = None,
    today: date | None = None,
    clock: Callable[[], datetime] | None = None,
    progress: Callable[[CrawlProgress], None] | None = None,
    write_outputs: bool = True,
    session: requests.Session | None = None,
    gate: RequestGate = OPEN_GATE,
) -> AuditOutcome:
    """Audit one site end to end: crawl -> read -> classify -> store batches as pages come, then
    judge the site, analyse, plan and write the outputs. The side effects come in: the model, the
    store, the clock (`today`, `clock`), the HTTP session (else one of its own) and the progress
    callback; nothing is printed."""
    now = clock or (lambda: datetime.now(UTC))
    started = now()
    today = today or started.date()
    target, folder = resolve_target(opts.target)
    out_dir = opts.out_dir or default_out_dir(target, folder, today)
    if write_outputs:
        prepare_out_dir(out_dir)
    if opts.xlsx:
        workbook.require_workbook_libraries()  # before the crawl, not after it
    overrides = load_overrides(opts.labels) if opts.labels is not None else Overrides()
    site = folder.name if folder else site_key(target)
    site_id, kept_as = site_identity(target, folder)
    settings = settings_summary(opts)
    aliases = tuple(parse_alias(host) for host in opts.alias_hosts)
    parsers = (
        0 if folder is not None else default_parsers() if opts.parsers is None else opts.parsers
    )
    reader = page_reader(model, parsers)
    reuse = plan_reuse(
        store,
        kept_as,
        resume=opts.resume,
        conditional=opts.conditional,
        model_version=lambda: reader.model.version,
    )
    notes: list[str] = [reuse.note] if reuse.note else []
    pages = SitePages(overrides, aliases, Earlier(reuse.prior, reuse.prior_texts, reuse.evidence))
    pages.keep(reuse.finished)
    audit_id: int | None = None
    if store is not None and reuse.resume_id is not None:
        store.reopen_audit(reuse.resume_id)
        audit_id = reuse.resume_id
    elif store is not None:
        audit_id = store.start_audit(site_id, kept_as, started, settings, _model_version(model))
    batches = (
        PageBatches(store, audit_id, pages.topic_texts, pages.evidence.read, lambda: pages.version)
        if store is not None and audit_id is not None
        else None
    )
    try:
        pages_in = _read_pages(
            opts, folder, reader, aliases, progress, notes, reuse.known, session, gate
        )
        for item in pages_in:
            result = pages.add(item)
            if result is not None and batches is not None:
                batches.add(result)
        if batches is not None:
            batches.flush()
        reader.close()  # the parsers' memory is free for the analysis
        if not pages.results:
            raise TargetError(f"no HTML pages found in {target}")
        version = pages.version or reader.model.version
        result_ = build_result(
            opts,
            pages,
            reader,
            target,
            site,
            (started, now()),
            settings,
            version,
            today,
            notes,
            audit_id,
        )
    except BaseException as exc:
        if store is not None and audit_id is not None:
            if batches is not None:
                batches.flush()
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            store.finish_audit(audit_id, now(), status, error=str(exc)[:500] or status)
        raise
    finally:
        reader.close()
        pages.close()
    if store is not None and audit_id is not None:
        store.set_stages(audit_id, [p for p in result_.pages if p.label_source == "model"])
        store.set_topics(audit_id, {p.url: p.topic for p in result_.pages if p.topic})
        store.record_findings(audit_id, result_.gaps, result_.calendar)
    previous = since_last(store, kept_as, audit_id, result_) if store is not None else None
    # a todo file passed back from this output folder is about to be rewritten: keep its
    # decisions at the top of the new one
    rewritten = (
        opts.labels is not None and opts.labels.resolve() == (out_dir / "labels-todo.csv").resolve()
    )
    try:
        files = (
            write_all(result_, out_dir, opts, previous, settled=overrides.rows if rewritten else ())
            if write_outputs
            else {}
        )
    except BaseException as exc:
        # complete means every output is in place: a run whose outputs failed is due again
        if store is not None and audit_id is not None:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            store.finish_audit(audit_id, now(), status, error=str(exc)[:500] or status)
        raise
    if store is not None and audit_id is not None:
        store.save_result(audit_id, result_)  # `export` writes the outputs again from it
        store.finish_audit(
            audit_id,
            result_.finished_at,
            "complete",
            summary=summary(result_),
            model_version=result_.model_version,
        )
    return AuditOutcome(result_, out_dir, files)


def _model_version(model: ModelSource) -> str:
    """Known at once for a loaded model; a model source is loaded where pages are read."""
    return "pending" if callable(model) else model.version


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
    """Write every output file of an audit: all of them, or (on any failure) none, the previous
    outputs staying whole (`report/staging.py`)."""
    names = [*OUTPUT_FILES, *((workbook.WORKBOOK,) if opts.xlsx else ())]
    try:
        with staged_outputs(out_dir) as stage:
            write_pages_csv(result, stage / "pages.csv")
            write_labels_todo(result, stage / "labels-todo.csv", settled)
            write_calendar_csv(result.calendar, stage / "calendar.csv")
            write_tasks_csv(result.calendar, stage / "tasks.csv")
            write_calendar_ics(result, stage / "calendar.ics")
            write_audit_json(result, stage / "audit.json")
            html = render_report(
                result, branding=opts.branding, template_dir=opts.template_dir, previous=previous
            )
            (stage / "report.html").write_text(html, encoding="utf-8")
            if opts.xlsx:  # openpyxl loads in here alone, after the crawl, and only when asked
                workbook.write_workbook(result, stage / workbook.WORKBOOK)
        workbook.drop_stale_workbooks(out_dir, written=opts.xlsx)
        drop_stale_pdf(out_dir)  # --pdf prints a new one from this report.html (cli/audit.py)
    except OSError as exc:
        raise OutputError(f"cannot write outputs to {out_dir}: {exc.strerror or exc}") from exc
    return {name: out_dir / name for name in names}
