"""Where content piles up: a stage whose share of funnel pages is well over its target.

A stage is *overweight* when its share exceeds its target by more than OVER_MARGIN, which is the
larger of OVER_FLOOR (15 points) and OVER_RELATIVE (half) of the target, and it has at least
MIN_PAGES pages: 46% consideration against a 30% target is overweight, 44% is not; 26% conversion
against 10% is. How far over decides the severity: low up to 1.5 margins over the target, medium up
to 2, high beyond (68% consideration against 30% is high).
"""

from __future__ import annotations

from collections.abc import Sequence

from funnel_audit.models import Gap, PageResult, Stage, StageShare

OVER_FLOOR = 0.15
OVER_RELATIVE = 0.5
MIN_PAGES = 3
MAX_EVIDENCE = 10


def over_margin(target: float) -> float:
    """How far over its target a stage's share may go before it is overweight."""
    return max(OVER_FLOOR, OVER_RELATIVE * target)


def is_overweight(share: StageShare) -> bool:
    """A stage holding far more of the funnel than its target, with enough pages to matter."""
    return share.pages >= MIN_PAGES and share.share > share.target + over_margin(share.target)


def over_severity(share: StageShare) -> int:
    """1 (low) up to 1.5 margins over the target, 2 (medium) up to 2 margins, 3 (high) beyond."""
    over = (share.share - share.target) / over_margin(share.target)
    return 3 if over > 2 else 2 if over > 1.5 else 1


def _advice(stage: Stage, short: Sequence[Stage]) -> str:
    funnel = Stage.funnel()
    i = funnel.index(stage)
    after = funnel[i + 1] if i + 1 < len(funnel) else None
    parts = ["merge pages that cover the same ground into fewer, stronger ones"]
    if short:
        names = " and ".join(s.value for s in short)
        parts.append(f"rework some of them for the {names} stage{'s' if len(short) > 1 else ''}")
    if after is not None:
        parts.append(f"give every page a clear link onward to a {after.value} page")
    else:
        parts.append("make sure each one asks for a single clear next step")
    return "; ".join(parts)


def overweight_gaps(mix: Sequence[StageShare], pages: Sequence[PageResult]) -> list[Gap]:
    """An `overweight-stage` gap for each stage far over its target, naming what to do: merge,
    retarget towards the stages under their targets, link onward. Evidence lists the stage's
    shortest pages first, as the likeliest to merge."""
    short = [s.stage for s in mix if s.share < s.target]
    gaps: list[Gap] = []
    for share in mix:
        if not is_overweight(share):
            continue
        mine = sorted(
            (p for p in pages if p.stage is share.stage), key=lambda p: (p.word_count, p.url)
        )
        message = (
            f"{share.stage.value.capitalize()} is overweight: {share.pages} pages "
            f"({share.share:.0%} of funnel pages) against a {share.target:.0%} target, so "
            "visitors meet a lot of this stage and too little of the others. What to do: "
            f"{_advice(share.stage, short)}."
        )
        gaps.append(
            Gap(
                share.stage,
                "",
                "overweight-stage",
                over_severity(share),
                message,
                tuple(p.url for p in mine[:MAX_EVIDENCE]),
            )
        )
    return gaps
