"""The funnel health score, with what it counts, so a client can see why a site scores 62.

It starts from how close the site's stage mix is to the target: 100 when every stage holds its
target share, 0 when the mix is as far from the target as it can be (half the summed absolute
differences between shares and targets). Each finding then takes points off: 6 for a serious one,
3 for a medium one, 1 for a minor one. The result is kept within 0-100. 80 or more is good: the
mix is near the target and few findings stand out; 60-79 is fair; under 60 the funnel needs work.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from funnel_audit.models import Gap, StageShare

PENALTY = {3: 6, 2: 3, 1: 1}
GOOD = 80
FAIR = 60


@dataclass(frozen=True, slots=True)
class Health:
    """The score and its parts."""

    score: int
    mix_points: int  # out of 100: how close the stage mix is to the target
    penalty: int  # points taken off for findings
    findings: dict[int, int]  # severity -> how many findings

    @property
    def verdict(self) -> str:
        """Good, fair or needs work."""
        return "good" if self.score >= GOOD else "fair" if self.score >= FAIR else "needs work"

    def explain(self) -> str:
        """One sentence on how the score was reached."""
        parts = [
            f"{n} {name} finding{'s' if n != 1 else ''} (-{PENALTY[sev] * n})"
            for sev, name in ((3, "serious"), (2, "medium"), (1, "minor"))
            if (n := self.findings.get(sev, 0))
        ]
        lost = "; minus " + ", ".join(parts) if parts else "; no findings took points off"
        return (
            f"The stage mix scores {self.mix_points} of 100 against the target{lost}. "
            f"{GOOD}+ is good, {FAIR}-{GOOD - 1} fair, under {FAIR} needs work."
        )


def health(mix: Sequence[StageShare], gaps: Sequence[Gap]) -> Health:
    """The health score of a site's funnel, with its parts."""
    drift = sum(abs(s.share - s.target) for s in mix)
    mix_points = round(100 * (1 - drift / 2))
    counts = Counter(g.severity for g in gaps)
    penalty = sum(PENALTY.get(sev, 0) * n for sev, n in counts.items())
    score = max(0, min(100, round(100 * (1 - drift / 2) - penalty)))
    return Health(score, max(0, mix_points), penalty, dict(counts))
