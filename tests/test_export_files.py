"""The export files as an audit writes them through the CLI: CSVs that Excel opens correctly
(UTF-8 with a byte-order mark) and their readers in the package still reading them, calendar.csv
with Google Calendar's headers, tasks.csv for Asana, and calendar.ics UIDs that survive a re-audit.
"""

from __future__ import annotations

import codecs
import csv
import re
import shutil
from datetime import date
from pathlib import Path

import icalendar
import pytest

from funnel_audit.cli.main import main
from tests.conftest import SAMPLES

CSV_OUTPUTS = ("pages.csv", "labels-todo.csv", "calendar.csv", "tasks.csv")


def _audit(folder: Path, out: Path) -> None:
    assert main(["audit", str(folder), "--out", str(out), "--no-history", "-q"]) == 0


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports") / "out"
    _audit(SAMPLES / "ledgerloop", out)
    return out


@pytest.mark.parametrize("name", CSV_OUTPUTS)
def test_csv_outputs_start_with_a_utf8_byte_order_mark(audited: Path, name: str) -> None:
    data = (audited / name).read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert not data[3:].startswith(codecs.BOM_UTF8)  # one mark, not two
    header = next(csv.reader([data[3:].decode("utf-8").splitlines()[0]]))
    assert header[0] and not header[0].startswith("\ufeff")
    assert _rows(audited / name), name


def test_labels_todo_with_its_mark_is_read_back_by_labels(tmp_path: Path, audited: Path) -> None:
    todo = _rows(audited / "labels-todo.csv")
    page_rows = [r for r in todo if "*" not in r["url"]]
    assert page_rows
    pinned = page_rows[0]["url"]
    labels = tmp_path / "labels-todo.csv"
    with labels.open("w", encoding="utf-8-sig", newline="") as handle:  # as Excel saves it
        writer = csv.DictWriter(handle, fieldnames=list(todo[0]))
        writer.writeheader()
        for row in todo:
            writer.writerow({**row, "stage": "conversion" if row["url"] == pinned else ""})
    assert labels.read_bytes().startswith(codecs.BOM_UTF8)
    out = tmp_path / "out"
    code = main(
        ["audit", str(SAMPLES / "ledgerloop"), "--out", str(out), "--no-history", "-q"]
        + ["--labels", str(labels)]
    )
    assert code == 0
    pages = {r["url"]: r for r in _rows(out / "pages.csv")}
    assert pages[pinned]["stage"] == "conversion"
    assert pages[pinned]["label_source"] == "manual"


def test_calendar_csv_starts_with_google_calendar_import_headers(audited: Path) -> None:
    with (audited / "calendar.csv").open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert header[:4] == ["Subject", "Start Date", "All Day Event", "Description"]
    rows = _rows(audited / "calendar.csv")
    assert rows and all(re.fullmatch(r"\d\d/\d\d/\d{4}", r["Start Date"]) for r in rows)
    assert {r["All Day Event"] for r in rows} == {"True"}


def test_tasks_csv_has_one_asana_task_per_calendar_entry(audited: Path) -> None:
    with (audited / "tasks.csv").open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["Name", "Assignee Email", "Due Date", "Section/Column", "Description"]
    tasks = _rows(audited / "tasks.csv")
    calendar = _rows(audited / "calendar.csv")
    assert len(tasks) == len(calendar) > 0
    for task, entry in zip(tasks, calendar, strict=True):
        assert task["Name"] == entry["Working Title"]
        month, day, year = entry["Start Date"].split("/")
        assert task["Due Date"] == date(int(year), int(month), int(day)).isoformat()
        assert task["Section/Column"].endswith(entry["Stage"])
        assert task["Assignee Email"] == ""
        assert f"Format: {entry['Format']}" in task["Description"]


def _uids(path: Path) -> list[str]:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return [str(event["UID"]) for event in cal.walk("VEVENT")]


def test_ics_uids_are_unique_within_a_file(audited: Path) -> None:
    uids = _uids(audited / "calendar.ics")
    assert len(uids) == len(_rows(audited / "calendar.csv")) > 0
    assert len(set(uids)) == len(uids)


NEW_PAGE = """<!doctype html><html><head><title>How to close the books faster | Ledgerloop</title>
<meta name="description" content="A month-end close guide for finance teams."></head>
<body><main><h1>How to close the books faster</h1>
<p>Month-end close is where finance teams lose days. This guide walks through reconciling bank
accounts, clearing accounts payable before the cut-off, and matching invoices to purchase orders
so the close takes three days instead of ten.</p>
<p>Start with the bank: reconcile daily, not monthly. Then chase approvals for open invoices a week
before month end, and keep a checklist of accruals so nothing is found late.</p>
<p>Read our <a href="/blog/">other guides</a> for more on accounts payable and approvals.</p>
</main></body></html>
"""


def test_ics_uids_survive_adding_a_page(tmp_path: Path) -> None:
    site = tmp_path / "ledgerloop"
    shutil.copytree(SAMPLES / "ledgerloop", site)
    _audit(site, tmp_path / "before")
    (site / "blog" / "close-the-books-faster.html").write_text(NEW_PAGE, encoding="utf-8")
    _audit(site, tmp_path / "after")
    before, after = (
        _uids(tmp_path / "before" / "calendar.ics"),
        _uids(tmp_path / "after" / "calendar.ics"),
    )
    assert before and after
    pages_before = len(_rows(tmp_path / "before" / "pages.csv"))
    assert len(_rows(tmp_path / "after" / "pages.csv")) == pages_before + 1  # the page was audited
    kept = len(set(before) & set(after)) / len(set(before))
    print(f"UIDs kept after adding one page: {kept:.0%} of {len(set(before))}")
    assert kept >= 0.75
