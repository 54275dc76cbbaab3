"""A damaged or hand-edited history database (bad JSON, an unknown stage) is one line and exit 7
naming the row, on `history`, `diff` and `--resume`; never a traceback or exit 70 (issue 12,
case 15). Real SQLite files, real audits of a bundled sample site."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from tests.conftest import SAMPLES

SITE = SAMPLES / "ledgerloop"


def _two_audits(tmp_path: Path) -> Path:
    db = tmp_path / "h.sqlite3"
    for n in (1, 2):
        out = tmp_path / f"o{n}"
        assert main(["audit", str(SITE), "--out", str(out), "--db", str(db), "-q"]) == 0
    return db


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("UPDATE audits SET summary = '{not json' WHERE id = 1", "audits row (1)"),
        ("UPDATE audits SET gaps = '[1, 2' WHERE id = 1", "audits row (1)"),
        ("UPDATE pages SET stage = 'nonsense' WHERE rowid = 3", "pages row"),
        ("UPDATE pages SET reasons = 'nope' WHERE rowid = 3", "pages row"),
    ],
)
def test_history_and_diff_name_a_damaged_row_and_exit_7(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str, named: str
) -> None:
    db = _two_audits(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute(sql)
    capsys.readouterr()
    codes = [
        main(["history", "--db", str(db), "--json"]),
        main(["diff", "ledgerloop", "--db", str(db)]),
    ]
    err = capsys.readouterr().err
    assert 7 in codes and set(codes) <= {0, 7}, codes
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and all(line.startswith("funnel-audit: error: ") for line in lines)
    assert any(named in line for line in lines), err
    assert "Traceback" not in err


def test_resume_from_a_damaged_row_is_exit_7(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _two_audits(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audits SET status = 'interrupted' WHERE id = 2")
        conn.execute("UPDATE pages SET flags = '{broken' WHERE audit_id = 2")
    capsys.readouterr()
    code = main(["audit", str(SITE), "--out", str(tmp_path / "o3"), "--db", str(db), "-q",
                 "--resume"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 7 and err.count("\n") == 0 and "damaged pages row" in err
