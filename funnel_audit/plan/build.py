"""The whole plan from the findings, in the order each part needs the last: the site's kind and
conversion path, the calendar, the team's assignment (which may move dates), the objectives and
key results (which count the calendar's entries and take their dates), the ranked actions, the
health score and the executive summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from funnel_audit.analyse.site_kind import site_kind
from funnel_audit.analyse.topics import Topic
from funnel_audit.models import Action, CalendarEntry, Gap, Objective, PageResult, Stage, StageShare
from funnel_audit.plan.actions import build_actions
from funnel_audit.plan.cta import conversion_path
from funnel_audit.plan.health import health
from funnel_audit.plan.okrs import build_okrs
from funnel_audit.plan.people import Member
from funnel_audit.plan.planner import build_calendar
from funnel_audit.plan.summary import write_summary
from funnel_audit.plan.team import assign, owner_of


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the plan adds to an audit."""

    calendar: tuple[CalendarEntry, ...]
    objectives: tuple[Objective, ...]
    actions: tuple[Action, ...]
    summary: tuple[str, ...]
    site_kind: str
    conversion: str


def make_plan(
    pages: Sequence[PageResult],
    mix: Sequence[StageShare],
    gaps: Sequence[Gap],
    topics: Sequence[Topic],
    *,
    site_name: str,
    start: date,
    weeks: int,
    per_week: int,
    team: Sequence[Member] = (),
    notes: list[str] | None = None,
    kind: str = "",
) -> Plan:
    """The calendar, objectives, actions and summary for an audited site. `site_name` is "" when
    the site's pages never name it; `kind` is the site's kind when the caller has read it."""
    kind = kind or site_kind(pages)
    path = conversion_path(pages, kind)
    calendar = build_calendar(
        pages,
        mix,
        gaps,
        topics,
        site_name=site_name,
        start=start,
        weeks=weeks,
        per_week=per_week,
        kind=kind,
        path=path,
    )
    asked = max(0, weeks) * max(0, per_week)
    if notes is not None and asked > 0 and len(calendar) < asked:
        notes.append(
            f"the calendar holds {len(calendar)} of the {asked} pieces asked for: more would "
            "push every stage past its target share, or the site's subjects have no fresh "
            "title left for the stages that need pieces; publish these and re-audit"
        )
    calendar = assign(calendar, team, notes)
    objectives, calendar = build_okrs(mix, gaps, calendar, start=start, noun=path.action.noun)
    actions = build_actions(pages, gaps, calendar, objectives)
    if team:
        actions = tuple(_staffed(a, team) for a in actions)
    excluded = sum(1 for p in pages if p.stage is Stage.EXCLUDED)
    summary = write_summary(site_name, mix, excluded, gaps, actions, health(mix, gaps))
    return Plan(calendar, objectives, actions, summary, kind, path.action.label)


def _staffed(action: Action, team: Sequence[Member]) -> Action:
    """An action owned by a role word, given to the team member who has that role."""
    if action.owner_email:
        return action
    name, email = owner_of(team, action.owner)
    return replace(action, owner=name, owner_email=email)
