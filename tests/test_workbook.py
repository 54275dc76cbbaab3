"""report.xlsx through the real command line: written only when asked (`--xlsx`, the variable),
its sheets (summary, plan, calendar, gaps, pages) hold the audit's records, text from a website
never becomes a live formula, a workbook that does not belong to the run is never left beside
its outputs, and the default audit never loads openpyxl."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from funnel_audit.cli.main import main
from funnel_audit.models import Action, CalendarEntry, KeyResult, Objective, Stage
from funnel_audit.report import workbook
from funnel_audit.report.exports import write_audit_json
from funnel_audit.report.html import health_score
from funnel_audit.report.stored_audit import read_audit_json
from funnel_audit.report.workbook import WORKBOOK, cell_text, write_workbook
from funnel_audit.report.workbook_sheets import ACTION_COLUMNS, OBJECTIVE_COLUMNS, SHEETS
from tests.conftest import ROOT, SAMPLES
from tests.live_runs import small_tmpfs

HARBOURLINE = SAMPLES / "harbourline-plumbing"
MIX_HEADER = ("stage", "pages", "share", "target", "status")
needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None, reason="needs root to mount a tmpfs"
)


def _audit(target: Path, out: Path, *args: str) -> None:
    assert main(["audit", str(target), "--out", str(out), "--no-history", "--quiet", *args]) == 0


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _rows(sheet: object) -> list[tuple[object, ...]]:
    """A sheet's rows without the trailing empty cells of a narrower block."""
    assert isinstance(sheet, Worksheet)
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    for row in rows:
        while row and row[-1] is None:
            row.pop()
    return [tuple(row) for row in rows]


def _blocks(rows: list[tuple[object, ...]]) -> list[list[tuple[object, ...]]]:
    """A sheet's tables: runs of rows split at the blank rows, each starting with its header."""
    blocks: list[list[tuple[object, ...]]] = [[]]
    for row in rows:
        if row:
            blocks[-1].append(row)
        else:
            blocks.append([])
    return blocks


@pytest.fixture(scope="module")
def harbourline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("harbourline")
    _audit(HARBOURLINE, out, "--xlsx")
    return out


def test_the_sheets_hold_the_audit_in_order(harbourline: Path) -> None:
    book = openpyxl.load_workbook(harbourline / WORKBOOK)
    assert tuple(book.sheetnames) == SHEETS == ("summary", "plan", "calendar", "gaps", "pages")
    data = json.loads((harbourline / "audit.json").read_text(encoding="utf-8"))
    result = read_audit_json(harbourline / "audit.json")

    facts, mix = _blocks(_rows(book["summary"]))
    assert facts[0] == ("item", "value")
    summary = dict(r for r in facts[1:] if len(r) == 2)
    assert summary["site"] == (data["brand"] or data["site"])
    assert summary["audited"] == datetime.fromisoformat(data["finished_at"]).replace(
        hour=0, minute=0, second=0, microsecond=0, tzinfo=None
    )
    assert summary["model version"] == data["model_version"]
    assert summary["target mix"] == data["settings"]["target_preset"] == "balanced"
    assert summary["health score"] == health_score(result)
    assert summary["pages audited"] == len(data["pages"])
    assert "/" not in str(summary["target"]).split(" ")[0]  # no local folder path
    assert mix[0] == MIX_HEADER
    assert [r[:4] for r in mix[1:]] == [
        (m["stage"], m["pages"], pytest.approx(m["share"]), pytest.approx(m["target"]))
        for m in data["mix"]
    ]
    heavy = {g["stage"] for g in data["gaps"] if g["kind"] == "overweight-stage"}
    assert [r[4] for r in mix[1:]] == [
        "thin" if m["thin"] else "overweight" if m["stage"] in heavy else "ok" for m in data["mix"]
    ]
    share = next(c for c in book["summary"]["C"] if isinstance(c.value, float))
    assert share.number_format == "0%"

    calendar = _rows(book["calendar"])
    assert set(calendar[0]) == {f.name for f in dataclasses.fields(CalendarEntry)}
    assert len(calendar) - 1 == len(data["calendar"]) > 0
    column = {name: i for i, name in enumerate(calendar[0])}
    for row, entry in zip(calendar[1:], data["calendar"], strict=True):
        assert row[column["date"]] == datetime.fromisoformat(entry["date"])
        assert row[column["working_title"]] == entry["working_title"]
        assert row[column["tactic"]] == entry["tactic"] in ("foundational", "ongoing")
    assert book["calendar"]["A2"].number_format == "yyyy-mm-dd"

    gaps = _rows(book["gaps"])
    assert gaps[0] == ("kind", "stage", "topic", "severity", "message", "evidence")
    assert len(gaps) - 1 == len(data["gaps"]) > 0
    for row, gap in zip(gaps[1:], data["gaps"], strict=True):
        assert row[0] == gap["kind"] and row[4] == gap["message"]
        assert row[3] == {3: "high", 2: "medium", 1: "low"}[gap["severity"]]
        assert (row[5:] or (None,))[0] == (" ".join(gap["evidence_urls"]) or None)

    pages_csv = _csv(harbourline / "pages.csv")
    pages = list(book["pages"].iter_rows(values_only=True))
    assert list(pages[0]) == pages_csv[0]
    assert len(pages) == len(pages_csv) == len(data["pages"]) + 1
    for row, line in zip(pages[1:], pages_csv[1:], strict=True):
        assert [row[0], row[1] or "", row[3] or ""] == [line[0], line[1], line[3]]
        assert row[2] == pytest.approx(float(line[2]), abs=1e-3)  # confidence, as a number
        assert row[4] == int(line[4])  # word count, as a number

    assert _blocks(_rows(book["plan"]))[0][0] == OBJECTIVE_COLUMNS  # no objectives: headers only
    assert sorted(p.name for p in harbourline.iterdir() if p.name.startswith(".")) == []


def test_list_sheets_keep_their_header_in_view_with_filters_and_widths(harbourline: Path) -> None:
    book = openpyxl.load_workbook(harbourline / WORKBOOK)
    for name in ("calendar", "gaps", "pages"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        last = sheet.cell(1, sheet.max_column).column_letter
        assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}", name
        assert all(cell.font.bold for cell in sheet[1]), name
        for cell in sheet[1]:
            width = sheet.column_dimensions[cell.column_letter].width
            assert len(str(cell.value)) + 2 <= width <= workbook.MAX_WIDTH, (name, cell.value)
    assert book["pages"].column_dimensions["A"].width > book["pages"].column_dimensions["F"].width


def _plan_records() -> tuple[tuple[Objective, ...], tuple[Action, ...]]:
    due = date(2027, 3, 1)
    kr1 = KeyResult("O1.KR1", "Publish 6 awareness guides", 6, "pieces", due, "organic sessions", 6)
    kr2 = KeyResult("O1.KR2", "Link every guide onward", 6, "links", due, "onward clicks")
    objectives = (
        Objective("O1", Stage.AWARENESS, "thin-stage", "Awareness: 7% to 25%", 0.07, 0.25, due,
                  (kr1, kr2)),
        Objective("O2", None, "stale-content", "Refresh stale advice", 2, 0, due),
    )  # fmt: skip
    actions = (
        Action(1, "Write the boiler repair guide", Stage.AWARENESS, "foundational", "Ann",
               9, 8, 7, 504, "O1.KR1", "the topic has no entry point", "ann@harbourline.example"),
        Action(2, '=HYPERLINK("http://evil.example/","x")', None, "ongoing", "writer",
               5, 5, 5, 125, "O2"),
    )  # fmt: skip
    return objectives, actions


def test_the_plan_sheet_from_objectives_and_actions_via_report(
    harbourline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    objectives, actions = _plan_records()
    result = read_audit_json(harbourline / "audit.json")
    stored = tmp_path / "audit.json"
    write_audit_json(
        dataclasses.replace(
            result, objectives=objectives, actions=actions, summary=("Fix awareness first.",)
        ),
        stored,
    )
    capsys.readouterr()
    out = tmp_path / "again"
    assert main(["report", str(stored), "--out", str(out), "--xlsx"]) == 0
    assert f"Workbook: {out / WORKBOOK}" in capsys.readouterr().out
    book = openpyxl.load_workbook(out / WORKBOOK)

    goals, todo = _blocks(_rows(book["plan"]))
    assert goals[0] == OBJECTIVE_COLUMNS
    assert len(goals) - 1 == 3  # one row per key result; O2 has none and is one row
    first = dict(zip(OBJECTIVE_COLUMNS, goals[1], strict=True))
    assert first["objective"] == "O1" and first["stage"] == "awareness"
    assert first["key_result"] == "O1.KR1" and first["target"] == 6 and first["entries"] == 6
    assert first["due"] == datetime(2027, 3, 1) and first["baseline"] == pytest.approx(0.07)
    assert [g[7] for g in goals[1:3]] == ["O1.KR1", "O1.KR2"]
    assert goals[3][:3] == ("O2", None, "stale-content") and len(goals[3]) == 7

    assert todo[0] == ACTION_COLUMNS
    assert len(todo) - 1 == len(actions)
    top = dict(zip(ACTION_COLUMNS, todo[1], strict=True))
    assert (top["rank"], top["score"], top["owner_email"]) == (1, 504, "ann@harbourline.example")
    assert (top["impact"], top["confidence"], top["ease"]) == (9, 8, 7)
    assert todo[2][1] == '\'=HYPERLINK("http://evil.example/","x")'  # text, never a formula
    assert book["plan"].auto_filter.ref == f"A6:L{6 + len(actions)}"  # the actions block
    assert book["plan"]["G3"].number_format == "yyyy-mm-dd"
    assert ("summary", "Fix awareness first.") in _rows(book["summary"])
    assert not [c for s in book.worksheets for row in s.iter_rows() for c in row
                if c.data_type == "f"]  # fmt: skip


def _site_with_formulas(folder: Path) -> Path:
    folder.mkdir()
    (folder / "index.html").write_text(
        '<html><head><title>=HYPERLINK("http://evil.example/","click")</title></head><body>'
        "<h1>Plans and pricing</h1><p>Starter costs $19 a month, billed yearly.</p>"
        '<a href="contact.html">Contact</a></body></html>',
        encoding="utf-8",
    )
    (folder / "contact.html").write_text(
        "<html><head><title>+1 555 0100 | call us</title></head><body><h1>Contact sales</h1>"
        '<form action="/send" method="post"><input type="email" name="email">'
        '<input type="tel" name="phone"><button>Book a demo</button></form></body></html>',
        encoding="utf-8",
    )
    return folder


def test_text_from_the_site_is_never_a_formula(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _audit(_site_with_formulas(tmp_path / "site"), out, "--xlsx")
    book = openpyxl.load_workbook(out / WORKBOOK)
    titles = {row[0].value: row[3] for row in book["pages"].iter_rows(min_row=2)}
    csv_titles = {line[0]: line[3] for line in _csv(out / "pages.csv")[1:]}
    assert len(titles) == 2
    for url, cell in titles.items():
        assert cell.data_type == "s", cell.value  # a string, never an "f" (formula) cell
        assert cell.value == csv_titles[url]
        assert str(cell.value).startswith("'")
    assert '\'=HYPERLINK("http://evil.example/","click")' in {c.value for c in titles.values()}
    for sheet in book.worksheets:
        assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"], sheet


def test_cell_text_drops_what_a_workbook_cannot_hold() -> None:
    assert cell_text("\x01=1+1") == "'=1+1"  # the control character cannot hide the formula
    assert cell_text("a\x00b\tc\nd") == "ab\tc\nd"
    assert cell_text(None) == ""
    assert len(cell_text("x" * 40_000)) == workbook.MAX_CELL - 1


def test_a_rerun_never_leaves_a_workbook_of_another_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _audit(HARBOURLINE, out, "--xlsx")
    assert (out / WORKBOOK).is_file()
    (out / "audit.xlsx").write_bytes(b"a workbook from an earlier version")
    for name in ("my-notes.xlsx", "report.xlsx.bak", "audit.xlsx.old"):
        (out / name).write_bytes(b"the consultant's own file")
    (out / "report.html").unlink()
    _audit(HARBOURLINE, out)
    assert not (out / WORKBOOK).exists() and not (out / "audit.xlsx").exists()
    assert (out / "report.html").is_file()  # the fresh outputs are there, without a workbook
    assert sorted(p.name for p in out.glob("*xlsx*")) == [
        "audit.xlsx.old",
        "my-notes.xlsx",
        "report.xlsx.bak",
    ]
    (out / "audit.xlsx").mkdir()  # a folder of that name is nobody's workbook: left alone
    (out / "audit.xlsx" / "keep.txt").write_text("mine")
    _audit(HARBOURLINE, out, "--xlsx")
    assert (out / WORKBOOK).is_file() and (out / "audit.xlsx" / "keep.txt").is_file()


def test_report_without_the_flag_drops_the_earlier_workbook(
    harbourline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "again"
    assert main(["report", str(harbourline / "audit.json"), "--out", str(out), "--xlsx"]) == 0
    again = openpyxl.load_workbook(out / WORKBOOK)
    first = openpyxl.load_workbook(harbourline / WORKBOOK)
    for name in SHEETS:
        assert _rows(again[name]) == _rows(first[name]), name
    capsys.readouterr()
    assert main(["report", str(harbourline / "audit.json"), "--out", str(out)]) == 0
    assert "Workbook:" not in capsys.readouterr().out
    assert not (out / WORKBOOK).exists() and (out / "report.html").is_file()


@needs_root
def test_a_failed_run_keeps_the_whole_earlier_set_with_its_workbook(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk", "2m") as out:
        _audit(HARBOURLINE, out, "--xlsx")
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        room = os.statvfs(out)
        (out / "ballast").write_bytes(b"x" * (room.f_bavail * room.f_frsize - 20_000))
        code = main(["audit", str(HARBOURLINE), "--out", str(out), "--no-history", "-q"])
        assert code == 4  # the disk is full: nothing of this run is in place
        (out / "ballast").unlink()
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        assert WORKBOOK in before


@needs_root
def test_a_failed_write_leaves_the_old_workbook_and_no_temporary_file(
    harbourline: Path, tmp_path: Path
) -> None:
    result = read_audit_json(harbourline / "audit.json")
    with small_tmpfs(tmp_path / "disk", "8k") as disk:
        path = disk / WORKBOOK
        path.write_bytes(b"the earlier workbook")
        with pytest.raises(OSError):
            write_workbook(result, path)
        assert path.read_bytes() == b"the earlier workbook"
        assert [p.name for p in disk.iterdir()] == [WORKBOOK]


def test_without_the_flag_there_is_no_workbook_and_openpyxl_never_loads(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = (
        "import sys\n"
        "from funnel_audit.cli.main import main\n"
        f"rc = main(['audit', {str(HARBOURLINE)!r}, '--out', {str(out)!r}, '--no-history', "
        "'--quiet'])\n"
        "print(rc, 'pandas' in sys.modules, 'openpyxl' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "FUNNEL_AUDIT_XLSX"}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )
    assert run.stdout.split()[-3:] == ["0", "False", "False"], run.stderr[-2000:]
    assert (out / "pages.csv").is_file()
    assert not (out / WORKBOOK).exists()


def test_the_variable_asks_for_it_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNNEL_AUDIT_XLSX", "1")
    _audit(_site_with_formulas(tmp_path / "site"), tmp_path / "out")
    assert (tmp_path / "out" / WORKBOOK).is_file()
