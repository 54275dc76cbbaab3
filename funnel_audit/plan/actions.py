"""The prioritised action plan: every piece of work the plan asks for, scored and ranked by ICE.

Actions are the foundational pages on the calendar (one action each), each stage's ongoing series
(one action per stage), and the work findings ask for that is not a new page: rebalancing an
overweight stage, fixing links, refreshing weak pages, and any other finding (events, landing
pages ...). Each is scored 1-10 on three counts and ranked by their product:

- **Impact**: how close to revenue its stage is (awareness 5, consideration 6, decision and
  conversion 8; site-wide link work 7), plus 2 for a serious finding and 1 for a medium one;
  a thank-you page 4 less and a glossary 1 less (they only support the pages around them).
- **Confidence**: how sure the audit is that the problem is real. For stage work, 4 + 6 x the
  mean classifier confidence of the stage's pages (an empty stage is certain: 9); link findings
  are measured directly (8); page-quality findings rest on page dates and word counts (7); the
  rest are read from conventions (5).
- **Ease**: the format's own (an FAQ is an afternoon, an ROI calculator weeks), the mean over a
  series; links 9, refreshing 6, merging 5, less one to three points for a fix that touches
  more than 5, 15 or 40 pages.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from statistics import mean

from funnel_audit.analyse.campaigns import ACTIONS as CAMPAIGN_ACTIONS
from funnel_audit.analyse.campaigns import RECURRING
from funnel_audit.models import (
    Action,
    CalendarEntry,
    Gap,
    Objective,
    PageResult,
    Stage,
)
from funnel_audit.plan.catalogue import CATALOGUE
from funnel_audit.plan.okrs import (
    FLOW_KINDS,
    QUALITY_KINDS,
    count_of,
    flow_fix,
    kr_for,
    quality_fix,
)
from funnel_audit.plan.tactics import FOUNDATIONAL, ONGOING

STAGE_IMPACT = {
    Stage.AWARENESS: 5,
    Stage.CONSIDERATION: 6,
    Stage.DECISION: 8,
    Stage.CONVERSION: 8,
}
SITE_IMPACT = 7
SEVERITY_BONUS = {3: 2, 2: 1, 1: 0}
KIND_CONFIDENCE = {**dict.fromkeys(FLOW_KINDS, 8), **dict.fromkeys(QUALITY_KINDS, 7)}
OTHER_CONFIDENCE = 5
KIND_EASE = {
    **dict.fromkeys(FLOW_KINDS, 9),
    "stale-content": 6,
    "thin-content": 6,
    "near-duplicate": 5,
    "overweight-stage": 5,
}
OTHER_EASE = 5
KIND_OWNER = {
    **dict.fromkeys(FLOW_KINDS, "web"),
    "overweight-stage": "writer",
    **{kind: owner for kind, (_, owner) in CAMPAIGN_ACTIONS.items()},
}
MAX_ACTIONS = 12
# formats whose page matters less than its stage says: a thank-you page only follows a form
FORMAT_IMPACT = {"thank-you page": -4, "glossary": -1}
_EASE = {f.name: f.ease for fs in CATALOGUE.values() for f in fs}


def _clamp(value: float) -> int:
    return max(1, min(10, round(value)))


def build_actions(
    pages: Sequence[PageResult],
    gaps: Sequence[Gap],
    calendar: Sequence[CalendarEntry],
    objectives: Sequence[Objective],
) -> tuple[Action, ...]:
    """The plan's actions, best ICE score first, at most MAX_ACTIONS."""
    confidences: dict[Stage, list[float]] = defaultdict(list)
    for p in pages:
        if p.stage in STAGE_IMPACT and p.error is None:
            confidences[p.stage].append(p.confidence)
    severity = {g.stage: g.severity for g in gaps if g.kind == "thin-stage"}

    def scored(text: str, stage: Stage, tactic: str, ease: int, e: CalendarEntry) -> Action:
        found = confidences.get(stage)
        confidence = _clamp(4 + 6 * mean(found)) if found else 9
        impact = _clamp(STAGE_IMPACT[stage] + SEVERITY_BONUS.get(severity.get(stage, 1), 0))
        return _action(
            text,
            stage,
            tactic,
            e.owner,
            (impact, confidence, ease),
            e.key_result,
            e.rationale,
            e.owner_email,
        )

    drafts: list[Action] = []
    series: dict[Stage, list[CalendarEntry]] = defaultdict(list)
    for e in calendar:
        if e.tactic == FOUNDATIONAL:
            action = scored(_publish(e), e.stage, FOUNDATIONAL, _EASE.get(e.format, 6), e)
            drafts.append(_adjusted(action, FORMAT_IMPACT.get(e.format, 0)))
        else:
            series[e.stage].append(e)
    for stage, entries in series.items():
        if len(entries) == 1:  # a one-piece series is a single piece to publish
            e = entries[0]
            drafts.append(scored(_publish(e), stage, ONGOING, _EASE.get(e.format, 6), e))
            continue
        lead = Counter((e.owner, e.owner_email) for e in entries).most_common(1)[0][0]
        kinds = ", ".join(dict.fromkeys(e.format for e in entries))
        text = (
            f"Run the {stage.value} series: {len(entries)} pieces ({kinds}) from "
            f"{entries[0].date.isoformat()} to {entries[-1].date.isoformat()}"
        )
        ease = _clamp(mean(_EASE.get(e.format, 6) for e in entries))
        first = replace(entries[0], owner=lead[0], owner_email=lead[1])
        drafts.append(scored(text, stage, ONGOING, ease, first))
    for gap in gaps:
        if gap.kind == "thin-stage" or gap.topic:
            continue  # answered by the calendar's pieces
        impact = STAGE_IMPACT.get(gap.stage, SITE_IMPACT) if gap.stage else SITE_IMPACT
        drafts.append(
            _action(
                _gap_action(gap),
                gap.stage,
                ONGOING if gap.kind in QUALITY_KINDS or gap.kind in RECURRING else FOUNDATIONAL,
                KIND_OWNER.get(gap.kind, "writer"),
                (
                    _clamp(impact + SEVERITY_BONUS.get(gap.severity, 0)),
                    KIND_CONFIDENCE.get(gap.kind, OTHER_CONFIDENCE),
                    _clamp(KIND_EASE.get(gap.kind, OTHER_EASE) - _bulk(count_of(gap))),
                ),
                kr_for(objectives, gap),
                gap.message,
            )
        )
    ranked = sorted(drafts, key=lambda a: (-a.score, a.stage.order if a.stage else 9, a.text))
    return tuple(replace(a, rank=i) for i, a in enumerate(ranked[:MAX_ACTIONS], 1))


def _adjusted(action: Action, impact_change: int) -> Action:
    impact = _clamp(action.impact + impact_change)
    return replace(action, impact=impact, score=impact * action.confidence * action.ease)


def _bulk(pages: int) -> int:
    """How much harder a fix gets with the number of pages it touches: none up to 5 pages, one
    point up to 15, two up to 40, three beyond."""
    return 0 if pages <= 5 else 1 if pages <= 15 else 2 if pages <= 40 else 3


def _publish(e: CalendarEntry) -> str:
    return f"Publish \u201c{e.working_title}\u201d ({e.format}) by {e.date.isoformat()}"


def _action(
    text: str,
    stage: Stage | None,
    tactic: str,
    owner: str,
    ice: tuple[int, int, int],
    serves: str,
    why: str,
    email: str = "",
) -> Action:
    impact, confidence, ease = ice
    return Action(
        rank=0,
        text=text,
        stage=stage,
        tactic=tactic,
        owner=owner,
        impact=impact,
        confidence=confidence,
        ease=ease,
        score=impact * confidence * ease,
        serves=serves,
        why=why,
        owner_email=email,
    )


def _gap_action(gap: Gap) -> str:
    """What to do about a finding that is not answered by a new page."""
    if gap.kind == "overweight-stage" and gap.stage is not None:
        return (
            f"Rebalance {gap.stage.value}: merge or retarget its shortest pages and link every "
            "page onward"
        )
    if gap.kind in FLOW_KINDS:
        return flow_fix(gap)
    if gap.kind in QUALITY_KINDS:
        return quality_fix(gap)
    if gap.kind in CAMPAIGN_ACTIONS:
        return CAMPAIGN_ACTIONS[gap.kind][0]
    first = gap.message.split(". ")[0].rstrip(".")
    return first[:1].upper() + first[1:]
