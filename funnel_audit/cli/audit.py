"""`funnel-audit audit` and `funnel-audit report`: crawl and report, or re-render a report."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from funnel_audit.analyse.overweight import is_overweight
from funnel_audit.cli.app import cli
from funnel_audit.cli.options import (
    EPILOG,
    command_settings,
    db_path,
    model_cache,
    model_source,
    report_branding,
    setting_options,
)
from funnel_audit.config import audit_options
from funnel_audit.plan.health import health
from funnel_audit.settings import AUDIT, REPORT

if TYPE_CHECKING:  # the audit machinery loads only when an audit runs
    from funnel_audit.audit import AuditOutcome
    from funnel_audit.crawl.crawler import CrawlProgress


@cli.command(epilog=EPILOG)
@click.argument("site", metavar="TARGET")
@setting_options(AUDIT)
@click.pass_context
def audit(ctx: click.Context, /, site: str, **_: object) -> None:
    """Crawl TARGET (an http(s) URL or a static-site folder) and write the audit to --out."""
    from funnel_audit.audit import run_audit
    from funnel_audit.classify.store import needs_training
    from funnel_audit.store.open import open_store

    values, _config = command_settings(ctx, AUDIT, target=site)
    opts = audit_options(values, site, values["out"], values["parsers"])
    with model_cache(values):
        model = model_source(values)
        if not values["quiet"] and values["model"] is None and needs_training():
            click.echo(
                "Training the classifier on this install's corpus (first run only, about half a "
                "minute) ...",
                err=True,
            )
        store = open_store(db_path(values)) if values["history"] else None
        progress, close = _progress(values["quiet"])
        try:
            outcome = run_audit(opts, model=model, store=store, progress=progress)
        finally:
            close()
            if store is not None:
                store.close()
    _print_summary(outcome)
    _print_pdf(outcome, values["pdf"])


@cli.command(epilog=EPILOG)
@click.argument("audit_json", type=click.Path(path_type=Path, dir_okay=False))
@setting_options(REPORT)
@click.pass_context
def report(ctx: click.Context, /, audit_json: Path, **_: object) -> None:
    """Re-render report.html, pages.csv, calendar.csv/.ics from a stored AUDIT_JSON (no crawl)."""
    from funnel_audit.rewrite import rerender_audit

    values, _config = command_settings(ctx, REPORT)
    outcome = rerender_audit(
        audit_json,
        values["out"],
        branding=report_branding(values),
        template_dir=values["templates"],
        xlsx=values["xlsx"],
    )
    click.echo(
        f"Re-rendered the audit of {outcome.result.target} "
        f"({len(outcome.result.pages)} pages, audited "
        f"{outcome.result.finished_at:%Y-%m-%d})"
    )
    click.echo(f"Report: {outcome.files['report.html']}")
    _print_workbook(outcome)
    _print_pdf(outcome, values["pdf"])


def _progress(quiet: bool) -> tuple[Callable[[CrawlProgress], None] | None, Callable[[], None]]:
    """A progress bar on a terminal, a log line every 50 pages otherwise, nothing when quiet."""
    if quiet:
        return None, lambda: None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(unit="page", file=sys.stderr, dynamic_ncols=True, leave=False)

        def update(p: CrawlProgress) -> None:
            bar.total = p.done + p.queued
            bar.n = p.done
            bar.set_postfix(queued=p.queued, errors=p.errors, rate=f"{p.rate:.0f}/s", refresh=False)
            bar.refresh()

        return update, bar.close

    def log(p: CrawlProgress) -> None:
        if p.done % 50 == 0:
            click.echo(
                f"crawled {p.done} pages ({p.queued} queued, {p.errors} errors, "
                f"{p.rate:.0f} pages/s)",
                err=True,
            )

    return log, lambda: None


def _print_summary(outcome: AuditOutcome) -> None:
    result = outcome.result
    click.echo(f"Audit of {result.target}: {len(result.pages)} pages")
    click.echo(f"{'stage':<15}{'pages':>7}{'share':>8}{'target':>8}  status")
    for s in result.mix:
        click.echo(
            f"{s.stage.value:<15}{s.pages:>7}{s.share:>8.0%}{s.target:>8.0%}  "
            f"{'THIN' if s.thin else 'OVERWEIGHT' if is_overweight(s) else 'ok'}"
        )
    excluded = sum(1 for p in result.pages if p.stage is not None and p.stage.value == "excluded")
    failed = sum(1 for p in result.pages if p.stage is None)
    click.echo(f"{'excluded':<15}{excluded:>7}")
    if failed:
        click.echo(f"{'not readable':<15}{failed:>7}")
    thin = [s.stage.value for s in result.mix if s.thin]
    click.echo(f"Thin stages: {', '.join(thin) if thin else 'none'}")
    score = health(result.mix, result.gaps)
    click.echo(f"Health: {score.score}/100 ({score.verdict})")
    if result.actions:
        click.echo(f"Do first: {result.actions[0].text}")
    for note in result.notes:
        click.echo(f"Note: {note}")
    click.echo(f"Report: {outcome.files.get('report.html', outcome.out_dir)}")
    _print_workbook(outcome)


def _print_workbook(outcome: AuditOutcome) -> None:
    if "report.xlsx" in outcome.files:
        click.echo(f"Workbook: {outcome.files['report.xlsx']}")


def _print_pdf(outcome: AuditOutcome, wanted: bool) -> None:
    """With --pdf, print report.pdf from the report just written; where Chromium is missing (or
    fails) one warning line says so and how to get the PDF, and the command still succeeds."""
    if not wanted:
        return
    from funnel_audit.report.pdf import pdf_beside

    pdf, warning = pdf_beside(outcome.files["report.html"])
    if pdf is not None:
        click.echo(f"PDF: {pdf}")
    else:
        click.echo(f"Warning: {warning}", err=True)
