"""Credentials in the target URL (`http://user:pass@host/`) never reach an output file, the
history database or a printed line (the real CLI against a real server on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from tests.servers import SiteServer, html

PASSWORD = "s3cr3t-Pa55w0rd"


def test_password_in_target_is_never_stored_or_shown(
    tmp_path: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site.add("/", html('<main><h1>Welcome</h1><p>Plans and prices.</p><a href="/b">b</a></main>'))
    site.add("/b", html("<main><h1>Buy</h1><p>Order today, pay monthly.</p></main>", "Buy"))
    target = site.url("/").replace("://", f"://auditor:{PASSWORD}@")
    out, db = tmp_path / "o", tmp_path / "h.sqlite3"
    args = ["audit", target, "--out", str(out), "--db", str(db), "--xlsx"]
    assert main(args) == 0
    assert main(["history", "--db", str(db)]) == 0
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out and PASSWORD not in captured.err
    assert "auditor@" not in captured.out + captured.err
    written = [path for path in [*out.rglob("*"), *tmp_path.glob("h.sqlite3*")] if path.is_file()]
    assert (out / "report.html").is_file() and (out / "audit.json").is_file() and db.is_file()
    for path in written:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data, path
        assert b"auditor" not in data, path
    # the masthead shows the site as the crawl saw it
    assert site.url("/") in (out / "report.html").read_text(encoding="utf-8")
