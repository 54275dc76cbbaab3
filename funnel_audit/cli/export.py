"""`funnel-audit export SITE [AUDIT]`: write an audit's outputs from the history alone, on any
machine that reaches it (a shared PostgreSQL history, or a copy of the SQLite file).

Registered on the click group in `app.py` (`main.py` imports it); the work is
`store/export.py`'s.
"""

from __future__ import annotations

import click

from funnel_audit.cli.app import cli
from funnel_audit.cli.audit import _print_pdf, _print_workbook
from funnel_audit.cli.options import (
    EPILOG,
    command_settings,
    db_path,
    report_branding,
    setting_options,
)
from funnel_audit.settings import EXPORT
from funnel_audit.store.export import export_audit, pick_audit
from funnel_audit.store.open import open_existing


@cli.command("export", epilog=EPILOG)
@click.argument("site")
@click.argument("audit_id", metavar="[AUDIT]", type=int, required=False)
@setting_options(EXPORT)
@click.pass_context
def export(ctx: click.Context, /, site: str, audit_id: int | None, **_: object) -> None:
    """Write report.html, the CSV, ICS and JSON files of a stored audit of SITE to --out.

    SITE is a site key, the exact target audited, or a site name from funnel-audit.toml; AUDIT
    is an audit id (see `funnel-audit history SITE`), by default the site's last complete audit.
    Nothing is crawled: the files come from the result the history keeps, so any machine that
    reaches the database can write them. Branding comes from the options, or from the file's
    [[sites]] entry of the audited target.
    """
    values, _config = command_settings(ctx, EXPORT)
    with open_existing(db_path(values)) as store:
        record = pick_audit(store.audits(site), site, audit_id)
        values, _config = command_settings(ctx, EXPORT, target=record.target)
        outcome = export_audit(
            store,
            record,
            values["out"],
            template_dir=values["templates"],
            xlsx=values["xlsx"],
            branding=report_branding(values),
        )
    result = outcome.result
    click.echo(
        f"Exported audit {record.id} of {result.target} ({len(result.pages)} pages, audited "
        f"{result.finished_at:%Y-%m-%d})"
    )
    click.echo(f"Report: {outcome.files['report.html']}")
    _print_workbook(outcome)
    _print_pdf(outcome, values["pdf"])
