"""Bad input: one clear line on stderr, a non-zero exit, never a traceback (the real CLI)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from tests.conftest import SAMPLES
from tests.servers import SiteServer


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "funnel_audit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("funnel-audit:")]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_unreachable_host(tmp_path: Path) -> None:
    proc = run_cli(
        "audit",
        f"http://127.0.0.1:{closed_port()}/",
        "--out",
        str(tmp_path / "o"),
        "--no-history",
        "--quiet",
        "--timeout",
        "3",
    )
    assert_one_line_error(proc, "cannot reach")
    assert proc.returncode == 3


def test_non_html_url(tmp_path: Path, site: SiteServer) -> None:
    site.add("/file.pdf", b"%PDF-1.4 binary", content_type="application/pdf")
    proc = run_cli(
        "audit", site.url("/file.pdf"), "--out", str(tmp_path / "o"), "--no-history", "--quiet"
    )
    assert_one_line_error(proc, "not an HTML page")


@pytest.mark.parametrize(
    "url", ["http://", "https://exa mple.com/", "ftp://example.com/", "http://[::1/"]
)
def test_invalid_url(tmp_path: Path, url: str) -> None:
    proc = run_cli("audit", url, "--out", str(tmp_path / "o"), "--no-history", "--quiet")
    assert_one_line_error(proc)
    assert proc.returncode == 2


def test_missing_folder(tmp_path: Path) -> None:
    proc = run_cli("audit", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--no-history")
    assert_one_line_error(proc, "folder not found")
    assert proc.returncode == 2


def test_unwritable_out(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    proc = run_cli(
        "audit",
        str(SAMPLES / "ledgerloop"),
        "--out",
        str(blocker / "sub"),
        "--no-history",
        "--quiet",
    )
    assert_one_line_error(proc, "cannot write to output folder")
    assert proc.returncode == 4


def test_bad_target_mix_and_labels(tmp_path: Path) -> None:
    proc = run_cli(
        "audit",
        str(SAMPLES / "ledgerloop"),
        "--target",
        "awareness=lots",
        "--out",
        str(tmp_path / "o"),
        "--no-history",
    )
    assert_one_line_error(proc, "--target")
    bad = tmp_path / "labels.csv"
    bad.write_text("url,stage\nhttp://x.example/,sideways\n")
    proc = run_cli(
        "audit",
        str(SAMPLES / "ledgerloop"),
        "--labels",
        str(bad),
        "--out",
        str(tmp_path / "o"),
        "--no-history",
        "--quiet",
    )
    assert_one_line_error(proc, "unknown stage label")


def test_traceback_flag_shows_the_stack(tmp_path: Path) -> None:
    proc = run_cli("--traceback", "audit", str(tmp_path / "nope"), "--no-history")
    assert proc.returncode == 2
    assert "Traceback" in proc.stderr


def test_broken_pages_are_rows_and_the_audit_goes_on(tmp_path: Path, site: SiteServer) -> None:
    site.add(
        "/",
        "<html><head><title>Home</title></head><body><main><h1>Welcome</h1>"
        "<p>We fit boilers and fix leaks.</p><a href='/missing'>gone</a>"
        "<a href='/broken'>broken</a><a href='/ok'>ok</a></main></body></html>",
    )
    site.add("/broken", b"oops", status=500)
    site.add(
        "/ok",
        "<html><head><title>Pricing</title></head><body><main><h1>Prices</h1>"
        "<p>Boiler service from $90.</p></main></body></html>",
    )
    out = tmp_path / "o"
    proc = run_cli(
        "audit", site.url("/"), "--out", str(out), "--no-history", "--quiet", "--timeout", "5"
    )
    assert proc.returncode == 0, proc.stderr
    text = (out / "pages.csv").read_text(encoding="utf-8-sig")
    assert "HTTP 404" in text and "HTTP 500" in text


def test_a_history_database_damaged_after_it_was_written(tmp_path: Path, model) -> None:  # noqa: ANN001
    """Pages of the file overwritten (a disk fault, a copy taken without its -wal file): one
    line and the store's exit code, not an internal error."""
    import os

    db = tmp_path / "h.sqlite3"
    ok = run_cli(
        "audit",
        str(SAMPLES / "ledgerloop"),
        "--out",
        str(tmp_path / "o"),
        "--db",
        str(db),
        "--quiet",
    )
    assert ok.returncode == 0, ok.stderr
    size = db.stat().st_size
    assert size > 8 * 4096
    start = size // 2 // 4096 * 4096
    with open(db, "r+b") as handle:  # the schema opens; the rows written last are scrambled
        handle.seek(start)
        handle.write(os.urandom(size - start))
    for args in (
        ["history"],
        ["audit", str(SAMPLES / "ledgerloop"), "--out", str(tmp_path / "o2"), "--quiet"],
    ):
        proc = run_cli(*args, "--db", str(db))
        assert proc.returncode == 7, proc.stderr
        assert_one_line_error(proc, "history database")
        assert all(c.isprintable() for c in proc.stderr.strip())


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "sample_sites/ledgerloop", "--timeout", "nan"],
        ["audit", "sample_sites/ledgerloop", "--delay", "inf"],
        ["audit"],
        ["audit", "sample_sites/ledgerloop", "--no-such-flag"],
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad flags are one line naming the flag and where help is, like every other error."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("funnel-audit: error: ") and "--help" in err
