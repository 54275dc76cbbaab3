"""`funnel-audit history` and `funnel-audit diff`: read the audit history, never write it.

Registers its verbs on the click group in `app.py` (`main.py` imports it), so the core CLI
stays small. Formatting lives here; what "changed" means lives in diff.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from funnel_audit.analyse.diff import AuditDiff, diff_audits, pick_pair, shares
from funnel_audit.cli.app import cli
from funnel_audit.cli.options import command_settings, db_path, setting_options
from funnel_audit.errors import LookupFailed
from funnel_audit.models import Stage
from funnel_audit.ports import AuditStore
from funnel_audit.settings import DIFF, HISTORY
from funnel_audit.store.location import Location
from funnel_audit.store.open import open_existing as open_existing_store

SHORT = {"awareness": "aware", "consideration": "consid", "decision": "decis", "conversion": "conv"}


@contextmanager
def open_existing(location: Location) -> Iterator[AuditStore]:
    """Open a history that must already exist: reading never creates an empty SQLite file."""
    store = open_existing_store(location)
    try:
        yield store
    finally:
        store.close()


def _short_time(stamp: str | None) -> str:
    return (stamp or "")[:16].replace("T", " ")


def history_rows(store: AuditStore, site: str | None) -> list[dict[str, Any]]:
    """Audits oldest first, each with its page count and stage mix (from its stored pages)."""
    rows = []
    for audit in store.audits(site):
        counts = store.stage_counts(audit.id)
        mix = shares(counts)
        rows.append(
            {
                "id": audit.id,
                "site": audit.site,
                "target": audit.target,
                "started_at": audit.started_at,
                "finished_at": audit.finished_at,
                "status": audit.status,
                "model_version": audit.model_version,
                "error": audit.error,
                "pages": sum(counts.values()),
                "mix": {stage: {"pages": n, "share": share} for stage, (n, share) in mix.items()},
            }
        )
    return rows


@cli.command("history")
@click.argument("site", required=False)
@setting_options(HISTORY)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def history(ctx: click.Context, /, site: str | None, as_json: bool, **_: object) -> None:
    """List stored audits, oldest first, with status and stage mix.

    SITE is a site key (host name or folder name), the exact target audited, or a site name
    from funnel-audit.toml; without it every audit is listed.
    """
    values, _config = command_settings(ctx, HISTORY)
    with open_existing(db_path(values)) as store:
        rows = history_rows(store, site)
    if site and not rows:
        raise LookupFailed(
            f"no audits of {site!r} in the history database "
            "(run `funnel-audit history` to list every site)"
        )
    if as_json:
        click.echo(json.dumps(rows, indent=1, ensure_ascii=False))
        return
    if not rows:
        click.echo("No audits yet.")
        return
    stages = [s.value for s in Stage.funnel()]
    click.echo(
        f"{'id':>5}  {'started':<16}  {'status':<11}{'pages':>6}"
        + "".join(f"{SHORT[s]:>8}" for s in stages)
        + "  site"
    )
    for row in rows:
        counted = any(row["mix"][s]["pages"] for s in stages)
        mix = "".join(f"{row['mix'][s]['share']:>8.0%}" if counted else f"{'-':>8}" for s in stages)
        click.echo(
            f"{row['id']:>5}  {_short_time(row['started_at']):<16}  "
            f"{row['status']:<11}{row['pages']:>6}{mix}  {row['site']}"
        )


@cli.command("diff")
@click.argument("site")
@click.argument("old", type=int, required=False)
@click.argument("new", type=int, required=False)
@setting_options(DIFF)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def diff(
    ctx: click.Context, /, site: str, old: int | None, new: int | None, as_json: bool, **_: object
) -> None:
    """Show what changed between two audits of SITE.

    OLD and NEW are audit ids (see `funnel-audit history SITE`); by default the last two
    complete audits are compared, and OLD alone is compared with the latest complete audit.
    Lists new and removed pages, pages whose stage changed, pages rewritten within their stage,
    gaps opened and closed, and the drift of each stage's share.
    """
    values, _config = command_settings(ctx, DIFF)
    with open_existing(db_path(values)) as store:
        before, after = pick_pair(store.audits(site), site, old, new)
        old_audit = store.audit(before.id) or before
        new_audit = store.audit(after.id) or after
        result = diff_audits(old_audit, store.pages(before.id), new_audit, store.pages(after.id))
    if as_json:
        click.echo(json.dumps(dict(result.to_dict(), site=site), indent=1, ensure_ascii=False))
        return
    for line in format_diff(result, site):
        click.echo(line)


def format_diff(d: AuditDiff, site: str) -> list[str]:
    """The diff as lines of plain text for the terminal."""
    lines = [
        f"{site}: audit {d.old.id} ({_short_time(d.old.started_at)}, {d.old.status}) -> "
        f"audit {d.new.id} ({_short_time(d.new.started_at)}, {d.new.status})"
    ]
    sections: list[tuple[str, list[str]]] = [
        ("New pages", [f"  + {p.url}  [{p.stage}]" for p in d.added]),
        ("Removed pages", [f"  - {p.url}  [{p.stage}]" for p in d.removed]),
        (
            "Stage changed",
            [f"  ~ {c.url}  {c.old_stage} -> {c.new_stage}" for c in d.stage_changed],
        ),
        ("Rewritten, same stage", [f"  * {url}" for url in d.content_changed]),
    ]
    if d.gaps_opened is not None and d.gaps_closed is not None:
        sections += [
            ("Gaps opened", [f"  + {g.message or g.kind}" for g in d.gaps_opened]),
            ("Gaps closed", [f"  - {g.message or g.kind}" for g in d.gaps_closed]),
        ]
    for title, items in sections:
        lines.append(f"{title} ({len(items)})" + (":" if items else ""))
        lines.extend(items)
    if d.gaps_opened is None:
        lines.append("Gaps: not recorded for one of these audits, so not compared")
    lines.append(f"{'stage':<15}{'old':>12}{'new':>12}{'drift':>10}")
    for s in d.drift:
        lines.append(
            f"{s.stage:<15}{f'{s.old_pages} ({s.old_share:.0%})':>12}"
            f"{f'{s.new_pages} ({s.new_share:.0%})':>12}"
            f"{s.delta_share * 100:>+8.0f}pt"
        )
    return lines
