"""Outputs are written all or none, and an audit is `complete` only once they are (issue 12,
cases 1 and 2). A template that fails while the report is rendered stands in for any failure
while writing (a full disk, a bad template): the previous outputs stay whole, byte for byte, and
the audit is recorded as failed, so a scheduled run tries again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from funnel_audit.report.staging import staged_outputs
from tests.conftest import SAMPLES

SITE = SAMPLES / "ledgerloop"


def _failing_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "report.html").write_text("<h1>{{ 1 // 0 }}</h1>", encoding="utf-8")
    return folder


def test_a_failed_rewrite_leaves_the_previous_outputs_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["audit", str(SITE), "--out", str(out), "--no-history", "-q"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    code = main(["audit", str(SITE), "--out", str(out), "--no-history", "-q",
                 "--templates", str(_failing_templates(tmp_path))])  # fmt: skip
    assert code != 0
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before, "every output is the previous one, whole; no temporary files left"


def test_an_audit_whose_outputs_fail_is_not_complete(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    code = main(["audit", str(SITE), "--out", str(tmp_path / "out"), "--db", str(db), "-q",
                 "--templates", str(_failing_templates(tmp_path))])  # fmt: skip
    assert code != 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM audits").fetchall() == [("failed",)]


def test_staged_outputs_replace_all_files_or_none(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old a")
    (tmp_path / "b.txt").write_text("old b")
    with pytest.raises(RuntimeError), staged_outputs(tmp_path) as stage:
        (stage / "a.txt").write_text("new a")
        raise RuntimeError("the disk filled up while writing b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]
    assert (tmp_path / "a.txt").read_text() == "old a"
    with staged_outputs(tmp_path) as stage:
        (stage / "a.txt").write_text("new a")
        (stage / "b.txt").write_text("new b")
    assert [(tmp_path / n).read_text() for n in ("a.txt", "b.txt")] == ["new a", "new b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]
