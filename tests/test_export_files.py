"""The export files as an audit writes them through the CLI: CSVs that Excel opens correctly
(UTF-8 with a byte-order mark), and their readers in the package still reading them."""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from tests.conftest import SAMPLES

CSV_OUTPUTS = ("pages.csv", "labels-todo.csv", "calendar.csv")


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
