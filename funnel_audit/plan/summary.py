"""The executive summary: a few sentences a client reads in a minute.

What the site is made of, the three findings that matter most, what to do first, and the health
score with its verdict. Sentences are built from the audit's own figures; nothing here is a
generic phrase that would read the same for every site.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from funnel_audit.models import Action, Gap, StageShare
from funnel_audit.plan.health import Health

STAGE_WORDS = {
    "awareness": "bring in people with a question",
    "consideration": "help visitors compare options",
    "decision": "help buyers choose (prices, proof, guarantees)",
    "conversion": "ask for the action",
}


def _first_sentence(text: str) -> str:
    head = text.split(". ")[0].split("; ")[0].strip().rstrip(".")
    head = re.sub(
        r"\b(\d+)([^()]*?)\(s\)", lambda m: m[1] + m[2] + ("" if m[1] == "1" else "s"), head
    )
    return head[:1].lower() + head[1:] if head[:2] != head[:2].upper() else head


FIRST_KINDS = ("thin-stage", "overweight-stage", "stranded-awareness", "no-conversion")


def _priority(kind: str) -> int:
    """Among findings of one severity, the funnel's shape first, then its flow, then the rest."""
    if kind in FIRST_KINDS:
        return FIRST_KINDS.index(kind)
    return len(FIRST_KINDS) + (
        0 if kind.endswith("-not-linked") or kind.startswith("topic-") else 1
    )


def _lower(text: str) -> str:
    """A sentence's first letter in lower case, unless it starts an acronym or a quotation."""
    return text if text[:2].isupper() or not text[:1].isalpha() else text[:1].lower() + text[1:]


def write_summary(
    site: str,
    mix: Sequence[StageShare],
    excluded: int,
    gaps: Sequence[Gap],
    actions: Sequence[Action],
    score: Health,
) -> tuple[str, ...]:
    """Four or five sentences: the funnel, the three main findings, what to do first, health."""
    name = site or "The site"
    total = sum(s.pages for s in mix)
    out = []
    if total:
        top = max(mix, key=lambda s: s.share)
        low = min(mix, key=lambda s: (s.share - s.target, s.stage.order))
        sentence = (
            f"{name} has {total} page{'s' if total != 1 else ''} in the buyer's funnel"
            + (f" and {excluded} set aside (legal, careers, login, help)" if excluded else "")
            + f". {top.stage.value.capitalize()} pages, which {STAGE_WORDS[top.stage.value]}, "
            f"are {'most of them' if top.share > 0.5 else 'the largest group'}: "
            f"{top.share:.0%} of funnel pages against a {top.target:.0%} target"
        )
        if low.share < low.target:
            sentence += (
                f", while {low.stage.value} pages, which {STAGE_WORDS[low.stage.value]}, are "
                f"{low.share:.0%} against {low.target:.0%}"
            )
        out.append(sentence + ".")
    else:
        out.append(f"{name} has no pages the audit could place in the buyer's funnel.")
    main = []
    for gap in sorted(gaps, key=lambda g: (-g.severity, _priority(g.kind))):
        text = _first_sentence(gap.message)
        if text and text not in main:
            main.append(text)
        if len(main) == 3:
            break
    if main:
        count = ("One finding stands out", "Two findings stand out", "Three findings stand out")
        out.append(f"{count[len(main) - 1]}: " + "; ".join(main) + ".")
    if actions:
        steps = [_lower(a.text.split(" (")[0]) for a in actions[:2]]
        out.append("Do first: " + ", then ".join(steps) + ".")
    out.append(f"Funnel health is {score.score}/100 ({score.verdict}). {score.explain()}")
    return tuple(out)
