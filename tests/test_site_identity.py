"""Two sites never share a history key: two folders with the same name (`public`, `dist`, or two
copies of `ledgerloop`) are two sites; `history`, `diff` and "since the last audit" agree on it
(issue 12, case 3). Real folders, the CLI, and a real history: a SQLite file and a PostgreSQL
database (the `db` fixture)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from tests.conftest import SAMPLES


def test_two_folders_with_one_name_are_two_sites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], db: str
) -> None:
    one = tmp_path / "a" / "ledgerloop"
    two = tmp_path / "b" / "ledgerloop"
    shutil.copytree(SAMPLES / "ledgerloop", one)
    shutil.copytree(SAMPLES / "harbourline-plumbing", two)
    assert main(["audit", str(one), "--out", str(tmp_path / "o1"), "--db", str(db), "-q"]) == 0
    assert main(["audit", str(two), "--out", str(tmp_path / "o2"), "--db", str(db), "-q"]) == 0
    capsys.readouterr()
    assert main(["history", "--db", str(db), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    keys = {row["site"] for row in rows}
    assert len(keys) == 2 and all(key.startswith("ledgerloop~") for key in keys)
    # the second folder's first audit has nothing "since the last audit" of the other one
    second = json.loads((tmp_path / "o2" / "audit.json").read_text(encoding="utf-8"))
    assert not second.get("since_last")
    assert "since the last audit" not in (tmp_path / "o2" / "report.html").read_text().lower()
    # a name that fits both is refused by diff instead of comparing one site with the other
    assert main(["diff", "ledgerloop", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "names 2 sites" in err and err.strip().count("\n") == 0
    # and each site's own key still finds its own audit
    key = sorted(keys)[0]
    assert main(["history", key, "--db", str(db), "--json"]) == 0
    assert [row["site"] for row in json.loads(capsys.readouterr().out)] == [key]


def test_a_re_audit_of_one_folder_is_the_same_site(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], db: str
) -> None:
    site = tmp_path / "public"
    shutil.copytree(SAMPLES / "ledgerloop", site)
    for n in (1, 2):
        assert main(["audit", str(site), "--out", str(tmp_path / f"o{n}"), "--db", str(db),
                     "-q"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["diff", "public", "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["added"] == [] and data["removed"] == []
