"""One site's line in the agency's portfolio, worked out from what the history stored.

Pure functions over the records an `AuditStore` returns (as diff.py is), so the terminal table,
the JSON and the HTML page share one set of figures and none of them needs a database. The mix
and its thin flags come from the audit's stored summary, the targets from its stored settings,
the health score from plan/health.py over that mix and the stored gaps, overweight from
overweight.py: the same rules the audit itself applied, never a second version of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from funnel_audit.analyse.diff import AuditDiff, shares
from funnel_audit.analyse.gaps import DEFAULT_TARGET, MIN_PAGES, THIN_MARGIN
from funnel_audit.analyse.overweight import is_overweight
from funnel_audit.models import Gap, Stage, StageShare
from funnel_audit.plan.health import Health, health
from funnel_audit.store.records import AuditRecord

FAILED = ("failed", "interrupted")
MAX_ERROR = 300


@dataclass(frozen=True, slots=True)
class StageFigure:
    """One funnel stage of a site's last complete audit."""

    stage: str
    pages: int
    share: float
    target: float
    thin: bool
    overweight: bool


@dataclass(frozen=True, slots=True)
class AuditMark:
    """Which audit a figure comes from: its id, its day and how many pages it read."""

    id: int
    started_at: str
    date: str
    pages: int


@dataclass(frozen=True, slots=True)
class Trend:
    """What moved since the previous complete audit: each stage's share in points, pages
    added and removed (matched as `diff` matches them), and the health score's change."""

    previous: AuditMark
    share_points: dict[str, float]
    pages_added: int
    pages_removed: int
    health_change: int | None


@dataclass(frozen=True, slots=True)
class Failure:
    """The latest audit that failed or was interrupted after the last complete one."""

    id: int
    started_at: str
    date: str
    status: str
    error: str


@dataclass(frozen=True, slots=True)
class SiteLine:
    """Everything the portfolio shows for one site; `last` is None for a site never audited
    completely, `next_due` None for a site the config file does not list."""

    name: str
    site: str
    target: str
    client_name: str
    configured: bool
    cadence: str
    last: AuditMark | None
    mix: tuple[StageFigure, ...]
    health: int | None
    verdict: str
    trend: Trend | None
    next_due: date | None
    due_now: bool
    failure: Failure | None

    @property
    def thin(self) -> list[str]:
        """The thin stages, in funnel order."""
        return [f.stage for f in self.mix if f.thin]

    @property
    def overweight(self) -> list[str]:
        """The overweight stages, in funnel order."""
        return [f.stage for f in self.mix if f.overweight]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, every figure kept."""
        data = asdict(self)
        data["mix"] = {
            f.stage: {k: v for k, v in asdict(f).items() if k != "stage"} for f in self.mix
        }
        data["thin"] = self.thin
        data["overweight"] = self.overweight
        data["next_due"] = self.next_due.isoformat() if self.next_due else None
        return data


def one_line(text: str | None, limit: int = MAX_ERROR) -> str:
    """An error as one printable line (it may quote a website: no control characters, no
    terminal escapes), cut at `limit` characters."""
    clean = "".join(c if c.isprintable() else " " for c in text or "")
    flat = " ".join(clean.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _day(stamp: str) -> str:
    return stamp[:10]


def _targets(audit: AuditRecord) -> dict[str, float]:
    stored = (audit.settings or {}).get("target_mix") or {}
    out = {}
    for stage in Stage.funnel():
        value = stored.get(stage.value) if isinstance(stored, Mapping) else None
        out[stage.value] = float(value) if isinstance(value, int | float) else DEFAULT_TARGET[stage]
    return out


def stage_figures(audit: AuditRecord, counts: Mapping[str, int]) -> tuple[StageFigure, ...]:
    """The audit's mix against its own targets: from its stored summary (pages, share, thin),
    else from its page counts, with thin judged by the audit's rule."""
    targets = _targets(audit)
    stored = (audit.summary or {}).get("mix")
    figures = []
    for stage, (pages, share) in shares(counts).items():
        row = stored.get(stage) if isinstance(stored, Mapping) else None
        if isinstance(row, Mapping) and isinstance(row.get("pages"), int):
            pages, share = int(row["pages"]), float(row.get("share") or 0.0)
        goal = targets[stage]
        thin = (
            bool(row["thin"])
            if isinstance(row, Mapping) and "thin" in row
            else goal > 0 and (share < goal * (1 - THIN_MARGIN) or pages < MIN_PAGES)
        )
        over = is_overweight(StageShare(Stage(stage), pages, share, goal, share, thin))
        figures.append(StageFigure(stage, pages, round(share, 4), round(goal, 4), thin, over))
    return tuple(figures)


def health_of(audit: AuditRecord, figures: Sequence[StageFigure]) -> Health | None:
    """The audit's health from its mix and stored gaps; None when its gaps were not kept."""
    if audit.gaps is None:
        return None
    mix = [StageShare(Stage(f.stage), f.pages, f.share, f.target, f.share, f.thin) for f in figures]
    gaps = [
        Gap(None, "", str(g.get("kind") or ""), int(g.get("severity") or 0), "")
        for g in audit.gaps
        if isinstance(g, Mapping)
    ]
    return health(mix, gaps)


def mark(audit: AuditRecord, pages: int) -> AuditMark:
    """An audit as the portfolio names it."""
    return AuditMark(audit.id, audit.started_at, _day(audit.started_at), pages)


def page_total(audit: AuditRecord, counts: Mapping[str, int]) -> int:
    """Pages the audit read: its summary's count, else its stored pages."""
    stored = (audit.summary or {}).get("pages")
    return int(stored) if isinstance(stored, int) else sum(counts.values())


def trend(
    previous: AuditMark,
    before: Sequence[StageFigure],
    after: Sequence[StageFigure],
    diff: AuditDiff,
    health_before: int | None,
    health_after: int | None,
) -> Trend:
    """The change from the previous complete audit to the last one."""
    was = {f.stage: f.share for f in before}
    points = {f.stage: round((f.share - was.get(f.stage, 0.0)) * 100, 1) for f in after}
    change = (
        health_after - health_before
        if health_after is not None and health_before is not None
        else None
    )
    return Trend(previous, points, len(diff.added), len(diff.removed), change)


def last_failure(audits: Sequence[AuditRecord]) -> Failure | None:
    """The newest failed or interrupted audit after the last complete one (audits oldest first)."""
    for audit in reversed(audits):
        if audit.complete:
            return None
        if audit.status in FAILED:
            error = one_line(audit.error) or audit.status
            return Failure(audit.id, audit.started_at, _day(audit.started_at), audit.status, error)
    return None
