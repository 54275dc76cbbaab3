"""What report.xlsx holds: each sheet as tables of plain values (`Block`), built from the audit's
records. `workbook.py` writes them; keeping the two apart lets the content be read and tested
without openpyxl, and the writer stay one small job.

Sheets, in order: `summary` (what was audited, the health score, the stage mix), `plan` (the
objectives with their key results, then the prioritised actions), `calendar` (every field of every
entry), `gaps` and `pages` (the columns of pages.csv). Dates stay `date`s and numbers stay numbers,
so the workbook sorts and sums them; text is made safe where it is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

from funnel_audit.models import AuditResult, Objective, PageResult, Stage
from funnel_audit.plan.presets import preset_name
from funnel_audit.report.exports import PAGE_COLUMNS
from funnel_audit.report.html import health_score, shown_target

SHEETS = ("summary", "plan", "calendar", "gaps", "pages")
SEVERITY = {3: "high", 2: "medium", 1: "low"}  # as the report names them

Value: TypeAlias = "str | int | float | date | None"


@dataclass(frozen=True, slots=True)
class Block:
    """One table on a sheet: a header row, its rows, the columns shown as percentages, and
    whether the sheet's filter buttons sit on it."""

    header: tuple[str, ...]
    rows: list[tuple[Value, ...]]
    percent: frozenset[str] = frozenset()
    filtered: bool = True


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def _stage(stage: Stage | None) -> str | None:
    return stage.value if stage is not None else None


def _summary(result: AuditResult) -> tuple[Block, ...]:
    """What was audited and how it stands, then the stage mix against its target."""
    overweight = {g.stage for g in result.gaps if g.kind == "overweight-stage"}
    facts: list[tuple[Value, ...]] = [
        ("site", result.brand or result.site),
        ("target", shown_target(result)),
        ("audited", result.finished_at.date()),
        ("model version", result.model_version),
        ("target mix", preset_name({s.stage: s.target for s in result.mix})),
        ("health score", health_score(result) if result.mix else None),
        ("pages audited", len(result.pages)),
        ("funnel pages", sum(s.pages for s in result.mix)),
        ("gaps", len(result.gaps)),
        ("calendar entries", len(result.calendar)),
        *(("summary", sentence) for sentence in result.summary),
    ]
    mix: list[tuple[Value, ...]] = [
        (
            s.stage.value,
            s.pages,
            s.share,
            s.target,
            "thin" if s.thin else "overweight" if s.stage in overweight else "ok",
        )
        for s in result.mix
    ]
    return (
        Block(("item", "value"), facts, filtered=False),
        Block(
            ("stage", "pages", "share", "target", "status"),
            mix,
            frozenset({"share", "target"}),
            filtered=False,
        ),
    )


OBJECTIVE_COLUMNS = (
    "objective",
    "stage",
    "kind",
    "objective_text",
    "baseline",
    "goal",
    "objective_due",
    "key_result",
    "key_result_text",
    "target",
    "unit",
    "due",
    "kpi",
    "entries",
)
ACTION_COLUMNS = (
    "rank",
    "action",
    "stage",
    "tactic",
    "owner",
    "owner_email",
    "impact",
    "confidence",
    "ease",
    "score",
    "serves",
    "why",
)


def _objective_rows(objective: Objective) -> list[tuple[Value, ...]]:
    """One row per key result, the objective repeated on each so the rows sort and filter;
    an objective without key results is one row."""
    head: tuple[Value, ...] = (
        objective.key,
        _stage(objective.stage),
        objective.kind,
        objective.text,
        objective.baseline,
        objective.goal,
        objective.due,
    )
    if not objective.key_results:
        return [head + (None,) * (len(OBJECTIVE_COLUMNS) - len(head))]
    return [
        (*head, kr.key, kr.text, kr.target, kr.unit, kr.due, kr.kpi, kr.entries)
        for kr in objective.key_results
    ]


def _plan(result: AuditResult) -> tuple[Block, ...]:
    """The objectives with their key results, then the actions in priority order (filtered)."""
    objectives = [row for o in result.objectives for row in _objective_rows(o)]
    actions: list[tuple[Value, ...]] = [
        (
            a.rank,
            a.text,
            _stage(a.stage),
            a.tactic,
            a.owner,
            a.owner_email,
            a.impact,
            a.confidence,
            a.ease,
            a.score,
            a.serves,
            a.why,
        )
        for a in result.actions
    ]
    return (
        Block(OBJECTIVE_COLUMNS, objectives, filtered=False),
        Block(ACTION_COLUMNS, actions),
    )


CALENDAR_COLUMNS = (
    "date",
    "stage",
    "tactic",
    "format",
    "working_title",
    "target_topic",
    "keywords",
    "cta",
    "link_from",
    "link_to",
    "owner",
    "owner_email",
    "kpi",
    "key_result",
    "gap",
    "rationale",
)


def _calendar(result: AuditResult) -> tuple[Block, ...]:
    """Every field of every calendar entry, its date a real Excel date."""
    rows: list[tuple[Value, ...]] = [
        (
            e.date,
            e.stage.value,
            e.tactic,
            e.format,
            e.working_title,
            e.target_topic,
            ", ".join(e.keywords),
            e.cta,
            " ".join(e.link_from),
            " ".join(e.link_to),
            e.owner,
            e.owner_email,
            e.kpi,
            e.key_result,
            e.gap,
            e.rationale,
        )
        for e in result.calendar
    ]
    return (Block(CALENDAR_COLUMNS, rows),)


def _gaps(result: AuditResult) -> tuple[Block, ...]:
    rows: list[tuple[Value, ...]] = [
        (
            g.kind,
            _stage(g.stage),
            g.topic,
            SEVERITY.get(g.severity, str(g.severity)),
            g.message,
            " ".join(g.evidence_urls),
        )
        for g in result.gaps
    ]
    return (Block(("kind", "stage", "topic", "severity", "message", "evidence"), rows),)


def _page_row(p: PageResult) -> tuple[Value, ...]:
    """pages.csv's columns, with numbers kept as numbers so they sort and sum."""
    return (
        p.url,
        _stage(p.stage),
        round(p.confidence, 3),
        p.title,
        p.word_count,
        p.status,
        p.error,
        p.label_source,
        _yes(p.needs_review),
        "; ".join(p.reasons),
        p.topic,
        p.depth,
        p.content_type,
        _yes(p.noindex),
        _yes(p.js_rendered),
        p.lastmod,
    )


def sheets(result: AuditResult) -> dict[str, tuple[Block, ...]]:
    """Each sheet's tables, in the workbook's order."""
    built = {
        "summary": _summary(result),
        "plan": _plan(result),
        "calendar": _calendar(result),
        "gaps": _gaps(result),
        "pages": (Block(PAGE_COLUMNS, [_page_row(p) for p in result.pages]),),
    }
    return {name: built[name] for name in SHEETS}
