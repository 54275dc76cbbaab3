"""The consultant's correction loop: train on the shipped corpus plus their labels, and measure.

A labels file may hold only `url,stage`: those pages are fetched (politely, one at a time) and
read like any audited page, so a consultant can correct labels straight from `pages.csv`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from funnel_audit.classify.corpus import LABELS, Example, corpus_hash, load_corpus, load_labels
from funnel_audit.classify.features import doc_from_page
from funnel_audit.classify.fitting import train
from funnel_audit.classify.model import StageModel
from funnel_audit.classify.store import library_key
from funnel_audit.crawl.crawler import Crawler, CrawlSettings
from funnel_audit.crawl.urls import host_is_public
from funnel_audit.errors import InputError
from funnel_audit.read.extract import extract

FUNNEL = ("awareness", "consideration", "decision", "conversion")


@dataclass(frozen=True, slots=True)
class Evaluation:
    """How a model does on labelled pages, per stage and overall (`funnel-audit evaluate`)."""

    labels: tuple[str, ...]
    precision: dict[str, float]
    recall: dict[str, float]
    f1: dict[str, float]
    support: dict[str, int]
    macro_f1_funnel: float
    excluded_kept: float | None
    confusion: list[list[int]]
    n: int


def fill_missing_text(examples: Sequence[Example], settings: CrawlSettings) -> list[Example]:
    """Fetch the pages of rows that carry only a URL; a page that fails is a clear error."""
    out: list[Example] = []
    for ex in examples:
        if ex.doc.text.strip():
            out.append(ex)
            continue
        _refuse_private(ex.doc.url, settings)
        page = Crawler(settings).fetch(ex.doc.url)
        if not page.ok:
            raise InputError(
                f"cannot fetch {ex.doc.url} for its label: {page.error} "
                "(add title and text columns, or fix the URL)"
            )
        out.append(replace(ex, doc=doc_from_page(extract(page))))
    return out


def _refuse_private(url: str, settings: CrawlSettings) -> None:
    """A label URL is no audit target the user chose: a private or local address needs the
    explicit --allow-private (the crawler alone would allow a private start URL)."""
    if settings.allow_private:
        return
    host = urlsplit(url).hostname or ""
    if host and host_is_public(host) is False:
        raise InputError(
            f"cannot fetch {url} for its label: {host} is a private or local address "
            "(run again with --allow-private if you mean it)"
        )


def train_with_labels(labels_path: Path, settings: CrawlSettings) -> StageModel:
    """A model trained on the shipped corpus plus a consultant's labelled pages (fetching the
    ones given as a bare `url,stage`)."""
    extra = fill_missing_text(load_labels(labels_path), settings)
    examples = load_corpus() + extra
    return train(
        examples,
        metadata={
            "version": f"custom+{corpus_hash()[:8]}+{len(extra)}",
            "data_hash": corpus_hash(),
            "libraries": library_key(),
            "trained_on": f"shipped corpus + {len(extra)} labelled pages from {labels_path.name}",
        },
    )


def evaluate(model: StageModel, examples: Sequence[Example]) -> Evaluation:
    """Score `model` against labelled pages; raises InputError when there are none."""
    if not examples:
        raise InputError("no labelled pages to evaluate")
    truth = [ex.label for ex in examples]
    pred = [p.label for p in model.predict([ex.doc for ex in examples], n_reasons=0)]
    labels = tuple(LABELS)
    scores = precision_recall_fscore_support(truth, pred, labels=list(labels), zero_division=0)
    # without `average` each of the four is a per-label array (the stubs also allow a float)
    p, r, f, s = (np.asarray(v) for v in scores)
    present = [lab for lab in FUNNEL if lab in truth]
    macro = float(np.mean([f[labels.index(lab)] for lab in present])) if present else 0.0
    others = [q for t, q in zip(truth, pred, strict=True) if t == "excluded"]
    kept = sum(q == "excluded" for q in others) / len(others) if others else None
    return Evaluation(
        labels=labels,
        precision={lab: round(float(v), 4) for lab, v in zip(labels, p, strict=True)},
        recall={lab: round(float(v), 4) for lab, v in zip(labels, r, strict=True)},
        f1={lab: round(float(v), 4) for lab, v in zip(labels, f, strict=True)},
        support={lab: int(v) for lab, v in zip(labels, s, strict=True)},
        macro_f1_funnel=round(macro, 4),
        excluded_kept=kept,
        confusion=confusion_matrix(truth, pred, labels=list(labels)).tolist(),
        n=len(examples),
    )


def format_evaluation(ev: Evaluation) -> str:
    """The evaluation as the table `funnel-audit evaluate` prints."""
    lines = [f"{'stage':<15}{'precision':>10}{'recall':>8}{'f1':>8}{'pages':>7}"]
    for lab in ev.labels:
        lines.append(
            f"{lab:<15}{ev.precision[lab]:>10.3f}{ev.recall[lab]:>8.3f}"
            f"{ev.f1[lab]:>8.3f}{ev.support[lab]:>7}"
        )
    lines.append(f"macro-F1 over the four funnel stages: {ev.macro_f1_funnel:.3f} ({ev.n} pages)")
    if ev.excluded_kept is not None:
        lines.append(f"excluded pages set aside: {ev.excluded_kept:.0%}")
    lines.append("confusion (rows: truth, columns: predicted, order as above):")
    lines += ["  " + " ".join(f"{n:>5}" for n in row) for row in ev.confusion]
    return "\n".join(lines)
