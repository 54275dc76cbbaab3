"""audit.xlsx through the real command line: written only when asked (`--xlsx`, the variable, the
file), its sheets match the CSV files, text from a website never becomes a live formula, and the
default audit never loads pandas."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from funnel_audit.audit import rerender_audit
from funnel_audit.cli.main import main
from funnel_audit.models import Stage
from funnel_audit.report import workbook
from funnel_audit.report.stored_audit import read_audit_json
from funnel_audit.report.workbook import SHEETS, cell_text, write_workbook
from tests.conftest import ROOT, SAMPLES

LEDGERLOOP = SAMPLES / "ledgerloop"
FUNNEL = [s.value for s in Stage.funnel()]


def _audit(target: Path, out: Path, *args: str) -> None:
    assert main(["audit", str(target), "--out", str(out), "--no-history", "--quiet", *args]) == 0


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _rows(sheet: object) -> list[tuple[object, ...]]:
    assert isinstance(sheet, openpyxl.worksheet.worksheet.Worksheet)
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture(scope="module")
def ledgerloop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ledgerloop")
    _audit(LEDGERLOOP, out, "--xlsx")
    return out


def test_the_workbook_has_every_sheet_and_matches_the_csv_files(ledgerloop: Path) -> None:
    book = openpyxl.load_workbook(ledgerloop / "audit.xlsx")
    assert tuple(book.sheetnames) == SHEETS
    data = json.loads((ledgerloop / "audit.json").read_text(encoding="utf-8"))

    pages_csv = _csv(ledgerloop / "pages.csv")
    pages = _rows(book["pages"])
    assert list(pages[0]) == pages_csv[0]
    assert len(pages) == len(pages_csv)
    assert [r[0] for r in pages[1:]] == [r[0] for r in pages_csv[1:]]  # same pages, same order
    for row, line in zip(pages[1:], pages_csv[1:], strict=True):
        assert (row[1] or "") == line[1]  # stage
        assert row[2] == pytest.approx(float(line[2]), abs=1e-3)  # confidence, as a number
        assert (row[3] or "") == line[3]  # title, neutralised the same way

    mix = _rows(book["stage mix"])
    assert mix[0] == ("stage", "pages", "share", "target", "thin")
    assert [r[0] for r in mix[1:]] == [m["stage"] for m in data["mix"]] == FUNNEL
    assert [r[1] for r in mix[1:]] == [m["pages"] for m in data["mix"]]
    assert [r[4] == "yes" for r in mix[1:]] == [m["thin"] for m in data["mix"]]
    assert book["stage mix"]["C2"].number_format == "0%"

    topics = _rows(book["topics"])
    assert topics[0] == ("topic", *FUNNEL, "total")
    assert {r[0] for r in topics[1:]} == set(data["topics"])
    counted = Counter(
        (line[10], line[1]) for line in pages_csv[1:] if line[10] and line[1] in FUNNEL
    )
    for topic, *counts, total in topics[1:]:
        assert counts == [counted[(topic, stage)] for stage in FUNNEL], topic
        assert total == sum(counts)
    assert sum(r[-1] for r in topics[1:]) == sum(counted.values())

    gaps = _rows(book["gaps"])
    assert gaps[0] == ("severity", "stage", "topic", "kind", "message", "evidence")
    assert [r[3] for r in gaps[1:]] == [g["kind"] for g in data["gaps"]]

    calendar = _rows(book["calendar"])
    calendar_csv = _csv(ledgerloop / "calendar.csv")
    assert calendar[0] == ("Date", *calendar_csv[0][4:])
    assert len(calendar) == len(calendar_csv) > 1
    assert [r[3] for r in calendar[1:]] == [line[6] for line in calendar_csv[1:]]  # titles
    assert calendar[1][0].strftime("%m/%d/%Y") == calendar_csv[1][1]

    assert sorted(p.name for p in ledgerloop.iterdir() if p.name.startswith(".")) == []


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
    sheet = openpyxl.load_workbook(out / "audit.xlsx")["pages"]
    titles = {row[0].value: row[3] for row in sheet.iter_rows(min_row=2)}
    csv_titles = {line[0]: line[3] for line in _csv(out / "pages.csv")[1:]}
    assert len(titles) == 2
    for url, cell in titles.items():
        assert cell.data_type == "s", cell.value  # a string, never an "f" (formula) cell
        assert cell.value == csv_titles[url]
        assert str(cell.value).startswith("'")
    assert '\'=HYPERLINK("http://evil.example/","click")' in {c.value for c in titles.values()}
    for sheet in openpyxl.load_workbook(out / "audit.xlsx").worksheets:
        assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"], sheet


def test_cell_text_drops_what_a_workbook_cannot_hold() -> None:
    assert cell_text("\x01=1+1") == "'=1+1"  # the control character cannot hide the formula
    assert cell_text("a\x00b\tc\nd") == "ab\tc\nd"
    assert cell_text(None) == ""
    assert len(cell_text("x" * 40_000)) == workbook.MAX_CELL - 1


def test_without_the_flag_there_is_no_workbook_and_pandas_never_loads(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = (
        "import sys\n"
        "from funnel_audit.cli.main import main\n"
        f"rc = main(['audit', {str(LEDGERLOOP)!r}, '--out', {str(out)!r}, '--no-history', "
        "'--quiet'])\n"
        "print(rc, 'pandas' in sys.modules, 'openpyxl' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "FUNNEL_AUDIT_XLSX"}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )
    assert run.stdout.split()[-3:] == ["0", "False", "False"], run.stderr[-2000:]
    assert (out / "pages.csv").is_file()
    assert not (out / "audit.xlsx").exists()


def test_the_variable_asks_for_it_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNNEL_AUDIT_XLSX", "1")
    _audit(_site_with_formulas(tmp_path / "site"), tmp_path / "out")
    assert (tmp_path / "out" / "audit.xlsx").is_file()


def test_report_writes_the_workbook_from_a_stored_audit(ledgerloop: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    assert main(["report", str(ledgerloop / "audit.json"), "--out", str(out), "--xlsx"]) == 0
    again = openpyxl.load_workbook(out / "audit.xlsx")
    first = openpyxl.load_workbook(ledgerloop / "audit.xlsx")
    for name in SHEETS:
        assert _rows(again[name]) == _rows(first[name]), name
    assert "audit.xlsx" not in rerender_audit(ledgerloop / "audit.json", tmp_path / "no").files


def test_a_failed_write_leaves_the_old_workbook_and_no_temporary_file(
    ledgerloop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    result = read_audit_json(ledgerloop / "audit.json")
    path = tmp_path / "audit.xlsx"
    path.write_bytes(b"the earlier workbook")

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_excel", broken)
    with pytest.raises(OSError, match="disk full"):
        write_workbook(result, path)
    assert path.read_bytes() == b"the earlier workbook"
    assert [p.name for p in tmp_path.iterdir()] == ["audit.xlsx"]
