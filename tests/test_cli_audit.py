"""The audit verb end to end through the CLI: folder and HTTP targets, outputs, thin stages."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from funnel_audit.crawl.urls import page_key
from tests.conftest import SAMPLES

OUTPUTS = ("report.html", "pages.csv", "calendar.csv", "calendar.ics", "audit.json")
THIN = {"ledgerloop": "decision", "harbourline-plumbing": "awareness"}


def _rows(out: Path) -> list[dict[str, str]]:
    with (out / "pages.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _site_path(url: str) -> str:
    """`http://host:port/blog/index.html` -> `/blog`: one spelling per page for any host."""
    key = page_key(url)
    return "/" + key.split("/", 3)[3] if key.count("/") >= 3 else "/"


def _path_stages(out: Path) -> dict[str, str]:
    """Stage per site path, so a folder audit and an HTTP audit can be compared."""
    return {_site_path(row["url"]): row["stage"] for row in _rows(out)}


@pytest.fixture(scope="module")
def folder_audits(tmp_path_factory: pytest.TempPathFactory, model) -> dict[str, Path]:  # noqa: ANN001
    outs = {}
    for site in THIN:
        out = tmp_path_factory.mktemp(f"out-{site}")
        db = out / "history.sqlite3"
        code = main(
            [
                "audit",
                str(SAMPLES / site),
                "--out",
                str(out),
                "--db",
                str(db),
                "--quiet",
                "--start",
                "2026-12-07",
            ]
        )
        assert code == 0
        outs[site] = out
    return outs


@pytest.mark.parametrize("site", sorted(THIN))
def test_folder_audit_writes_every_output(folder_audits: dict[str, Path], site: str) -> None:
    out = folder_audits[site]
    for name in OUTPUTS:
        assert (out / name).stat().st_size > 0, name
    rows = _rows(out)
    assert {"url", "stage", "confidence", "title", "word_count", "status"} <= set(rows[0])
    assert {r["stage"] for r in rows} <= {
        "awareness",
        "consideration",
        "decision",
        "conversion",
        "excluded",
        "",
    }
    assert len(rows) >= 30


@pytest.mark.parametrize("site", sorted(THIN))
def test_folder_audit_finds_the_deliberately_thin_stage(
    folder_audits: dict[str, Path], site: str
) -> None:
    data = json.loads((folder_audits[site] / "audit.json").read_text(encoding="utf-8"))
    thin = {m["stage"] for m in data["mix"] if m["thin"]}
    assert THIN[site] in thin
    gap_stages = [g["stage"] for g in data["gaps"] if g["kind"] == "thin-stage"]
    assert THIN[site] in gap_stages
    calendar = data["calendar"]
    assert calendar, "a thin stage must produce calendar entries"
    assert calendar[0]["date"] == "2026-12-07"
    first_stages = {e["stage"] for e in calendar[:4]}
    assert THIN[site] in first_stages


@pytest.mark.parametrize("site", sorted(THIN))
def test_classifier_agrees_with_sample_labels(folder_audits: dict[str, Path], site: str) -> None:
    with (SAMPLES / site / "labels.csv").open(encoding="utf-8") as handle:
        truth = {row["path"]: row["stage"] for row in csv.DictReader(handle)}
    got = _path_stages(folder_audits[site])
    truth = {_site_path("http://sample.local" + p): s for p, s in truth.items()}
    readable = {p: s for p, s in truth.items() if got.get(p)}
    assert len(readable) >= len(truth) - 1, "every page but the robots-blocked one is read"
    misses = {p: (s, got[p]) for p, s in readable.items() if got[p] != s}
    assert len(misses) <= 0.2 * len(readable), f"pages labelled against the sample key: {misses}"


def test_summary_table_and_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model
) -> None:  # noqa: ANN001
    db = tmp_path / "h.sqlite3"
    code = main(
        [
            "audit",
            str(SAMPLES / "ledgerloop"),
            "--out",
            str(tmp_path / "o"),
            "--db",
            str(db),
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "awareness" in out and "THIN" in out and "report.html" in out
    with sqlite3.connect(db) as conn:
        status, site = conn.execute("SELECT status, site FROM audits").fetchone()
        n_pages = conn.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
    # a folder's key is its name and a digest of its path: two folders named alike never collide
    assert status == "complete" and site.startswith("ledgerloop~") and len(site) == 19
    assert n_pages >= 30


def test_http_audit_gives_the_same_stages_as_the_folder(
    serve_folder,
    tmp_path: Path,  # noqa: ANN001
    folder_audits: dict[str, Path],
) -> None:
    base = serve_folder(SAMPLES / "ledgerloop")
    out = tmp_path / "http"
    code = main(["audit", base, "--out", str(out), "--db", str(tmp_path / "h.sqlite3"), "--quiet"])
    assert code == 0
    over_http = {p: s for p, s in _path_stages(out).items() if s}
    from_folder = {p: s for p, s in _path_stages(folder_audits["ledgerloop"]).items() if s}
    assert len(over_http) >= 30
    assert over_http == from_folder


def test_console_script_runs_as_module(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "funnel_audit", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    for verb in ("audit",):
        assert verb in proc.stdout
