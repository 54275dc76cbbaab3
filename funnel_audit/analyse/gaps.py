"""Where the funnel is thin: stage mix against a target, topic holes and stranded link paths.

Default target mix (awareness 40%, consideration 30%, decision 20%, conversion 10%): most visitors
arrive early with a question, so an educational base feeds everything below it; consideration pages
turn readers into evaluators; decision pages (pricing, proof) are what a shortlist is settled on;
conversion pages are few by nature but every path needs one. A stage is *thin* when its share of
funnel pages falls short of its target by more than THIN_MARGIN of that target (40% vs a 20% target
is fine, 12% is thin), or when it has fewer than MIN_PAGES pages. A stage far *over* its target is
an `overweight-stage` gap (rule in overweight.py).

Content quality per stage: *thin* pages have under THIN_CONTENT_WORDS words (conversion pages are
short by nature and not counted), *stale* pages were last modified more than STALE_MONTHS before
the audit date, *near-duplicates* share their main text or a title with another page.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from difflib import SequenceMatcher
from email.utils import parsedate_to_datetime

from funnel_audit import settings
from funnel_audit.analyse.overweight import overweight_gaps
from funnel_audit.models import Gap, PageResult, Stage, StageQuality, StageShare

DEFAULT_TARGET: dict[Stage, float] = dict(settings.default("target"))
THIN_MARGIN = 0.35
MIN_PAGES = 3
THIN_CONTENT_WORDS = 150
SUBSTANCE_WORDS = 600
MAX_EVIDENCE = 10
STALE_MONTHS = 18
THIN_EXEMPT = (Stage.CONVERSION,)
TITLE_SIMILARITY = 0.9
_EMPTY_HASH = "da39a3ee5e6b4b0d3255bfef95601890afd80709"  # sha1 of "": pages with no text
_TITLE_SPLIT = re.compile(r"\s[|\u2013\u2014:\u00b7-]\s")
_TITLE_STOP = frozenset("a an and the of for to in on with your our you we at by".split())


def substance(word_count: int) -> float:
    """A page's weight in the mix: a 2,000-word guide counts more than a 150-word stub."""
    return min(2.0, max(0.25, word_count / SUBSTANCE_WORDS))


def funnel_pages(pages: Sequence[PageResult]) -> list[PageResult]:
    """The pages that count towards the mix: labelled, and not excluded."""
    return [p for p in pages if p.stage is not None and p.stage is not Stage.EXCLUDED]


def stage_mix(
    pages: Sequence[PageResult],
    target: Mapping[Stage, float],
    margin: float = THIN_MARGIN,
    min_pages: int = MIN_PAGES,
) -> tuple[StageShare, ...]:
    """Each funnel stage's share of pages (and of substance) against its target; `thin` marks
    a stage well under its target or with fewer than `min_pages` pages."""
    inside = funnel_pages(pages)
    counts = {s: 0 for s in Stage.funnel()}
    weights = {s: 0.0 for s in Stage.funnel()}
    for page in inside:
        counts[page.stage] += 1  # type: ignore[index]
        weights[page.stage] += substance(page.word_count)  # type: ignore[index]
    total = len(inside)
    total_weight = sum(weights.values())
    out = []
    for stage in Stage.funnel():
        share = counts[stage] / total if total else 0.0
        weighted = weights[stage] / total_weight if total_weight else 0.0
        goal = target.get(stage, 0.0)
        thin = goal > 0 and (share < goal * (1 - margin) or counts[stage] < min_pages)
        out.append(
            StageShare(
                stage, counts[stage], round(share, 4), round(goal, 4), round(weighted, 4), thin
            )
        )
    return tuple(out)


def _severity(share: StageShare) -> int:
    if share.pages == 0 or share.share < share.target * 0.35:
        return 3
    if share.share < share.target * (1 - THIN_MARGIN) or share.pages < MIN_PAGES:
        return 2
    return 1


def mix_gaps(mix: Sequence[StageShare], pages: Sequence[PageResult]) -> list[Gap]:
    """Gaps a client can act on from the mix alone: thin stages, stages full of stub pages."""
    gaps: list[Gap] = []
    by_stage: dict[Stage, list[PageResult]] = defaultdict(list)
    for page in funnel_pages(pages):
        by_stage[page.stage].append(page)  # type: ignore[index]
    for share in mix:
        if not share.thin:
            continue
        under = share.share < share.target
        message = (
            f"{share.stage.value.capitalize()} is thin: {share.pages} page"
            f"{'s' if share.pages != 1 else ''} ({share.share:.0%} of funnel pages) "
            + (
                f"against a {share.target:.0%} target."
                if under
                else f"is on its {share.target:.0%} target by share, but fewer than {MIN_PAGES} "
                "pages cannot cover a stage."
            )
        )
        if not share.pages:
            message += " Visitors at this stage find nothing written for them."
        gaps.append(
            Gap(
                share.stage,
                "",
                "thin-stage",
                _severity(share),
                message,
                tuple(p.url for p in by_stage[share.stage][:MAX_EVIDENCE]),
            )
        )
    for stage in Stage.funnel():
        stubs = [
            p
            for p in by_stage[stage]
            if p.word_count < THIN_CONTENT_WORDS and stage is not Stage.CONVERSION
        ]
        if len(stubs) >= 2 and len(stubs) >= 0.3 * len(by_stage[stage]):
            gaps.append(
                Gap(
                    stage,
                    "",
                    "thin-content",
                    1,
                    f"{len(stubs)} {stage.value} pages have under {THIN_CONTENT_WORDS} "
                    "words of their own; they add little substance.",
                    tuple(p.url for p in stubs[:MAX_EVIDENCE]),
                )
            )
    return gaps


def topic_gaps(pages: Sequence[PageResult]) -> list[Gap]:
    """Topics with early-stage content but nowhere to decide or act, and the reverse."""
    by_topic: dict[str, dict[Stage, list[str]]] = defaultdict(lambda: defaultdict(list))
    for page in funnel_pages(pages):
        if page.topic:
            by_topic[page.topic][page.stage].append(page.url)  # type: ignore[index]
    gaps: list[Gap] = []
    for topic, stages in sorted(by_topic.items()):
        early = stages[Stage.AWARENESS] + stages[Stage.CONSIDERATION]
        late = stages[Stage.DECISION] + stages[Stage.CONVERSION]
        if len(early) >= 2 and not stages[Stage.DECISION]:
            gaps.append(
                Gap(
                    Stage.DECISION,
                    topic,
                    "topic-no-decision",
                    2,
                    f"Topic \u201c{topic}\u201d has {len(early)} early-stage pages but no "
                    "decision page (pricing, proof or case study) to choose on.",
                    tuple(early[:MAX_EVIDENCE]),
                )
            )
        if len(late) >= 2 and not stages[Stage.AWARENESS]:
            gaps.append(
                Gap(
                    Stage.AWARENESS,
                    topic,
                    "topic-no-awareness",
                    2,
                    f"Topic \u201c{topic}\u201d has {len(late)} decision/conversion pages "
                    "but nothing educational to attract new visitors to it.",
                    tuple(late[:MAX_EVIDENCE]),
                )
            )
    return gaps


def find_gaps(
    pages: Sequence[PageResult],
    mix: Sequence[StageShare],
    other_findings: Sequence[Gap] = (),
    quality: Sequence[StageQuality] = (),
) -> tuple[Gap, ...]:
    """All findings, most severe first; ties keep funnel order so the report reads top-down.
    `other_findings` come from the other analyses (link flow, events and landing pages)."""
    gaps = mix_gaps(mix, pages) + overweight_gaps(mix, pages) + topic_gaps(pages)
    gaps += list(other_findings) + quality_gaps(quality)
    order = {s: i for i, s in enumerate(Stage)}
    return tuple(
        sorted(gaps, key=lambda g: (-g.severity, order.get(g.stage, 9) if g.stage else 9, g.kind))
    )


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, clamped to the month's end (31 Aug - 6 months = 28 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def parse_lastmod(text: str | None) -> date | None:
    """A sitemap W3C date (`2024-05-01`, `2024-05-01T10:00:00+00:00`) or an HTTP date; None if
    it is missing or unreadable, so an odd value never counts as stale."""
    if not text:
        return None
    text = text.strip()
    match = re.match(r"(\d{4})-(\d{2})(?:-(\d{2}))?", text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3] or 1))
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _title_words(title: str, brand: set[str]) -> str:
    """A title reduced to what tells pages apart: brand segments, case, order and plurals gone."""
    parts = [p for p in _TITLE_SPLIT.split(title) if p.strip().lower() not in brand]
    words = []
    for word in re.findall(r"\w+", " ".join(parts).lower()):
        if word in _TITLE_STOP:
            continue
        words.append(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return " ".join(sorted(words))


def _brand_segments(titles: Sequence[str]) -> set[str]:
    """Title segments that most pages share ("| Ledgerloop"): they say nothing about the page."""
    counts: dict[str, int] = defaultdict(int)
    for title in titles:
        for part in {p.strip().lower() for p in _TITLE_SPLIT.split(title) if p.strip()}:
            counts[part] += 1
    need = max(2, 0.4 * len(titles))
    return {part for part, n in counts.items() if n >= need}


def near_duplicates(pages: Sequence[PageResult]) -> set[str]:
    """URLs of pages that share their main text, or whose titles match once the brand, word
    order and plurals are set aside, or differ by a small edit. Linear-ish: exact keys are
    grouped, and fuzzy matching only compares neighbours in sorted order, so 20,000 pages is fine.
    """
    dupes: set[str] = set()
    by_hash: dict[str, list[str]] = defaultdict(list)
    by_title: dict[str, list[str]] = defaultdict(list)
    brand = _brand_segments([p.title for p in pages])
    for page in pages:
        if page.content_hash and page.content_hash != _EMPTY_HASH and page.word_count > 0:
            by_hash[page.content_hash].append(page.url)
        key = _title_words(page.title, brand)
        if key:
            by_title[key].append(page.url)
    for group in (*by_hash.values(), *by_title.values()):
        if len(group) > 1:
            dupes.update(group)
    keys = sorted(by_title)
    for a, b in zip(keys, keys[1:], strict=False):
        if min(len(a), len(b)) >= 12 and SequenceMatcher(None, a, b).ratio() >= TITLE_SIMILARITY:
            dupes.update(by_title[a] + by_title[b])
    return dupes


def content_quality(
    pages: Sequence[PageResult], today: date, stale_months: int = STALE_MONTHS
) -> tuple[StageQuality, ...]:
    """Thin, stale and near-duplicate counts per funnel stage. `today` is the audit date, passed
    in so the same audit.json always gives the same answer."""
    inside = funnel_pages(pages)
    cutoff = months_before(today, stale_months)
    dupes = near_duplicates(inside)
    out = []
    for stage in Stage.funnel():
        mine = [p for p in inside if p.stage is stage]
        thin = (
            []
            if stage in THIN_EXEMPT
            else [p.url for p in mine if p.word_count < THIN_CONTENT_WORDS]
        )
        dated = [(p.url, d) for p in mine if (d := parse_lastmod(p.lastmod)) is not None]
        stale = [url for url, d in dated if d < cutoff]
        dup = [p.url for p in mine if p.url in dupes]
        out.append(
            StageQuality(
                stage,
                len(mine),
                len(thin),
                len(stale),
                len(dated),
                len(dup),
                tuple(thin[:MAX_EVIDENCE]),
                tuple(stale[:MAX_EVIDENCE]),
                tuple(dup[:MAX_EVIDENCE]),
            )
        )
    return tuple(out)


def quality_gaps(quality: Sequence[StageQuality]) -> list[Gap]:
    """Stale and near-duplicate findings (thin content is already a mix gap); medium when they
    make up half the stage, low otherwise."""
    gaps: list[Gap] = []
    for q in quality:
        if q.stale >= 2:
            gaps.append(
                Gap(
                    q.stage,
                    "",
                    "stale-content",
                    2 if q.stale * 2 >= q.pages else 1,
                    f"{q.stale} {q.stage.value} pages were last updated over "
                    f"{STALE_MONTHS} months ago; refresh or retire them.",
                    q.stale_urls,
                )
            )
        if q.near_duplicate >= 2:
            gaps.append(
                Gap(
                    q.stage,
                    "",
                    "near-duplicate",
                    2 if q.near_duplicate * 2 >= q.pages else 1,
                    f"{q.near_duplicate} {q.stage.value} pages repeat the text or title "
                    "of another page; merge them or make each one distinct.",
                    q.duplicate_urls,
                )
            )
    return gaps
