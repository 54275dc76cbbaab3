"""Site-wide repeated lines are dropped once they are seen on most pages."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from funnel_audit.read.boilerplate import RepeatedLines


def test_line_on_every_page_is_dropped_after_a_few_pages() -> None:
    tracker = RepeatedLines()
    banner = "Get our weekly newsletter with practical tips"
    outs = [
        tracker.filter(f"Page {i} has its own words about topic {i}\n{banner}") for i in range(10)
    ]
    assert banner in outs[0] and banner in outs[2]
    assert all(banner not in out for out in outs[4:])
    assert all(f"topic {i}" in out for i, out in enumerate(outs))


def test_short_lines_and_rare_lines_stay() -> None:
    tracker = RepeatedLines()
    for i in range(10):
        out = tracker.filter(
            f"Menu\nA line only page {i} has, about pumps\nShared on two"
            if i < 2
            else f"Menu\nUnique text number {i} for this page"
        )
        assert "Menu" in out


@given(st.lists(st.text(max_size=200), max_size=20))
def test_filter_only_removes_lines(pages: list[str]) -> None:
    tracker = RepeatedLines()
    for text in pages:
        out = tracker.filter(text)
        kept = out.split("\n") if out else []
        original = text.split("\n")
        it = iter(original)
        assert all(any(line == o for o in it) for line in kept)


def test_memory_is_bounded_and_site_wide_lines_survive_pruning() -> None:
    from funnel_audit.read import boilerplate

    tracker = RepeatedLines()
    banner = "Talk to a plumber today about your boiler"
    for i in range(600):
        unique = "\n".join(f"line {i} {j} only on this one page" for j in range(200))
        out = tracker.filter(f"{unique}\n{banner}")
        assert len(tracker.counts) <= boilerplate.MAX_LINES
        if i >= 4:
            assert banner not in out
        assert f"line {i} 0 only" in out
    assert tracker.counts[RepeatedLines._key(banner)] == 600
