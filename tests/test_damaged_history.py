"""A damaged or hand-edited history database (bad JSON, an unknown stage) is one line and exit 7
naming the row, on `history`, `diff` and `--resume`; never a traceback or exit 70 (issue 12,
case 15). Real audits of a bundled sample site, in a SQLite file and in a PostgreSQL database
(the `db` fixture), damaged by hand with each one's own driver."""

from __future__ import annotations

from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from tests.conftest import SAMPLES
from tests.pg_server import run_sql

SITE = SAMPLES / "ledgerloop"
_THIRD = "SELECT url FROM pages WHERE audit_id = 1 ORDER BY url LIMIT 1 OFFSET 2"


def _two_audits(tmp_path: Path, db: str) -> str:
    for n in (1, 2):
        out = tmp_path / f"o{n}"
        assert main(["audit", str(SITE), "--out", str(out), "--db", db, "-q"]) == 0
    return db


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("UPDATE audits SET summary = '{not json' WHERE id = 1", "audits row (1)"),
        ("UPDATE audits SET gaps = '[1, 2' WHERE id = 1", "audits row (1)"),
        (f"UPDATE pages SET stage = 'nonsense' WHERE url = ({_THIRD})", "pages row"),
        (f"UPDATE pages SET reasons = 'nope' WHERE url = ({_THIRD})", "pages row"),
    ],
)
def test_history_and_diff_name_a_damaged_row_and_exit_7(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str, named: str, db: str
) -> None:
    _two_audits(tmp_path, db)
    run_sql(db, sql)
    capsys.readouterr()
    codes = [
        main(["history", "--db", db, "--json"]),
        main(["diff", "ledgerloop", "--db", db]),
    ]
    err = capsys.readouterr().err
    assert 7 in codes and set(codes) <= {0, 7}, codes
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and all(line.startswith("funnel-audit: error: ") for line in lines)
    assert any(named in line for line in lines), err
    assert "Traceback" not in err


def test_resume_from_a_damaged_row_is_exit_7(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], db: str
) -> None:
    _two_audits(tmp_path, db)
    run_sql(db, "UPDATE audits SET status = 'interrupted' WHERE id = 2")
    run_sql(db, "UPDATE pages SET flags = '{broken' WHERE audit_id = 2")
    capsys.readouterr()
    code = main(["audit", str(SITE), "--out", str(tmp_path / "o3"), "--db", db, "-q",
                 "--resume"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 7 and err.count("\n") == 0 and "damaged pages row" in err
