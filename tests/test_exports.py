"""CSV, iCalendar and JSON writers: safe with hostile text, valid for the tools that import them."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path

import icalendar
from hypothesis import given
from hypothesis import strategies as st

from funnel_audit.models import CalendarEntry, Stage
from funnel_audit.report.calendar_files import calendar_ics, write_calendar_csv
from funnel_audit.report.exports import safe_cell, write_csv


def _entry(title: str, day: date = date(2026, 12, 7)) -> CalendarEntry:
    return CalendarEntry(
        date=day,
        stage=Stage.DECISION,
        format="case study",
        working_title=title,
        target_topic="invoice approval",
        keywords=("invoice", "approval"),
        cta="Request a demo",
        link_from=("https://a.example/blog/x",),
        link_to=(),
        owner="sales",
        kpi="demo requests",
        gap="Decision is thin",
        rationale="Because.",
    )


def test_formula_cells_are_neutralised(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    hostile = ['=HYPERLINK("http://evil")', "+1", "-2", "@SUM(A1)", "\tTAB", "\rCR", "plain"]
    write_csv(path, ["v"], [[h] for h in hostile])
    with path.open(encoding="utf-8-sig", newline="") as handle:
        values = [row[0] for row in csv.reader(handle)][1:]
    assert values[:-1] == ["'" + h for h in hostile[:-1]]
    assert values[-1] == "plain"


@given(st.text())
def test_safe_cell_never_starts_with_a_formula_character(text: str) -> None:
    assert not safe_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_ics_title_with_newlines_and_commas_is_one_event() -> None:
    title = "Pricing, plans;\r\nand =cmd|' /C calc'!A0\nBEGIN:VEVENT\n" + "long " * 40
    text = calendar_ics(
        [_entry(title), _entry("Second", date(2026, 12, 9))],
        site="s",
        stamp=datetime(2026, 11, 25, tzinfo=UTC),
    )
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    cal = icalendar.Calendar.from_ical(text)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 2
    assert "BEGIN:VEVENT" in str(events[0]["SUMMARY"])
    assert events[0]["DTSTART"].dt == date(2026, 12, 7)
    assert events[0]["UID"] != events[1]["UID"]


@given(st.text(min_size=1, max_size=300))
def test_any_title_round_trips_through_ics(title: str) -> None:
    text = calendar_ics([_entry(title)], site="s", stamp=datetime(2026, 11, 25, tzinfo=UTC))
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert len(events) == 1
    expected = "".join(
        ch for ch in title.replace("\r\n", "\n").replace("\r", "\n") if ch >= " " or ch in "\t\n"
    )
    assert str(events[0]["SUMMARY"]) == "[decision] " + expected


def test_calendar_csv_has_google_columns(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    write_calendar_csv([_entry("=2+2 guide")], path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["Subject"] == "[decision] =2+2 guide"
    assert rows[0]["Working Title"] == "'=2+2 guide"
    assert rows[0]["Start Date"] == "12/07/2026"
    assert rows[0]["All Day Event"] == "True"


def test_audit_json_has_no_nan() -> None:
    from funnel_audit.report.exports import _plain

    assert json.dumps(_plain({"x": float("nan"), "y": [float("inf")]}), allow_nan=False)
