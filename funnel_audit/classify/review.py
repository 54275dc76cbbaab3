"""The pages most worth a consultant's check, as a `labels-todo.csv` to fill in and pass back.

First one pattern row per URL section whose pages carry mixed stages (one answer settles the
whole family), then the single pages the model is least sure of, least sure first. The `stage`
column is left empty: the consultant writes a stage where the suggestion is wrong (or right and
worth pinning), and `--labels labels-todo.csv` applies the filled rows on the next run.
"""

from __future__ import annotations

from collections.abc import Sequence

from funnel_audit.classify.families import page_family
from funnel_audit.classify.site_pass import mixed_sections
from funnel_audit.models import PageResult, Stage

TODO_COLUMNS = ("url", "stage", "model_stage", "confidence", "why", "title")
MAX_TODO_PAGES = 200


def _pattern(key: str) -> str:
    """A section key as a `--labels` pattern: numbers generalised back to a wildcard."""
    return key.replace("#", "*") + "*"


def todo_rows(
    pages: Sequence[PageResult], settled: Sequence[tuple[str, str]] = (), brand: str = ""
) -> list[tuple[str, str, str, str, str, str]]:
    """`settled` are the `--labels` rows of a todo file passed back from the output folder the
    audit is about to rewrite: they come first, filled in, so no decision is lost."""
    rows: list[tuple[str, str, str, str, str, str]] = [
        (url, stage, "", "", "your label", "") for url, stage in settled
    ]
    judged = [p for p in pages if p.stage is not None and p.label_source == "model"]
    # the sections the site pass flagged: model pages outside the page families
    candidates = [
        i
        for i, p in enumerate(pages)
        if p.label_source == "model" and page_family(p.url, p.title, brand) is None
    ]
    for key, group, counts in mixed_sections(pages, candidates):
        top = counts.most_common(1)[0][0]
        mix = ", ".join(f"{c} {s.value}" for s, c in counts.most_common())
        rows.append(
            (
                _pattern(key),
                "",
                top.value,
                "",
                f"section of {len(group)} pages with mixed stages ({mix})",
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
