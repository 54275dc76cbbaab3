"""`funnel-audit export` writes an audit's files from the history alone (a PostgreSQL database on
a real server on 127.0.0.1, as another machine would), and a database password never shows: not
in any printed line, output file, report, unit file or the history itself."""

from __future__ import annotations

import gzip
import json
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar

from funnel_audit.cli.main import main
from funnel_audit.store.open import open_store
from tests.conftest import SAMPLES
from tests.pg_server import PASSWORD, run_sql

SITE = SAMPLES / "ledgerloop"
SAME = ("pages.csv", "labels-todo.csv", "calendar.csv", "tasks.csv", "calendar.ics", "audit.json")


def _audit(url: str, out: Path) -> None:
    assert main(["audit", str(SITE), "--out", str(out), "--db", url, "-q"]) == 0


def test_export_writes_the_audits_files_anywhere(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str], model: Any
) -> None:
    _audit(pg_url, tmp_path / "first")
    _audit(pg_url, tmp_path / "second")
    capsys.readouterr()
    fresh = tmp_path / "elsewhere" / "latest"
    assert main(["export", "ledgerloop", "--db", pg_url, "--out", str(fresh), "--xlsx"]) == 0
    out = capsys.readouterr().out
    assert "Exported audit 2 of" in out and f"Report: {fresh / 'report.html'}" in out
    for name in (*SAME, "report.html"):
        assert (fresh / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name
    assert (fresh / "report.xlsx").stat().st_size > 0
    for name in ("pages.csv", "calendar.csv", "tasks.csv", "labels-todo.csv"):
        assert (fresh / name).read_bytes().startswith(b"\xef\xbb\xbf"), name  # Excel's BOM
    events = Calendar.from_ical((fresh / "calendar.ics").read_bytes()).walk("VEVENT")
    plan = json.loads((fresh / "audit.json").read_text(encoding="utf-8"))
    assert len(events) == len(plan["calendar"]) > 0
    soup = BeautifulSoup((fresh / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.find(id="changes") is not None  # since the first audit, as the audit wrote it
    # an older audit by id: its report knows nothing of the audit after it
    older = tmp_path / "older"
    assert main(["export", "ledgerloop", "1", "--db", pg_url, "--out", str(older)]) == 0
    for name in (*SAME, "report.html"):
        assert (older / name).read_bytes() == (tmp_path / "first" / name).read_bytes(), name


def test_export_errors_are_one_line_and_exit_2(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str], model: Any
) -> None:
    _audit(pg_url, tmp_path / "o")
    with open_store(pg_url) as store:  # a complete audit kept without its result (older ones)
        audit = store.audits("ledgerloop")[-1]
        bare = store.start_audit(audit.site, audit.target, audit_started(audit), {}, "v")
        store.finish_audit(bare, audit_started(audit), "complete")
    capsys.readouterr()
    cases = [
        (["export", "nosuch.example"], "no audits of 'nosuch.example'"),
        (["export", "ledgerloop", "99"], "audit 99 is not an audit of 'ledgerloop'"),
        (["export", "ledgerloop"], f"audit {bare} of ledgerloop~"),
    ]
    for args, words in cases:
        assert main([*args, "--db", pg_url, "--out", str(tmp_path / "x")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and words in err, err
    assert "has no stored result" in err
    assert not (tmp_path / "x").exists()
    # the audit that has one still exports by its id
    again = ["export", "ledgerloop", str(audit.id), "--out", str(tmp_path / "y")]
    assert main([*again, "--db", pg_url]) == 0


def audit_started(audit: Any) -> datetime:  # noqa: ANN401 - an AuditRecord
    return datetime.fromisoformat(audit.started_at)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_database_password_never_shows(
    tmp_path: Path,
    pg_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    model: Any,
) -> None:
    config = tmp_path / "cfg" / "funnel-audit.toml"
    config.parent.mkdir()
    config.write_text(
        f'db = "{pg_url}"\noutput_dir = "{tmp_path / "reports"}"\nworkers = 1\n'
        f'[[sites]]\nname = "ledgerloop"\nurl = "{SITE}"\nclient_name = "Ledgerloop"\n',
        encoding="utf-8",
    )
    cfg = ["--config", str(config)]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FUNNEL_AUDIT_DB")  # the file's db, then the variable
    assert main(["run-due", *cfg]) == 0
    monkeypatch.setenv("FUNNEL_AUDIT_DB", pg_url)
    assert main(["audit", str(SITE), "--out", str(tmp_path / "o"), "-q"]) == 0
    for args in (
        ["history"],
        ["diff", "ledgerloop"],
        ["export", "ledgerloop", "--out", str(tmp_path / "e"), "--xlsx"],
        ["schedule", "show", *cfg],
    ):
        assert main(["--traceback", *args, "--db", pg_url]) == 0, args
    shown = capsys.readouterr()
    assert "postgresql://funnel:***@127.0.0.1:" in shown.out  # `schedule show` names it so
    # a timer or crontab line would carry it in a readable file: refused, and said so plainly
    for how in ([], ["--cron"]):
        code = main(["schedule", "install", *how, *cfg, "--dir", str(tmp_path / "units")])
        assert code == 6
        assert "~/.pgpass" in capsys.readouterr().err
    # a bad URL, and a server that refuses: one line each, no password
    assert main(["history", "--db", pg_url.replace("postgresql", "mysql")]) == 6
    port = pg_url.split("127.0.0.1:", 1)[1].split("/", 1)[0]
    assert main(["history", "--db", pg_url.replace(f":{port}/", f":{_closed_port()}/")]) == 7
    everything = shown.out + shown.err + "".join(capsys.readouterr())
    assert PASSWORD not in everything
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != config]
    assert any(p.name == "report.html" for p in written) and len(written) > 20
    for path in written:
        assert PASSWORD.encode() not in path.read_bytes(), path
    stored = [
        str(run_sql(pg_url, f"SELECT * FROM {table}"))
        for table in ("audits", "pages", "sites", "schema_migrations")
    ]
    results = run_sql(pg_url, "SELECT data FROM audit_results")
    stored += [gzip.decompress(row[0]).decode() for row in results]
    assert len(stored) >= 6 and not any(PASSWORD in text for text in stored)
