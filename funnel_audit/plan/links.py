"""Which existing pages a planned piece should be linked from and should link on to, chosen by
how close they are to its subject: same topic first, then shared words in their titles, then
substance (longer pages first)."""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from funnel_audit.models import PageResult, Stage

_WORD = re.compile(r"[a-z0-9]{3,}")


def words(text: str) -> set[str]:
    """The lower-case words of three letters or more, plural -s set aside."""
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in _WORD.findall(text.lower())}


def neighbour(stage: Stage, step: int) -> Stage | None:
    """The stage `step` places along the funnel, or None past either end."""
    funnel = Stage.funnel()
    i = funnel.index(stage) + step
    return funnel[i] if 0 <= i < len(funnel) else None


class PagePicker:
    """The site's readable funnel pages by stage, ranked for a subject on demand."""

    def __init__(self, pages: Iterable[PageResult]) -> None:
        self.by_stage: dict[Stage, list[PageResult]] = {s: [] for s in Stage.funnel()}
        for p in pages:
            if p.stage in self.by_stage and p.error is None:
                self.by_stage[p.stage].append(p)
        self._words = {p.url: words(p.title) for ps in self.by_stage.values() for p in ps}
        self.by_url = {p.url: p for ps in self.by_stage.values() for p in ps}
        self._asked: dict[tuple[object, ...], tuple[PageResult, ...]] = {}  # subjects recur

    @staticmethod
    def dead_end(page: PageResult) -> bool:
        """A page nobody should be sent to: a thank-you page is where a form lands, not a step."""
        return "thank" in page.url.lower() or "thank" in page.title.lower()

    def best(
        self,
        stages: Sequence[Stage],
        topic: str,
        about: set[str],
        n: int,
        stress: frozenset[str] | set[str] = frozenset(),
    ) -> tuple[PageResult, ...]:
        """Up to `n` pages at `stages` (earlier stages in the list first), most relevant first:
        a page sharing the subject's own words (`stress`) first, then the topic, then other
        shared title words, then the longest."""
        key = (tuple(stages), topic, frozenset(about), frozenset(stress), n)
        if key not in self._asked:
            self._asked[key] = self._rank(stages, topic, about, n, stress)
        return self._asked[key]

    def _rank(
        self,
        stages: Sequence[Stage],
        topic: str,
        about: set[str],
        n: int,
        stress: frozenset[str] | set[str],
    ) -> tuple[PageResult, ...]:
        out: list[PageResult] = []
        seen: set[str] = set()
        for stage in stages:
            ranked = heapq.nsmallest(
                n,
                (p for p in self.by_stage[stage] if not self.dead_end(p) and p.url not in seen),
                key=lambda p: (
                    -(
                        3 * len(stress & self._words[p.url])
                        + 2 * (p.topic == topic)
                        + len(about & self._words[p.url])
                    ),
                    -p.word_count,
                    p.url,
                ),
            )
            for p in ranked:
                if len(out) < n:
                    out.append(p)
                    seen.add(p.url)
            if len(out) >= n:
                break
        return tuple(out)

    def link_from(
        self,
        stage: Stage,
        topic: str,
        about: set[str],
        stress: frozenset[str] | set[str] = frozenset(),
    ) -> tuple[str, ...]:
        """Pages one stage earlier (awareness pieces: other awareness pages) that should link in."""
        before = neighbour(stage, -1) or stage
        return tuple(p.url for p in self.best([before, stage], topic, about, 2, stress))

    def link_to(
        self,
        stage: Stage,
        topic: str,
        about: set[str],
        conversion_url: str = "",
        stress: frozenset[str] | set[str] = frozenset(),
    ) -> tuple[str, ...]:
        """Pages one stage later the piece should lead on to; a decision piece leads first to the
        site's main conversion page."""
        after = neighbour(stage, 1)
        if after is None:
            return ()
        later = [s for s in Stage.funnel() if s.order > stage.order]
        picked = [p.url for p in self.best(later, topic, about, 2, stress)]
        if after is Stage.CONVERSION and conversion_url:
            picked = [conversion_url, *(u for u in picked if u != conversion_url)]
        return tuple(picked[:2])

    def onward(
        self,
        stage: Stage,
        topic: str,
        about: set[str],
        stress: frozenset[str] | set[str] = frozenset(),
    ) -> PageResult | None:
        """The one page a piece's call to action should point at, if the site has one: at the
        next stage, else a later one (not the home page: "read the home page" is no step)."""
        after = neighbour(stage, 1)
        if after is None:
            return None
        later = [s for s in Stage.funnel() if s.order >= after.order]  # the next stage first
        found = [
            p for p in self.best(later, topic, about, 3, stress) if urlsplit(p.url).path.strip("/")
        ]
        return found[0] if found else None
