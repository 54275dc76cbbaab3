"""Objectives with key results, drawn from the findings and tied to the calendar.

- Every stage the calendar writes for gets an objective: its share of funnel pages from today's
  figure to the share it will have once the planned pieces are published (counting every planned
  piece as a new funnel page), by the date of its last piece. Its first key result is the number
  of pieces, which is exactly the calendar's entries for that stage, each tagged with the key
  result's id. Links from the stage before, and topics the stage is missing on, are further key
  results.
- An overweight stage gets an objective to consolidate: merge or retarget its shortest pages and
  give every page a link onward.
- Link-flow findings (stranded pages, stages nobody links to) become one objective about the
  funnel's flow; content-quality findings (stale, thin, near-duplicate pages) one about what the
  site already has.

Counts come from the findings (their leading number, else their evidence); dates from the
calendar, or a fixed number of weeks after the start for work that is not on the calendar.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta

from funnel_audit.analyse.gaps import THIN_CONTENT_WORDS
from funnel_audit.models import CalendarEntry, Gap, KeyResult, Objective, Stage, StageShare
from funnel_audit.plan.links import neighbour
from funnel_audit.plan.tactics import FOUNDATIONAL

FLOW_KINDS = ("stranded-awareness", "no-conversion", "orphan-pages") + tuple(
    f"{s.value}-not-linked" for s in Stage.funnel()
)
QUALITY_KINDS = ("stale-content", "thin-content", "near-duplicate")
FLOW_WEEKS = 4  # adding links is quick work: due a month after the start
QUALITY_WEEKS = 8
MAX_OBJECTIVES = 6
STAGE_KPI = {
    Stage.AWARENESS: "organic sessions to awareness pages (analytics)",
    Stage.CONSIDERATION: "readers going on from consideration pages to pricing or proof",
    Stage.DECISION: "{noun}s started from decision pages",
    Stage.CONVERSION: "{noun} completion rate",
}


def count_of(gap: Gap) -> int:
    """How many pages a finding is about: its message's leading number, else its evidence, and
    at least one (a finding that names no page, such as a missing conversion page, is one fix)."""
    found = re.match(r"\s*(\d+)\b", gap.message)
    return max(1, int(found.group(1)) if found else len(gap.evidence_urls))


def build_okrs(
    mix: Sequence[StageShare],
    gaps: Sequence[Gap],
    calendar: Sequence[CalendarEntry],
    *,
    start: date,
    noun: str,
) -> tuple[tuple[Objective, ...], tuple[CalendarEntry, ...]]:
    """The objectives, and the calendar with each entry tagged with the key result it serves."""
    objectives: list[Objective] = []
    tagged = list(calendar)
    total = sum(s.pages for s in mix)
    grown = total + len(calendar)
    by_stage: dict[Stage, list[int]] = defaultdict(list)
    for i, entry in enumerate(calendar):
        by_stage[entry.stage].append(i)
    stage_gaps = {g.stage: g for g in gaps if g.kind == "thin-stage" and not g.topic}
    ordered = sorted(
        (s for s in mix if by_stage[s.stage]),
        key=lambda s: (
            -(stage_gaps[s.stage].severity if s.stage in stage_gaps else 0),
            s.stage.order,
        ),
    )
    for share in ordered:
        key = f"O{len(objectives) + 1}"
        idx = by_stage[share.stage]
        objective = _stage_objective(key, share, [calendar[i] for i in idx], gaps, grown, noun)
        objectives.append(objective)
        for i in idx:
            tagged[i] = replace(tagged[i], key_result=f"{key}.KR1")
    for gap in sorted(gaps, key=lambda g: (-g.severity, g.stage.order if g.stage else 9)):
        if gap.kind == "overweight-stage" and gap.stage is not None:
            share = next(s for s in mix if s.stage is gap.stage)
            key = f"O{len(objectives) + 1}"
            objectives.append(_overweight_objective(key, share, gap, grown, start))
    flow = [g for g in gaps if g.kind in FLOW_KINDS]
    if flow:
        objectives.append(_flow_objective(f"O{len(objectives) + 1}", flow, start))
    quality = [g for g in gaps if g.kind in QUALITY_KINDS]
    if quality:
        objectives.append(_quality_objective(f"O{len(objectives) + 1}", quality, start))
    return tuple(objectives[:MAX_OBJECTIVES]), tuple(tagged)


def _stage_objective(
    key: str,
    share: StageShare,
    entries: Sequence[CalendarEntry],
    gaps: Sequence[Gap],
    grown: int,
    noun: str,
) -> Objective:
    stage = share.stage
    n = len(entries)
    due = max(e.date for e in entries)
    goal = (share.pages + n) / grown if grown else 0.0
    founded = sum(e.tactic == FOUNDATIONAL for e in entries)
    kpi = STAGE_KPI[stage].format(noun=noun)
    parts = []
    if founded:
        parts.append(f"{founded} foundational page{'s' if founded != 1 else ''}")
    if n - founded:
        parts.append(f"{n - founded} in an ongoing series")
    results = [
        KeyResult(
            f"{key}.KR1",
            f"Publish {n} {stage.value} piece{'s' if n != 1 else ''} ({', '.join(parts)})",
            n,
            "pieces",
            due,
            kpi,
            n,
        )
    ]
    before = neighbour(stage, -1)
    if before is not None:
        results.append(
            KeyResult(
                f"{key}.KR2",
                f"Link each new {stage.value} piece from at least one {before.value} page",
                n,
                "links",
                due,
                f"clicks from {before.value} pages on to {stage.value} pages",
            )
        )
    missing = sorted({g.topic for g in gaps if g.topic and g.stage is stage})
    covered = [t for t in missing if any(e.target_topic == t for e in entries)]
    if covered:
        shown = ", ".join(f"\u201c{t}\u201d" for t in covered[:3])
        results.append(
            KeyResult(
                f"{key}.KR{len(results) + 1}",
                f"Give {_topics(len(covered))} without {stage.value} content a piece "
                f"{'each ' if len(covered) != 1 else ''}({shown})",
                len(covered),
                "topics",
                max(e.date for e in entries if e.target_topic in covered),
                kpi,
                sum(e.target_topic in covered for e in entries),
            )
        )
    lead = (
        f"Fill the thin {stage.value} stage"
        if share.thin
        else f"{stage.value.capitalize()} content"
    )
    return Objective(
        key,
        stage,
        "thin-stage" if share.thin else "stage-mix",
        f"{lead}: from {share.pages} to {share.pages + n} pages ({share.share:.0%} to "
        f"{goal:.0%} of funnel pages) by {due.isoformat()}; target {share.target:.0%}",
        round(share.share, 4),
        round(goal, 4),
        due,
        tuple(results),
    )


def _topics(n: int) -> str:
    return "the topic" if n == 1 else f"the {n} topics"


def flow_fix(gap: Gap) -> str:
    """What fixing a link-flow finding means, in a sentence's words."""
    n = count_of(gap)
    s = "s" if n != 1 else ""
    stage = gap.stage
    before = neighbour(stage, -1) if stage is not None else None
    if gap.kind == "stranded-awareness":
        return f"Link the {n} stranded awareness page{s} on to a page that leads to conversion"
    if gap.kind.endswith("-not-linked") and stage is not None and before is not None:
        return f"Link to the {n} {stage.value} page{s} from {before.value} pages on the same topic"
    if gap.kind == "orphan-pages":
        return f"Link to the {n} orphan page{s} from related pages (or retire them)"
    if gap.kind == "no-conversion":
        return "Give visitors a page to act on (a form or booking page), linked from decision pages"
    first = gap.message.split(". ")[0].rstrip(".")
    return first[:1].upper() + first[1:]


def quality_fix(gap: Gap) -> str:
    """What fixing a content-quality finding means, in a sentence's words."""
    n = count_of(gap)
    return (
        QUALITY_WORDING[gap.kind]
        .format(n=n, stage=gap.stage.value if gap.stage else "", s="s" if n != 1 else "")
        .replace("  ", " ")
    )


def kr_for(objectives: Sequence[Objective], gap: Gap) -> str:
    """The key result answering a link-flow or quality finding, or an overweight stage's."""
    if gap.kind == "overweight-stage":
        return next(
            (
                o.key_results[0].key
                for o in objectives
                if o.kind == gap.kind and o.stage is gap.stage
            ),
            "",
        )
    wanted = (
        flow_fix(gap)
        if gap.kind in FLOW_KINDS
        else quality_fix(gap)
        if gap.kind in QUALITY_KINDS
        else None
    )
    return next(
        (kr.key for o in objectives for kr in o.key_results if wanted and kr.text == wanted), ""
    )


def _overweight_objective(
    key: str, share: StageShare, gap: Gap, grown: int, start: date
) -> Objective:
    stage = share.stage
    due = start + timedelta(weeks=QUALITY_WEEKS)
    merge = max(1, min(len(gap.evidence_urls), share.pages // 4))
    after = neighbour(stage, 1)
    # the share once the shortest pages are merged and the calendar's pieces published, never
    # aimed below the target itself
    goal = max(share.target, (share.pages - merge) / (grown - merge)) if grown > merge else 0.0
    onward = (
        KeyResult(
            f"{key}.KR2",
            f"Give all {share.pages} {stage.value} pages a clear link on to a {after.value} page",
            share.pages,
            "pages",
            start + timedelta(weeks=FLOW_WEEKS),
            f"clicks from {stage.value} pages on to {after.value} pages",
        )
        if after is not None
        else KeyResult(
            f"{key}.KR2",
            f"Give all {share.pages} {stage.value} pages a single clear next step",
            share.pages,
            "pages",
            start + timedelta(weeks=FLOW_WEEKS),
            "form completion rate",
        )
    )
    return Objective(
        key,
        stage,
        "overweight-stage",
        f"Rebalance the overweight {stage.value} stage: from {share.share:.0%} to "
        f"{goal:.0%} of funnel pages by {due.isoformat()} (target {share.target:.0%})",
        round(share.share, 4),
        round(goal, 4),
        due,
        (
            KeyResult(
                f"{key}.KR1",
                f"Merge or retarget the {merge} shortest {stage.value} pages (listed under Gaps)",
                merge,
                "pages",
                due,
                f"{stage.value} pages with under {THIN_CONTENT_WORDS} words (re-audit)",
            ),
            onward,
        ),
    )


def _fix_objective(
    key: str,
    gaps: Sequence[Gap],
    *,
    kind: str,
    due: date,
    fix: Callable[[Gap], str],
    kpi: str,
    headline: str,
    most: int,
) -> Objective:
    """One objective over findings fixed page by page (links, weak pages): a key result per
    finding, worst first, at most `most`; `headline` takes the pages' total as `{n}` and `{s}`."""
    results = tuple(
        KeyResult(f"{key}.KR{i}", fix(gap), count_of(gap), "pages", due, kpi)
        for i, gap in enumerate(sorted(gaps, key=lambda g: (-g.severity, g.kind))[:most], 1)
    )
    total = sum(r.target for r in results)
    text = headline.format(n=total, s="s" if total != 1 else "") + f" by {due.isoformat()}"
    return Objective(key, None, kind, text, 0.0, 1.0, due, results)


def _flow_objective(key: str, gaps: Sequence[Gap], start: date) -> Objective:
    return _fix_objective(
        key,
        gaps,
        kind="link-flow",
        due=start + timedelta(weeks=FLOW_WEEKS),
        fix=flow_fix,
        kpi="pages with a path to a conversion page within two clicks (re-audit)",
        headline="Let visitors flow through the funnel: fix the links on {n} page{s}",
        most=3,
    )


QUALITY_WORDING = {
    "stale-content": "Refresh or retire {n} stale {stage} page{s}",
    "thin-content": "Expand or merge {n} thin {stage} page{s}",
    "near-duplicate": "Merge or rewrite {n} near-duplicate {stage} page{s}",
}


def _quality_objective(key: str, gaps: Sequence[Gap], start: date) -> Objective:
    return _fix_objective(
        key,
        gaps,
        kind="content-quality",
        due=start + timedelta(weeks=QUALITY_WEEKS),
        fix=quality_fix,
        kpi="the same finding gone at the next re-audit",
        headline="Make the most of what is there: fix {n} weak page{s}",
        most=4,
    )
