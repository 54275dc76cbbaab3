"""What changed since the last audit of a site: stage deltas, the trend across audits, and which
of the last calendar's entries now exist on the site, so a client sees progress.

A planned entry counts as published when a page that is new since that audit has the entry's
stage and carries one of its topic keywords (or its topic phrase) in the title or topic. Each new
page answers at most one entry, and entries are taken in calendar order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from funnel_audit.models import AuditResult, PageResult, Stage
from funnel_audit.ports import AuditStore
from funnel_audit.store.records import AuditRecord


def published_entries(
    calendar: Iterable[Mapping[str, Any]], old_urls: set[str], pages: Sequence[PageResult]
) -> list[dict[str, str]]:
    """The last calendar's entries that a page new since that audit now answers (see the module
    docstring for the match), as rows for the report."""
    fresh = [p for p in pages if p.url not in old_urls and p.stage is not None and not p.error]
    taken: set[str] = set()
    found = []
    for entry in calendar:
        phrases = [
            str(k).lower()
            for k in (*entry.get("keywords", ()), entry.get("target_topic"))
            if k and len(str(k)) >= 4
        ]
        for page in fresh:
            if page.url in taken or page.stage.value != entry.get("stage"):  # type: ignore[union-attr]
                continue
            haystack = f"{page.title} {page.topic}".lower()
            if any(phrase in haystack for phrase in phrases):
                taken.add(page.url)
                found.append(
                    {
                        "date": str(entry.get("date", "")),
                        "stage": str(entry["stage"]),
                        "title": str(entry.get("working_title", "")),
                        "url": page.url,
                        "page_title": page.title,
                    }
                )
                break
    return found


def since_last(
    store: AuditStore,
    target: str,
    audit_id: int | None,
    result: AuditResult,
    before: AuditRecord | None = None,
) -> dict[str, Any] | None:
    """Stage counts then and now, and the trend over every complete audit of this target (only
    those started `before` an audit, when it is given: an older audit exported again)."""
    earlier = [
        a
        for a in store.audits(target)
        if a.target == target
        and a.complete
        and a.id != audit_id
        and (before is None or (a.started_at, a.id) < (before.started_at, before.id))
    ]
    if not earlier:
        return None
    funnel = [s.value for s in Stage.funnel()]
    trend: list[dict[str, Any]] = []
    for audit in earlier:
        counts = store.stage_counts(audit.id)
        trend.append(
            {"date": audit.started_at[:10], "counts": {s: counts.get(s, 0) for s in funnel}}
        )
    now = {s.stage.value: s.pages for s in result.mix}
    trend.append({"date": result.started_at.date().isoformat(), "counts": now})
    last = trend[-2]
    stored = store.audit(earlier[-1].id)
    old_urls = {p.url for p in store.pages(earlier[-1].id)}
    calendar = stored.calendar if stored is not None else None
    published = published_entries(calendar or (), old_urls, result.pages)
    trend_max = max([1, *(n for point in trend for n in point["counts"].values())])
    return {
        "date": last["date"],
        "trend": trend,
        "trend_max": trend_max,
        "published": published,
        "stages": [{"stage": s, "then": last["counts"][s], "now": now.get(s, 0)} for s in funnel],
    }
