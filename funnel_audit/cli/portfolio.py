"""`funnel-audit portfolio`: every site's last audit, mix, health, trend, due date and last
failure, as a terminal table, JSON or an HTML page. A thin shell over report/portfolio.py.

Registered on the click group in `app.py` (`main.py` imports it). Next due dates come from
schedule.py's `due_date`, the rule `run-due` follows.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import click

from funnel_audit.analyse.portfolio import SiteLine, one_line
from funnel_audit.cli.app import cli
from funnel_audit.cli.history import open_existing
from funnel_audit.cli.options import EPILOG, command_settings, db_path, setting_options
from funnel_audit.config import SiteConfig
from funnel_audit.ports import AuditStore
from funnel_audit.report.portfolio import collect, document, listed_sites
from funnel_audit.report.portfolio_html import render_portfolio, write_portfolio
from funnel_audit.schedule import due_date, local_now
from funnel_audit.settings import PORTFOLIO
from funnel_audit.store.location import Location
from funnel_audit.store.open import exists

WIDTH = 100
NAME_WIDTH = 16
SHORT = ("aware", "consid", "decis", "conv")
LEGEND = (
    "stages: % of funnel pages (v thin, ^ overweight), then the change in points since the",
    "previous complete audit; health: score and its change; +/- pages: pages added and removed",
)
EMPTY = (
    "No sites yet: the history database holds no audits and no config file lists sites "
    "(audit a site with --db, or list sites in funnel-audit.toml)."
)


def _fit(text: str, width: int) -> str:
    """`text` in at most `width` characters, cut with an ellipsis (its spacing kept)."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _name(text: str, width: int = NAME_WIDTH) -> str:
    """A name on one printable line (it may come from a website or a folder), fitted."""
    return _fit(one_line(text, 10_000), width)


def _stage_cell(line: SiteLine, i: int) -> str:
    if not line.mix:
        return f"{'-':>7}"
    figure = line.mix[i]
    flag = "v" if figure.thin else "^" if figure.overweight else " "
    moved = ""
    if line.trend is not None:
        moved = f"{line.trend.share_points.get(figure.stage, 0.0):+.0f}"
    return f"{figure.share * 100:>3.0f}{flag}{moved:>3}"


def table_lines(lines: list[SiteLine]) -> list[str]:
    """The terminal table: one row per site within WIDTH columns, then the failures' errors."""
    head = (
        f"{'site':<{NAME_WIDTH}} {'last audit':<10} {'id':>5} {'pages':>5}"
        + "".join(f" {name:>7}" for name in SHORT)
        + f" {'health':>7} {'+/- pages':>9} {'next due':<10}"
    )
    out = [head.rstrip()]
    for line in lines:
        last = line.last
        health = "-" if line.health is None else str(line.health)
        if line.health is not None and line.trend and line.trend.health_change is not None:
            health += f" {line.trend.health_change:+d}"
        pages = f"+{line.trend.pages_added}/-{line.trend.pages_removed}" if line.trend else "-"
        due = line.next_due.isoformat() if line.next_due else "-"
        if line.due_now:
            due = "due now"
        row = (
            f"{_name(line.name):<{NAME_WIDTH}} "
            f"{last.date if last else 'never':<10} {last.id if last else '-':>5} "
            f"{last.pages if last else '-':>5}"
            + "".join(f" {_stage_cell(line, i)}" for i in range(len(SHORT)))
            + f" {health:>7} {pages:>9} {due:<10}"
        )
        out.append(_fit(row.rstrip(), WIDTH))
    out += LEGEND
    failures = [line for line in lines if line.failure is not None]
    if failures:
        out.append("last failures since the last complete audit:")
        for line in failures:
            f = line.failure
            assert f is not None
            out.append(_fit(f"  {line.name}: {f.status} {f.date} (audit {f.id}): {f.error}", WIDTH))
    return out


def _store(location: Location) -> AbstractContextManager[AuditStore | None]:
    """The history, or None for a database file that does not exist yet (reading never
    creates one)."""
    if not exists(location):
        return nullcontext(None)
    return open_existing(location)


@cli.command("portfolio", epilog=EPILOG)
@setting_options(PORTFOLIO)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Write a self-contained HTML page to FILE instead.",
)
@click.pass_context
def portfolio(ctx: click.Context, /, as_json: bool, html_file: Path | None, **_: object) -> None:
    """The agency's overview: every site in the history and in the config file.

    For each site: its last complete audit (date, id, pages), the share of each funnel stage
    with thin and overweight stages, the health score, what moved since the previous complete
    audit (stage shares in points, pages added and removed, health), the next due date from
    the config file's cadence, and the last failed or interrupted audit since the last complete
    one. Sorted by site name.
    """
    if as_json and html_file is not None:
        raise click.UsageError("give --json or --html FILE, not both")
    values, config = command_settings(ctx, PORTFOLIO)
    now = local_now()
    sites: tuple[SiteConfig, ...] = config.sites if config is not None else ()
    with _store(db_path(values)) as store:
        listed = listed_sites(sites, lambda site: due_date(store, site, now))
        lines = collect(store, listed, now.date())
    if as_json:
        click.echo(json.dumps(document(lines, now), indent=1, ensure_ascii=False))
        return
    if html_file is not None:
        write_portfolio(html_file, render_portfolio(lines, now))
        click.echo(f"wrote {html_file} ({len(lines)} site{'s' if len(lines) != 1 else ''})")
        if not lines:
            click.echo(EMPTY)
        return
    if not lines:
        click.echo(EMPTY)
        return
    for text in table_lines(lines):
        click.echo(text)
