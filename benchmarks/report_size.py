"""Report size and render time for a big site: 20,000 synthetic pages through the real pipeline
stages after the crawl (mix, gaps, calendar, render). Target: well under 10 MB.

Usage: python benchmarks/report_size.py [N]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime

from funnel_audit.analyse.gaps import DEFAULT_TARGET, find_gaps, stage_mix
from funnel_audit.analyse.linkflow import analyse_links
from funnel_audit.analyse.topics import Topic
from funnel_audit.models import AuditResult, PageResult, Stage
from funnel_audit.plan.planner import build_calendar
from funnel_audit.report.html import render_report

STAGES = (Stage.AWARENESS, Stage.CONSIDERATION, Stage.DECISION, Stage.CONVERSION, Stage.EXCLUDED)


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    topics = [Topic(f"topic {i}", (f"topic {i}", "words")) for i in range(8)]
    pages = tuple(
        PageResult(
            url=f"https://big.example/section-{i % 50}/page-{i}",
            status=200,
            error=None,
            depth=3,
            content_type="text/html",
            title=f"Page {i} about topic {i % 8} | Big Example",
            word_count=200 + i % 900,
            stage=STAGES[i % 5],
            confidence=0.4 + (i % 60) / 100,
            reasons=("url:section", 'title:"topic"', 'text:"words"'),
            needs_review=i % 7 == 0,
            label_source="model",
            links=tuple(f"https://big.example/section-{j % 50}/page-{j}" for j in range(i, i + 40)),
            topic=f"topic {i % 8}",
        )
        for i in range(n)
    )
    started = time.perf_counter()
    mix = stage_mix(pages, DEFAULT_TARGET)
    flow = analyse_links(pages, "https://big.example/")
    gaps = find_gaps(pages, mix, flow.findings)
    calendar = build_calendar(
        pages, mix, gaps, topics, site_name="Big Example", start=date(2026, 12, 7)
    )
    now = datetime(2026, 11, 25, tzinfo=UTC)
    result = AuditResult(
        target="https://big.example/",
        site="big.example",
        started_at=now,
        finished_at=now,
        settings={},
        model_version="bench",
        pages=pages,
        mix=mix,
        gaps=gaps,
        calendar=calendar,
        topics={t.name: {"awareness": 1} for t in topics},
        link_flow={"onward_share": flow.onward_share, "stage_links": flow.stage_links},
    )
    html = render_report(result)
    elapsed = time.perf_counter() - started
    print(
        f"{n:,} pages: report.html {len(html.encode()) / 1e6:.2f} MB, analysis + render "
        f"{elapsed:.1f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
