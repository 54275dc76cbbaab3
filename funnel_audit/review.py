"""The pages most worth a consultant's check, as a `labels-todo.csv` to fill in and pass back.

First one pattern row per URL section whose pages carry mixed stages (one answer settles the
whole family), then the single pages the model is least sure of, least sure first. The `stage`
column is left empty: the consultant writes a stage where the suggestion is wrong (or right and
worth pinning), and `--labels labels-todo.csv` applies the filled rows on the next run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from funnel_audit.models import PageResult, Stage
from funnel_audit.site_pass import MIXED_MAJORITY, MIXED_SECTION_PAGES, section_key

TODO_COLUMNS = ("url", "stage", "model_stage", "confidence", "why", "title")
MAX_TODO_PAGES = 200


def _pattern(key: str) -> str:
    """A section key as a `--labels` pattern: numbers generalised back to a wildcard."""
    return key.replace("#", "*") + "*"


def todo_rows(
    pages: Sequence[PageResult], settled: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str, str, str, str, str]]:
    """`settled` are the `--labels` rows of a todo file passed back from the output folder the
    audit is about to rewrite: they come first, filled in, so no decision is lost."""
    rows: list[tuple[str, str, str, str, str, str]] = [
        (url, stage, "", "", "your label", "") for url, stage in settled
    ]
    judged = [p for p in pages if p.stage is not None and p.label_source == "model"]
    sections: dict[str, list[PageResult]] = {}
    for page in judged:
        key = section_key(page.url)
        if key is not None:
            sections.setdefault(key, []).append(page)
    for key, members in sorted(sections.items()):
        counts = Counter(p.stage for p in members)
        top, n = counts.most_common(1)[0]
        if len(members) < MIXED_SECTION_PAGES or n / len(members) >= MIXED_MAJORITY or top is None:
            continue
        mix = ", ".join(f"{c} {s.value}" for s, c in counts.most_common() if s is not None)
        rows.append(
            (
                _pattern(key),
                "",
                top.value,
                "",
                f"section of {len(members)} pages with mixed stages ({mix})",
                "",
            )
        )
    unsure = sorted((p for p in judged if p.needs_review), key=lambda p: (p.confidence, p.url))[
        :MAX_TODO_PAGES
    ]
    for page in unsure:
        stage = page.stage or Stage.EXCLUDED
        rows.append(
            (
                page.url,
                "",
                stage.value,
                f"{page.confidence:.3f}",
                "; ".join(page.reasons[:3]),
                page.title,
            )
        )
    return rows
