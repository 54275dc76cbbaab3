"""Judge every page with its site, once the crawl has read them all.

The page-by-page model sees one page at a time, and on real sites that misleads it in three ways
this pass corrects:

* **Site-wide vocabulary.** Words on most of a site's pages (its brand, its product, its city, a
  cart drawer's "subtotal" and "checkout", a booking widget's "book now") say what the business
  is, not what one page is for. Model terms found on at least SITE_COMMON_SHARE of the pages are
  set aside and every page is scored again without them.
* **Sections.** Pages in one URL section (`/services/…`, `/blog/…`, a numbered series) are usually
  built for one purpose. Each page's calibrated log-probabilities are nudged towards the mean of
  its section's other pages, so a lone page that reads differently from its siblings needs real
  evidence to stand apart.
* **Families.** Legal pages, careers and job posts, logins, utility pages, archives and press
  releases are recognised by the web's naming conventions (`families.py`), with a reason.

Sections whose pages still disagree are flagged for review. Manual labels always win. The pass
works on compact per-page token counts kept on disk during the crawl (`spool.BlobSpool`), so it
costs a second or two even on a 20,000-page site.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import numpy as np

from funnel_audit.classify.families import Family, page_family
from funnel_audit.classify.model import REVIEW_THRESHOLD
from funnel_audit.models import PageResult, Stage
from funnel_audit.read.declared import EVENT_SIGNUP, JOB, PRODUCT
from funnel_audit.store.spool import BlobSpool

if TYPE_CHECKING:
    from funnel_audit.classify.model import StageModel

SITE_COMMON_SHARE = 0.5
SITE_TOPIC_SHARE = 0.2  # words on a fifth of the pages: they still count, but explain nothing
SITE_COMMON_MIN_PAGES = 5
SECTION_MIN_PAGES = 3
SECTION_WEIGHT = 1.0
SECTION_SMOOTHING = 0.5
MIXED_SECTION_PAGES = 4
MIXED_MAJORITY = 0.75
_DIGITS = re.compile(r"\d+")


def pack_counts(cols: np.ndarray, counts: np.ndarray, kind: str = "") -> bytes:
    """A page's token counts as bytes (the declared kind's length and text, int32 columns, then
    uint16 counts): parser processes send bytes, so the crawling process never needs NumPy to
    receive them."""
    label = kind.encode("utf-8")[:255]
    capped = np.minimum(counts, 65_535).astype(np.uint16)
    return (
        bytes([len(label)])
        + label
        + bytes(cols.astype(np.int32).tobytes())
        + bytes(capped.tobytes())
    )


def unpack_counts(data: bytes) -> tuple[np.ndarray, np.ndarray, str]:
    """(columns, counts, declared kind) as `pack_counts` wrote them."""
    if not data:
        return np.empty(0, np.int32), np.empty(0, np.int32), ""
    start = 1 + data[0]
    kind = data[1:start].decode("utf-8", "replace")
    body = data[start:]
    n = len(body) // 6
    return (
        np.frombuffer(body[: n * 4], dtype=np.int32),
        np.frombuffer(body[n * 4 : n * 6], dtype=np.uint16).astype(np.int32),
        kind,
    )


@dataclass(frozen=True, slots=True)
class SitePassSummary:
    """What the pass did, for the audit's notes."""

    pages_judged: int
    common_terms: int
    changed: int
    families: dict[str, int]
    mixed_sections: tuple[str, ...]


def section_key(url: str) -> str | None:
    """The section a page belongs to: its parent folder with numbers generalised
    (`/news/2021-04/x/` -> `/news/#-#/`), or for a top-level page whose name carries a number,
    its numbered series (`/issue-81/` -> `/issue-#/`). Other top-level pages and the home page
    belong to no section: they are each built for their own purpose."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return None
    segs = [s for s in path.split("/") if s and s.lower() not in ("index.html", "index.htm")]
    if not segs:
        return None
    if len(segs) == 1:
        name = re.sub(r"\.html?$", "", segs[0].lower())
        return "/" + _DIGITS.sub("#", name) + "/" if _DIGITS.search(name) else None
    return "/" + "/".join(_DIGITS.sub("#", s.lower()) for s in segs[:-1]) + "/"


class _Weighed:
    """Pages' weighed vectors with the site-wide columns left out, read from the spool on demand
    (holding every page's vector at once would cost ~150 MB on a 20,000-page site)."""

    def __init__(self, model: StageModel, evidence: BlobSpool, urls: Sequence[str]) -> None:
        self.model, self.evidence, self.urls = model, evidence, urls
        df = np.zeros(model.n_features, dtype=np.int64)
        self.kinds: list[str] = []
        for cols, _, kind in self._counts():
            df[cols] += 1
            self.kinds.append(kind)
        threshold = max(SITE_COMMON_MIN_PAGES, SITE_COMMON_SHARE * len(urls))
        self.common = df >= threshold
        self.topical = df >= max(SITE_COMMON_MIN_PAGES, SITE_TOPIC_SHARE * len(urls))

    def _counts(self) -> Iterator[tuple[np.ndarray, np.ndarray, str]]:
        for url in self.urls:
            cols, counts, kind = unpack_counts(self.evidence.read(url) or b"")
            if cols.size and (cols.min() < 0 or cols.max() >= self.model.n_features):
                # counts stored by another model (never expected: reuse checks the version)
                cols, counts = cols[:0], counts[:0]
            yield cols, counts, kind

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for cols, counts, _ in self._counts():
            keep = ~self.common[cols]
            yield self.model.weigh(cols[keep], counts[keep])


def judge_site(
    model: StageModel, pages: Sequence[PageResult], evidence: BlobSpool, brand: str = ""
) -> tuple[list[PageResult], SitePassSummary]:
    """The pages with their site-aware stages; pages not read this run (reused, resumed) and
    manual labels keep theirs."""
    pages = list(pages)
    judged = [
        i
        for i, p in enumerate(pages)
        if p.label_source == "model" and p.url in evidence and p.stage is not None
    ]
    if not judged:
        return pages, SitePassSummary(0, 0, 0, {}, ())
    weighed = _Weighed(model, evidence, [pages[i].url for i in judged])
    families = {
        i: page_family(pages[i].url, pages[i].title, brand) or declared_family(kind)
        for i, kind in zip(judged, weighed.kinds, strict=True)
    }
    logits = np.vstack([model.logits_of([vector]) for vector in weighed])
    prior = _section_prior(
        model, logits, [pages[i] for i in judged], [families[i] is not None for i in judged]
    )
    changed = 0
    family_counts: Counter[str] = Counter()
    for j, (i, vector) in enumerate(zip(judged, weighed, strict=True)):
        pred = model.predict_vectors([vector], prior=prior[j : j + 1], quiet=weighed.topical)[0]
        page, family = pages[i], families[i]
        stage, confidence, reasons = Stage(pred.label), pred.confidence, pred.reasons
        if family is not None:
            family_counts[family.name] += 1
            stage, confidence = family.stage, max(confidence, 0.9)
            reasons = (f"family: {family.reason}", *reasons[:3])
        elif model.classes[int(np.argmax(logits[j]))] != pred.label:
            reasons = (f"section: pages beside it are mostly {pred.label}", *reasons[:3])
        if stage != page.stage:
            changed += 1
        pages[i] = replace(
            page,
            stage=stage,
            confidence=round(confidence, 4),
            reasons=reasons,
            needs_review=confidence < REVIEW_THRESHOLD,
        )
    mixed = _flag_mixed_sections(pages, judged, families)
    return pages, SitePassSummary(
        len(judged), int(weighed.common.sum()), changed, dict(family_counts), mixed
    )


def declared_family(kind: str) -> Family | None:
    """The family a page's structured data puts it in: a single product with its price is the
    shop's decision page; a job post is outside the funnel."""
    if kind == PRODUCT:
        return Family("product", Stage.DECISION, "product page with its price (structured data)")
    if kind == EVENT_SIGNUP:
        return Family(
            "event sign-up", Stage.CONVERSION, "event page with its sign-up form (structured data)"
        )
    if kind == JOB:
        return Family("careers", Stage.EXCLUDED, "job post (structured data)")
    return None


def _sections(pages: Sequence[PageResult], skip: Sequence[bool]) -> Iterator[list[int]]:
    groups: dict[str, list[int]] = {}
    for j, page in enumerate(pages):
        key = section_key(page.url)
        if key is not None and not skip[j]:
            groups.setdefault(key, []).append(j)
    for members in groups.values():
        if len(members) >= SECTION_MIN_PAGES:
            yield members


def _section_prior(
    model: StageModel, logits: np.ndarray, pages: Sequence[PageResult], skip: Sequence[bool]
) -> np.ndarray:
    """Per page, SECTION_WEIGHT times the log of the other section pages' mean calibrated
    probability per stage, smoothed (zero for pages in no section; family pages do not vote)."""
    z = logits / model.temperature
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    probs = np.exp(logp)
    prior: np.ndarray = np.zeros_like(logp)
    k = logp.shape[1]
    for members in _sections(pages, skip):
        total = probs[members].sum(axis=0)
        for j in members:
            # the others' mean probability, smoothed, as log odds: a section can push a page by
            # a few nats at most, so a page with clear evidence of its own still stands apart
            share = (total - probs[j] + SECTION_SMOOTHING) / (
                len(members) - 1 + k * SECTION_SMOOTHING
            )
            prior[j] = SECTION_WEIGHT * np.log(share)
    return prior


def mixed_sections(
    pages: Sequence[PageResult], members: Iterable[int]
) -> list[tuple[str, list[int], Counter[Stage]]]:
    """The URL sections (of MIXED_SECTION_PAGES or more of `members`) whose most common stage
    holds under MIXED_MAJORITY of their pages, sorted by key, with each one's stage counts. The
    site pass flags them and `labels-todo.csv` lists them: one definition for both."""
    groups: dict[str, list[int]] = {}
    for i in members:
        key = section_key(pages[i].url)
        if key is not None and pages[i].stage is not None:
            groups.setdefault(key, []).append(i)
    found = []
    for key, group in sorted(groups.items()):
        if len(group) < MIXED_SECTION_PAGES:
            continue
        stages: Counter[Stage] = Counter()
        for i in group:
            stage = pages[i].stage
            if stage is not None:
                stages[stage] += 1
        if stages.most_common(1)[0][1] / len(group) < MIXED_MAJORITY:
            found.append((key, group, stages))
    return found


def _flag_mixed_sections(
    pages: list[PageResult], judged: Sequence[int], families: dict[int, Family | None]
) -> tuple[str, ...]:
    """Sections whose pages still carry different stages: the minority pages go to review."""
    mixed = mixed_sections(pages, [i for i in judged if families[i] is None])
    for key, group, stages in mixed:
        top = stages.most_common(1)[0][0]
        for i in group:
            if pages[i].stage != top:
                pages[i] = replace(
                    pages[i],
                    needs_review=True,
                    reasons=(*pages[i].reasons, f"review: most of {key} is {top.value}"),
                )
    return tuple(key for key, _, _ in mixed)
