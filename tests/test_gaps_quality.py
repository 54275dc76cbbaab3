"""Content quality per stage: thin, stale and near-duplicate pages, counted on hand-built pages."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date

import pytest

from funnel_audit.analyse.gaps import (
    DEFAULT_TARGET,
    content_quality,
    find_gaps,
    months_before,
    near_duplicates,
    parse_lastmod,
    stage_mix,
)
from funnel_audit.models import PageResult, Stage

TODAY = date(2026, 11, 25)


def page(
    path: str,
    stage: Stage | None = Stage.AWARENESS,
    *,
    words: int = 600,
    title: str = "",
    lastmod: str | None = None,
    text: str = "",
) -> PageResult:
    digest = hashlib.sha1((text or path).encode()).hexdigest()
    return PageResult(
        url=f"https://x.example{path}",
        status=200,
        error=None,
        depth=1,
        content_type="text/html",
        title=title or f"{path} | Acme",
        word_count=words,
        stage=stage,
        confidence=0.9,
        reasons=(),
        needs_review=False,
        label_source="model",
        lastmod=lastmod,
        content_hash=digest,
    )


def by_stage(pages: list[PageResult], today: date = TODAY) -> dict[Stage, object]:
    return {q.stage: q for q in content_quality(pages, today)}


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 25), 18, date(2025, 5, 25)),
        (date(2026, 8, 31), 6, date(2026, 2, 28)),
        (date(2024, 8, 31), 6, date(2024, 2, 29)),
        (date(2026, 1, 15), 1, date(2025, 12, 15)),
    ],
)
def test_months_before_clamps_to_month_end(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", date(2024, 5, 1)),
        ("2024-05-01T10:00:00+02:00", date(2024, 5, 1)),
        ("2024-05", date(2024, 5, 1)),
        ("Wed, 21 Oct 2015 07:28:00 GMT", date(2015, 10, 21)),
        ("2024-13-45", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_lastmod_is_lenient_and_never_raises(text: str | None, expected: date | None) -> None:
    assert parse_lastmod(text) == expected


def test_thin_pages_counted_per_stage_but_not_conversion() -> None:
    q = by_stage(
        [
            page("/a", words=149),
            page("/b", words=150),
            page("/c", words=20),
            page("/d", Stage.DECISION, words=90),
            page("/contact", Stage.CONVERSION, words=40),
            page("/privacy", Stage.EXCLUDED, words=10),
            page("/broken", None, words=0),
        ]
    )
    assert q[Stage.AWARENESS].thin == 2 and q[Stage.AWARENESS].pages == 3
    assert set(q[Stage.AWARENESS].thin_urls) == {"https://x.example/a", "https://x.example/c"}
    assert q[Stage.DECISION].thin == 1
    assert q[Stage.CONVERSION].thin == 0, "conversion pages are short by nature"
    assert Stage.EXCLUDED not in q


def test_stale_is_relative_to_the_injected_audit_date() -> None:
    pages = [
        page("/old", lastmod="2024-01-10"),
        page("/edge", lastmod="2025-05-25"),
        page("/older", lastmod="Tue, 01 Mar 2022 10:00:00 GMT"),
        page("/new", lastmod="2026-06-01T08:00:00Z"),
        page("/undated"),
        page("/junk", lastmod="not a date"),
    ]
    q = by_stage(pages)[Stage.AWARENESS]
    assert (q.stale, q.dated) == (2, 4)
    assert set(q.stale_urls) == {"https://x.example/old", "https://x.example/older"}
    assert by_stage(pages, date(2025, 1, 1))[Stage.AWARENESS].stale == 1
    assert by_stage(pages, date(2028, 1, 1))[Stage.AWARENESS].stale == 4


def test_near_duplicates_by_text_and_by_title() -> None:
    pages = [
        page("/a", text="same body"),
        page("/b", Stage.DECISION, text="same body"),
        page("/c", title="Boiler repair and servicing | Acme"),
        page("/d", title="Servicing and boiler repairs | Acme"),
        page("/e", title="Acme \u2014 Invoice approval workflows for finance teams"),
        page("/f", title="Invoice approval workflow for finance team | Acme"),
        page("/g", title="Accounts payable automation guide | Acme"),
        page("/h", title="Accounts payable automation guides! | Acme"),
        page("/i", title="Plumber in Leeds | Acme"),
        page("/j", title="Plumber in York | Acme"),
        page("/k", title="Pricing | Acme"),
        page("/l", title="Plans | Acme"),
        page("/empty1", words=0, text=""),
        page("/empty2", words=0, text=""),
    ]
    pages[-2:] = [replace(p, content_hash=hashlib.sha1(b"").hexdigest()) for p in pages[-2:]]
    dupes = {u.removeprefix("https://x.example/") for u in near_duplicates(pages)}
    assert dupes == {"a", "b", "c", "d", "e", "f", "g", "h"}
    q = by_stage(pages)
    assert q[Stage.AWARENESS].near_duplicate == 7 and q[Stage.DECISION].near_duplicate == 1


def test_brand_only_titles_are_not_duplicates_of_each_other() -> None:
    pages = [page(f"/{i}", title="Acme") for i in range(5)]
    assert near_duplicates(pages) == set()


def test_quality_becomes_gaps_with_evidence() -> None:
    pages = [page(f"/old{i}", lastmod="2020-01-01") for i in range(3)]
    pages += [page(f"/fresh{i}", lastmod="2026-10-01") for i in range(3)]
    pages += [
        page("/x", Stage.CONSIDERATION, text="copy"),
        page("/y", Stage.CONSIDERATION, text="copy"),
    ]
    quality = content_quality(pages, TODAY)
    gaps = find_gaps(pages, stage_mix(pages, DEFAULT_TARGET), (), quality)
    stale = next(g for g in gaps if g.kind == "stale-content")
    assert stale.stage is Stage.AWARENESS and stale.severity == 2
    assert "3 awareness pages" in stale.message and "18 months" in stale.message
    assert len(stale.evidence_urls) == 3
    dup = next(g for g in gaps if g.kind == "near-duplicate")
    assert dup.stage is Stage.CONSIDERATION and len(dup.evidence_urls) == 2
    assert [g.severity for g in gaps] == sorted((g.severity for g in gaps), reverse=True)


def test_quality_scales_to_a_big_site() -> None:
    import time

    pages = [
        page(
            f"/p{i}",
            title=f"Article number {i} about topic {i * 7919 % 1000} | Acme",
            lastmod="2024-01-01",
        )
        for i in range(20_000)
    ]
    started = time.perf_counter()
    q = by_stage(pages)[Stage.AWARENESS]
    assert time.perf_counter() - started < 10
    assert q.pages == 20_000 and q.stale == 20_000 and len(q.stale_urls) == 10
