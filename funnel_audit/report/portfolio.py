"""The agency's portfolio: every site in the history (and every site of the config file), one
line each, read through the `AuditStore` port alone, so it works the same on every backend.

A site is the config file's `[[sites]]` entry whose url the audit targeted (else a name the
history's sites table remembers for that target, else the history's own site key). The next due
date is the caller's (`run-due`'s rule, in schedule.py), so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from funnel_audit.analyse.diff import diff_audits
from funnel_audit.analyse.portfolio import (
    AuditMark,
    SiteLine,
    StageFigure,
    health_of,
    last_failure,
    mark,
    page_total,
    stage_figures,
    trend,
)
from funnel_audit.config import SiteConfig, target_key
from funnel_audit.plan.health import Health
from funnel_audit.ports import AuditStore
from funnel_audit.store.records import AuditRecord

FORMAT = "funnel-audit-portfolio/1"


@dataclass(frozen=True, slots=True)
class Listed:
    """A site the config file lists: its name, target, client, cadence and next due date."""

    name: str
    target: str
    client_name: str
    cadence: str
    next_due: date


@dataclass(frozen=True, slots=True)
class _Audited:
    figures: tuple[StageFigure, ...]
    health: Health | None
    mark: AuditMark


def _audited(store: AuditStore, audit: AuditRecord) -> tuple[AuditRecord, _Audited]:
    full = store.audit(audit.id) or audit
    counts = store.stage_counts(audit.id)
    figures = stage_figures(full, counts)
    return full, _Audited(figures, health_of(full, figures), mark(full, page_total(full, counts)))


def site_line(
    store: AuditStore | None,
    name: str,
    audits: Sequence[AuditRecord],
    listed: Listed | None,
    client_name: str = "",
    today: date | None = None,
) -> SiteLine:
    """One site's figures from its audits (oldest first)."""
    complete = [a for a in audits if a.complete]
    last_full: AuditRecord | None = None
    last: _Audited | None = None
    line_trend = None
    if complete and store is not None:
        last_full, last = _audited(store, complete[-1])
        if len(complete) > 1:
            prev_full, prev = _audited(store, complete[-2])
            diff = diff_audits(
                prev_full, store.pages(prev_full.id), last_full, store.pages(last_full.id)
            )
            line_trend = trend(
                prev.mark,
                prev.figures,
                last.figures,
                diff,
                prev.health.score if prev.health else None,
                last.health.score if last.health else None,
            )
    latest = audits[-1] if audits else None
    shown = last_full or latest
    due = listed.next_due if listed else None
    return SiteLine(
        name=name,
        site=shown.site if shown else "",
        target=listed.target if listed else (latest.target if latest else ""),
        client_name=(listed.client_name if listed else "") or client_name,
        configured=listed is not None,
        cadence=listed.cadence if listed else "",
        last=last.mark if last else None,
        mix=last.figures if last else (),
        health=last.health.score if last and last.health else None,
        verdict=last.health.verdict if last and last.health else "",
        trend=line_trend,
        next_due=due,
        due_now=due is not None and today is not None and due <= today,
        failure=last_failure(audits),
    )


def collect(
    store: AuditStore | None, listed: Sequence[Listed] = (), today: date | None = None
) -> list[SiteLine]:
    """Every site's line, sorted by name (case-insensitive, then as written); without a store
    (no history yet) only the listed sites, none of them audited."""
    by_target: dict[tuple[str, ...], str] = {}
    clients: dict[str, str] = {}
    for site in listed:
        by_target.setdefault(target_key(site.target), site.name)
    groups: dict[str, list[AuditRecord]] = {}
    if store is not None:
        groups = _groups(store, by_target, clients)
    named = {site.name: site for site in listed}
    lines = [
        site_line(store, name, groups.get(name, []), named.get(name), clients.get(name, ""), today)
        for name in set(groups) | set(named)
    ]
    return sorted(lines, key=lambda line: (line.name.casefold(), line.name))


def _groups(
    store: AuditStore, by_target: dict[tuple[str, ...], str], clients: dict[str, str]
) -> dict[str, list[AuditRecord]]:
    """The store's audits by the name each site goes by (oldest first); names the history's
    sites table knows are added to `by_target` and their clients to `clients`."""
    taken = set(by_target.values())
    for record in store.sites():
        key = target_key(record.target)
        if key not in by_target and record.name not in taken:
            taken.add(record.name)
            by_target[key] = record.name
            clients[record.name] = record.client_name
    groups: dict[str, list[AuditRecord]] = {}
    keys: dict[str, tuple[str, ...]] = {}
    for audit in store.audits():
        if audit.target not in keys:
            keys[audit.target] = target_key(audit.target)
        name = by_target.get(keys[audit.target], audit.site)
        groups.setdefault(name, []).append(audit)
    return groups


def document(lines: Sequence[SiteLine], generated_at: datetime) -> dict[str, Any]:
    """The `--json` document: a format tag, when it was made, and every site's figures."""
    return {
        "format": FORMAT,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "sites": [line.to_dict() for line in lines],
    }


def listed_sites(sites: Sequence[SiteConfig], due: Callable[[SiteConfig], date]) -> list[Listed]:
    """The config file's sites (`SiteConfig`s) with the next due date `due` gives each."""
    return [
        Listed(s.name, s.url, str(s["client_name"] or ""), str(s.cadence), due(s)) for s in sites
    ]
