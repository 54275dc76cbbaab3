"""What changed between two stored audits of one site.

Pure functions over the records `AuditStore.audit()` and `AuditStore.pages()` return, so the
CLI, the report and tests share one definition of "changed" and none of them needs a database.
Pages are matched by `page_key` (so `/blog/` and `/blog/index.html` are one page); gaps by
(kind, stage, topic), because their wording and evidence shift from one audit to the next.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from funnel_audit.crawl.urls import page_key
from funnel_audit.errors import LookupFailed
from funnel_audit.models import Stage
from funnel_audit.store.records import AuditRecord, StoredPage

UNREADABLE = "unreadable"
GapKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class AuditRef:
    """Which stored audit one side of a diff is."""

    id: int
    started_at: str
    status: str


@dataclass(frozen=True, slots=True)
class PageRef:
    """A page only one of the two audits has, with the stage it had there."""

    url: str
    stage: str


@dataclass(frozen=True, slots=True)
class StageChange:
    """A page both audits read whose stage moved."""

    url: str
    old_stage: str
    new_stage: str


@dataclass(frozen=True, slots=True)
class GapRef:
    """A gap as stored with an audit; `gap_key` says when two audits report the same one."""

    kind: str
    stage: str
    topic: str
    severity: int
    message: str


@dataclass(frozen=True, slots=True)
class StageDrift:
    """One funnel stage's page count and share of funnel pages, before and after."""

    stage: str
    old_pages: int
    new_pages: int
    old_share: float
    new_share: float

    @property
    def delta_share(self) -> float:
        """How far the stage's share of funnel pages moved (new - old), rounded for display."""
        return round(self.new_share - self.old_share, 4)


@dataclass(frozen=True, slots=True)
class AuditDiff:
    """Everything that moved between `old` and `new`; gap lists are None when either audit
    has no recorded gaps (audits stored before gaps were kept)."""

    old: AuditRef
    new: AuditRef
    added: tuple[PageRef, ...]
    removed: tuple[PageRef, ...]
    stage_changed: tuple[StageChange, ...]
    content_changed: tuple[str, ...]
    gaps_opened: tuple[GapRef, ...] | None
    gaps_closed: tuple[GapRef, ...] | None
    drift: tuple[StageDrift, ...]

    @property
    def unchanged(self) -> bool:
        """True when nothing a reader would act on moved between the two audits."""
        return not (
            self.added
            or self.removed
            or self.stage_changed
            or self.content_changed
            or self.gaps_opened
            or self.gaps_closed
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (the `--json` output)."""
        data = asdict(self)
        data["drift"] = [dict(asdict(d), delta_share=d.delta_share) for d in self.drift]
        return data


def page_stage(page: StoredPage) -> str:
    """A stored page's stage, with pages that were never read counted as `unreadable`."""
    return page.stage or UNREADABLE


def stage_mix(pages: Sequence[StoredPage]) -> dict[str, tuple[int, float]]:
    """(pages, share of funnel pages) per funnel stage; excluded/unreadable pages don't count."""
    counts: dict[str, int] = {}
    for page in pages:
        counts[page_stage(page)] = counts.get(page_stage(page), 0) + 1
    return shares(counts)


def shares(counts: Mapping[str, int]) -> dict[str, tuple[int, float]]:
    """Pages per stage (as `AuditStore.stage_counts` gives) -> (pages, share) per funnel stage."""
    funnel = {s.value: int(counts.get(s.value, 0)) for s in Stage.funnel()}
    total = sum(funnel.values())
    return {s: (n, round(n / total, 4) if total else 0.0) for s, n in funnel.items()}


def gap_key(gap: Mapping[str, Any]) -> GapKey:
    """(kind, stage, topic): what makes a gap the same gap in two audits, whatever its wording."""
    return (str(gap.get("kind") or ""), str(gap.get("stage") or ""), str(gap.get("topic") or ""))


def _gap_ref(gap: Mapping[str, Any]) -> GapRef:
    kind, stage, topic = gap_key(gap)
    return GapRef(
        kind=kind,
        stage=stage,
        topic=topic,
        severity=int(gap.get("severity") or 0),
        message=str(gap.get("message") or ""),
    )


def diff_gaps(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> tuple[tuple[GapRef, ...], tuple[GapRef, ...]]:
    """(opened, closed): gaps only in `new`, gaps only in `old`, in their audit's order."""
    old_keys = {gap_key(g) for g in old}
    new_keys = {gap_key(g) for g in new}
    opened = _unique(g for g in new if gap_key(g) not in old_keys)
    closed = _unique(g for g in old if gap_key(g) not in new_keys)
    return opened, closed


def _unique(gaps: Iterable[Mapping[str, Any]]) -> tuple[GapRef, ...]:
    seen: dict[GapKey, GapRef] = {}
    for gap in gaps:
        seen.setdefault(gap_key(gap), _gap_ref(gap))
    return tuple(seen.values())


def _ref(audit: AuditRecord) -> AuditRef:
    return AuditRef(id=audit.id, started_at=audit.started_at, status=audit.status)


def diff_audits(
    old: AuditRecord,
    old_pages: Sequence[StoredPage],
    new: AuditRecord,
    new_pages: Sequence[StoredPage],
) -> AuditDiff:
    """Compare two audits of one site (each a stored audit plus its stored pages)."""
    before = {page_key(p.url): p for p in old_pages}
    after = {page_key(p.url): p for p in new_pages}
    added = tuple(
        PageRef(after[k].url, page_stage(after[k])) for k in sorted(after.keys() - before.keys())
    )
    removed = tuple(
        PageRef(before[k].url, page_stage(before[k])) for k in sorted(before.keys() - after.keys())
    )
    changed: list[StageChange] = []
    rewritten: list[str] = []
    for key in sorted(before.keys() & after.keys()):
        was, now = before[key], after[key]
        if page_stage(was) != page_stage(now):
            changed.append(StageChange(now.url, page_stage(was), page_stage(now)))
        elif was.content_hash and now.content_hash and was.content_hash != now.content_hash:
            rewritten.append(now.url)
    opened: tuple[GapRef, ...] | None = None
    closed: tuple[GapRef, ...] | None = None
    if old.gaps is not None and new.gaps is not None:
        opened, closed = diff_gaps(old.gaps, new.gaps)
    mix_old, mix_new = stage_mix(old_pages), stage_mix(new_pages)
    drift = tuple(
        StageDrift(s, mix_old[s][0], mix_new[s][0], mix_old[s][1], mix_new[s][1]) for s in mix_old
    )
    return AuditDiff(
        old=_ref(old),
        new=_ref(new),
        added=added,
        removed=removed,
        stage_changed=tuple(changed),
        content_changed=tuple(rewritten),
        gaps_opened=opened,
        gaps_closed=closed,
        drift=drift,
    )


def one_site(audits: Sequence[AuditRecord], site: str, purpose: str) -> None:
    """Refuse a name that finds no audits, or audits of several sites (`public` can name two
    folders): the error gives the keys to choose from."""
    if not audits:
        raise LookupFailed(
            f"no audits of {site!r} in the history database "
            "(see `funnel-audit history` for the sites it holds)"
        )
    keys = sorted({a.site for a in audits})
    if len(keys) > 1:
        raise LookupFailed(
            f"{site!r} names {len(keys)} sites: {', '.join(keys[:5])} "
            f"(give one of those keys to {purpose})"
        )


def pick_pair(
    audits: Sequence[AuditRecord],
    site: str,
    old_id: int | None = None,
    new_id: int | None = None,
) -> tuple[AuditRecord, AuditRecord]:
    """The two audits to compare: the given ids, or by default the last two complete ones.

    With only `old_id`, it is compared with the latest complete audit.
    """
    one_site(audits, site, "compare audits of one site")
    by_id = {a.id: a for a in audits}
    complete = [a for a in audits if a.complete]
    for wanted in (old_id, new_id):
        if wanted is not None and wanted not in by_id:
            raise LookupFailed(
                f"audit {wanted} is not an audit of {site!r} "
                f"(its audits: {', '.join(str(i) for i in by_id)})"
            )
    if old_id is not None and new_id is not None:
        return by_id[old_id], by_id[new_id]
    if old_id is not None:
        if not complete:
            raise LookupFailed(f"{site!r} has no complete audit to compare audit {old_id} with")
        return by_id[old_id], complete[-1]
    if len(complete) < 2:
        raise LookupFailed(
            f"{site!r} has {len(complete)} complete audit(s); a diff needs two "
            "(or give OLD and NEW audit ids)"
        )
    return complete[-2], complete[-1]
