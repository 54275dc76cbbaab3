"""Gap maths and calendar planning on hand-built pages, where the expected answer is known."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from funnel_audit.analyse.gaps import DEFAULT_TARGET, find_gaps, stage_mix
from funnel_audit.analyse.topics import Topic
from funnel_audit.errors import InputError
from funnel_audit.models import PageResult, Stage
from funnel_audit.plan.planner import build_calendar, next_monday
from funnel_audit.settings import parse_target


def page(
    url: str,
    stage: Stage | None,
    words: int = 500,
    topic: str = "boiler repair",
    links: tuple[str, ...] = (),
) -> PageResult:
    return PageResult(
        url=url,
        status=200,
        error=None,
        depth=1,
        content_type="text/html",
        title=url,
        word_count=words,
        stage=stage,
        confidence=0.9,
        reasons=(),
        needs_review=False,
        label_source="model",
        links=links,
        topic=topic,
    )


def site(counts: dict[Stage, int]) -> list[PageResult]:
    out = []
    for stage, n in counts.items():
        out += [page(f"https://x.example/{stage.value}/{i}", stage) for i in range(n)]
    return out


def test_parse_target_rescales_and_rejects_nonsense() -> None:
    mix = parse_target("awareness=0.5,conversion=0.2")
    assert mix[Stage.AWARENESS] == pytest.approx(0.5 / 1.2)
    assert sum(mix.values()) == pytest.approx(1.0)
    for bad in ("awareness", "excluded=0.2", "awareness=2", "foo=0.1", "awareness=x"):
        with pytest.raises(InputError):
            parse_target(bad)


def test_thin_by_share_and_by_minimum_pages() -> None:
    pages = site(
        {Stage.AWARENESS: 10, Stage.CONSIDERATION: 8, Stage.DECISION: 1, Stage.CONVERSION: 2}
    )
    pages.append(page("https://x.example/privacy", Stage.EXCLUDED))
    mix = {m.stage: m for m in stage_mix(pages, DEFAULT_TARGET)}
    assert mix[Stage.DECISION].thin and mix[Stage.CONVERSION].thin
    assert not mix[Stage.AWARENESS].thin and not mix[Stage.CONSIDERATION].thin
    assert sum(m.pages for m in mix.values()) == 21  # excluded pages stay out of the maths
    assert mix[Stage.DECISION].share == pytest.approx(1 / 21, abs=1e-3)


def test_weighted_share_counts_substance() -> None:
    pages = [
        page("https://x.example/a", Stage.AWARENESS, words=2000),
        page("https://x.example/b", Stage.DECISION, words=100),
    ]
    mix = {m.stage: m for m in stage_mix(pages, DEFAULT_TARGET)}
    assert mix[Stage.AWARENESS].share == 0.5
    assert mix[Stage.AWARENESS].weighted_share > 0.85


def test_gaps_most_severe_first_with_evidence() -> None:
    pages = site(
        {Stage.AWARENESS: 10, Stage.CONSIDERATION: 8, Stage.DECISION: 0, Stage.CONVERSION: 3}
    )
    gaps = find_gaps(pages, stage_mix(pages, DEFAULT_TARGET))
    assert gaps[0].stage is Stage.DECISION and gaps[0].severity == 3
    topic_gap = [g for g in gaps if g.kind == "topic-no-decision"]
    assert topic_gap and topic_gap[0].evidence_urls


def test_calendar_fills_thin_stage_first_never_repeats_titles() -> None:
    pages = site(
        {Stage.AWARENESS: 10, Stage.CONSIDERATION: 8, Stage.DECISION: 1, Stage.CONVERSION: 3}
    )
    mix = stage_mix(pages, DEFAULT_TARGET)
    topics = [
        Topic("boiler repair", ("boiler repair", "pressure")),
        Topic("heat pumps", ("heat pumps", "grant")),
    ]
    cal = build_calendar(
        pages,
        mix,
        find_gaps(pages, mix),
        topics,
        site_name="Harbourline",
        start=date(2026, 12, 7),
        weeks=12,
        per_week=3,
    )
    # two topics and no page titles give fewer distinct titles than slots: no title is repeated
    assert 30 <= len(cal) <= 36
    assert cal[0].stage is Stage.DECISION
    titles = [e.working_title.lower() for e in cal]
    assert len(titles) == len(set(titles))
    assert all(e.date >= date(2026, 12, 7) for e in cal)
    per_stage = Counter(e.stage for e in cal)
    assert per_stage[Stage.DECISION] >= 8  # the thin stage gets the most it can without repeats
    assert all(e.stage is Stage.DECISION for e in cal[:3])
    assert per_stage[Stage.DECISION] <= 0.6 * len(cal)  # but never the whole plan
    assert any("boiler repair" in e.working_title.lower() for e in cal)
    assert all(e.cta and e.kpi and e.owner and e.rationale for e in cal)


def test_next_monday() -> None:
    assert next_monday(date(2026, 11, 25)) == date(2026, 11, 30)
    assert next_monday(date(2026, 11, 30)) == date(2026, 12, 7)
