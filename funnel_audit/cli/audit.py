"""`funnel-audit audit` and `funnel-audit report`: crawl and report, or re-render a report."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from funnel_audit.cli.app import _accent, _parse_date, branding_options, cli


@cli.command()
@click.argument("target")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Output folder [default: ./funnel-audit-report/<site>-<date>/].",
)
@click.option(
    "--max-pages",
    type=click.IntRange(1),
    default=500,
    show_default=True,
    help="Stop after this many pages.",
)
@click.option(
    "--max-depth",
    type=click.IntRange(0),
    default=10,
    show_default=True,
    help="Follow links at most this many clicks from the start page.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Parallel requests.",
)
@click.option(
    "--delay",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Seconds between requests to one host (robots.txt Crawl-delay wins if larger).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1),
    default=20.0,
    show_default=True,
    help="Total seconds allowed per request.",
)
@click.option("--user-agent", default=None, help="User-Agent header to send.")
@click.option("--include-subdomains", is_flag=True, help="Also crawl subdomains of the host.")
@click.option("--include", multiple=True, help="Only follow URLs matching this regex (repeatable).")
@click.option(
    "--exclude", multiple=True, help="Never follow URLs matching this regex (repeatable)."
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Allow redirects to private/loopback addresses (implied for a local target).",
)
@click.option(
    "--ignore-robots", is_flag=True, help="Do not obey robots.txt (only for your own site)."
)
@click.option(
    "--alias-host",
    "alias_hosts",
    multiple=True,
    metavar="HOST",
    help="Another host name of the site, e.g. the live host of a staging copy or "
    "folder: links to it count as links within the site (repeatable).",
)
@click.option(
    "--target",
    "target_mix",
    default="",
    help="Target stage mix, e.g. awareness=0.4,consideration=0.3,decision=0.2,conversion=0.1.",
)
@click.option(
    "--weeks",
    type=click.IntRange(0, 104),
    default=12,
    show_default=True,
    help="Weeks the content calendar covers.",
)
@click.option(
    "--per-week",
    type=click.IntRange(1, 14),
    default=2,
    show_default=True,
    help="Calendar entries per week.",
)
@click.option(
    "--start",
    "start_date",
    default=None,
    help="First calendar date, YYYY-MM-DD [default: next Monday].",
)
@click.option(
    "--labels",
    type=click.Path(path_type=Path),
    help="CSV of url,stage with manual labels that override the model.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path),
    help="A model written by `funnel-audit train` [default: the shipped model].",
)
@branding_options
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path),
    help="History database [default: $FUNNEL_AUDIT_DB or "
    "~/.local/share/funnel-audit/history.sqlite3].",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the last interrupted audit of TARGET without refetching its pages.",
)
@click.option(
    "--no-conditional",
    is_flag=True,
    help="Refetch every page instead of sending conditional requests (ETag / "
    "Last-Modified from the last audit).",
)
@click.option(
    "--no-history", is_flag=True, help="Do not record this audit in the history database."
)
@click.option(
    "--parsers",
    type=click.IntRange(0, 16),
    default=None,
    help="Processes that read and classify pages while the crawl fetches, ~100 MB "
    "each [default: one per CPU, up to 3]; 0 reads them in the crawling process "
    "(one CPU core, least memory).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress output; only the summary.")
def audit(
    target: str,
    out_dir: Path | None,
    max_pages: int,
    max_depth: int,
    concurrency: int,
    delay: float,
    timeout: float,
    user_agent: str | None,
    include_subdomains: bool,
    include: Sequence[str],
    exclude: Sequence[str],
    allow_private: bool,
    ignore_robots: bool,
    alias_hosts: Sequence[str],
    target_mix: str,
    weeks: int,
    per_week: int,
    start_date: str | None,
    labels: Path | None,
    model_path: Path | None,
    client_name: str,
    agency_name: str,
    logo: Path | None,
    accent: str,
    template_dir: Path | None,
    db_path: Path | None,
    resume: bool,
    no_conditional: bool,
    no_history: bool,
    parsers: int | None,
    quiet: bool,
) -> None:
    """Crawl TARGET (an http(s) URL or a static-site folder) and write the audit to --out."""
    from funnel_audit.analyse.gaps import DEFAULT_TARGET, parse_target
    from funnel_audit.audit import AuditOptions, run_audit
    from funnel_audit.classify.store import default_model, load_model, needs_training
    from funnel_audit.crawl.crawler import DEFAULT_USER_AGENT, CrawlSettings
    from funnel_audit.report.html import Branding, logo_data_uri
    from funnel_audit.store.history import HistoryStore, default_db_path

    crawl = CrawlSettings(
        max_pages=max_pages,
        max_depth=max_depth,
        concurrency=concurrency,
        delay=delay,
        timeout=timeout,
        user_agent=user_agent or DEFAULT_USER_AGENT,
        allow_private=allow_private,
        include_subdomains=include_subdomains,
        include=tuple(include),
        exclude=tuple(exclude),
        respect_robots=not ignore_robots,
    )
    branding = Branding(
        client_name=client_name,
        agency_name=agency_name,
        accent=_accent(accent),
        logo_data_uri=logo_data_uri(logo),
    )
    opts = AuditOptions(
        target=target,
        out_dir=out_dir,
        crawl=crawl,
        target_mix=parse_target(target_mix) if target_mix else dict(DEFAULT_TARGET),
        weeks=weeks,
        per_week=per_week,
        start=_parse_date(start_date),
        labels=labels,
        branding=branding,
        template_dir=template_dir,
        resume=resume,
        conditional=not no_conditional,
        parsers=parsers,
        alias_hosts=tuple(alias_hosts),
    )
    if not quiet and model_path is None and needs_training():
        click.echo(
            "Training the classifier on this install's corpus (first run only, about half a "
            "minute) ...",
            err=True,
        )
    store = None if no_history else HistoryStore(db_path or default_db_path())
    progress, close = _progress(quiet)
    try:
        model: Any = default_model
        if model_path:
            load_model(model_path)  # a bad file fails here, with its own message
            model = functools.partial(load_model, model_path)  # loaded where pages are read
        outcome = run_audit(opts, model=model, store=store, progress=progress)
    finally:
        close()
        if store is not None:
            store.close()
    _print_summary(outcome)


@cli.command()
@click.argument("audit_json", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder [default: the folder holding AUDIT_JSON].",
)
@branding_options
def report(
    audit_json: Path,
    out_dir: Path | None,
    client_name: str,
    agency_name: str,
    logo: Path | None,
    accent: str,
    template_dir: Path | None,
) -> None:
    """Re-render report.html, pages.csv, calendar.csv/.ics from a stored AUDIT_JSON (no crawl)."""
    from funnel_audit.audit import rerender_audit
    from funnel_audit.report.html import Branding, logo_data_uri

    branding = Branding(
        client_name=client_name,
        agency_name=agency_name,
        accent=_accent(accent),
        logo_data_uri=logo_data_uri(logo),
    )
    outcome = rerender_audit(audit_json, out_dir, branding=branding, template_dir=template_dir)
    click.echo(
        f"Re-rendered the audit of {outcome.result.target} "
        f"({len(outcome.result.pages)} pages, audited "
        f"{outcome.result.finished_at:%Y-%m-%d})"
    )
    click.echo(f"Report: {outcome.files['report.html']}")


def _progress(quiet: bool) -> tuple[Callable[[Any], None] | None, Callable[[], None]]:
    """A progress bar on a terminal, a log line every 50 pages otherwise, nothing when quiet."""
    if quiet:
        return None, lambda: None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(unit="page", file=sys.stderr, dynamic_ncols=True, leave=False)

        def update(p: Any) -> None:
            bar.total = p.done + p.queued
            bar.n = p.done
            bar.set_postfix(queued=p.queued, errors=p.errors, rate=f"{p.rate:.0f}/s", refresh=False)
            bar.refresh()

        return update, bar.close

    def log(p: Any) -> None:
        if p.done % 50 == 0:
            click.echo(
                f"crawled {p.done} pages ({p.queued} queued, {p.errors} errors, "
                f"{p.rate:.0f} pages/s)",
                err=True,
            )

    return log, lambda: None


def _print_summary(outcome: Any) -> None:
    result = outcome.result
    click.echo(f"Audit of {result.target}: {len(result.pages)} pages")
    click.echo(f"{'stage':<15}{'pages':>7}{'share':>8}{'target':>8}  status")
    for s in result.mix:
        click.echo(
            f"{s.stage.value:<15}{s.pages:>7}{s.share:>8.0%}{s.target:>8.0%}  "
            f"{'THIN' if s.thin else 'ok'}"
        )
    excluded = sum(1 for p in result.pages if p.stage is not None and p.stage.value == "excluded")
    failed = sum(1 for p in result.pages if p.stage is None)
    click.echo(f"{'excluded':<15}{excluded:>7}")
    if failed:
        click.echo(f"{'not readable':<15}{failed:>7}")
    thin = [s.stage.value for s in result.mix if s.thin]
    click.echo(f"Thin stages: {', '.join(thin) if thin else 'none'}")
    for note in result.notes:
        click.echo(f"Note: {note}")
    click.echo(f"Report: {outcome.files.get('report.html', outcome.out_dir)}")
