"""Outputs are written all or none, and an audit is `complete` only once they are (issue 12,
cases 1 and 2). A real, small tmpfs holds the output folder: room for one set of outputs, not
for the next one beside it, so writing the second set fails with a full disk. The tests mount
it, so they need root and `mount` (CI runs as root) and are skipped otherwise."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from funnel_audit.report.staging import staged_outputs
from tests.conftest import SAMPLES
from tests.live_runs import small_tmpfs

SITE = SAMPLES / "ledgerloop"
needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None, reason="needs root to mount a tmpfs"
)


@pytest.fixture
def small_out(tmp_path: Path) -> Iterator[Path]:
    """A 480 KB tmpfs: one set of the sample's outputs (~320 KB) fits, two do not."""
    with small_tmpfs(tmp_path / "out", "480k") as where:
        yield where


@needs_root
def test_a_failed_rewrite_leaves_the_previous_outputs_whole(small_out: Path) -> None:
    assert main(["audit", str(SITE), "--out", str(small_out), "--no-history", "-q"]) == 0
    before = {p.name: p.read_bytes() for p in small_out.iterdir()}
    assert "report.html" in before
    assert main(["audit", str(SITE), "--out", str(small_out), "--no-history", "-q"]) == 4
    after = {p.name: p.read_bytes() for p in small_out.iterdir()}
    assert after == before, "every output is the previous one, whole; no temporary files left"


@needs_root
def test_an_audit_whose_outputs_fail_is_not_complete(tmp_path: Path, small_out: Path) -> None:
    (small_out / "ballast").write_bytes(b"x" * 200_000)  # leave too little room for the outputs
    db = tmp_path / "h.sqlite3"
    code = main(["audit", str(SITE), "--out", str(small_out), "--db", str(db), "-q"])
    assert code == 4
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


def test_a_killed_runs_temporary_folder_is_removed_by_the_next_audit(tmp_path: Path) -> None:
    """SIGKILL leaves `.funnel-audit-writing-*` behind; the next write into the folder removes
    one over an hour old, and leaves a fresh one (another run may be writing it) and links."""
    out = tmp_path / "out"
    out.mkdir()
    stale, fresh = out / ".funnel-audit-writing-dead", out / ".funnel-audit-writing-busy"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / "report.html").write_text("half")
    two_hours_ago = stale.stat().st_mtime - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / ".funnel-audit-writing-link").symlink_to(elsewhere)
    os.utime(out / ".funnel-audit-writing-link", (two_hours_ago,) * 2, follow_symlinks=False)
    assert main(["audit", str(SITE), "--out", str(out), "--no-history", "-q"]) == 0
    assert not stale.exists() and (fresh / "report.html").exists() and elsewhere.is_dir()
    assert (out / "report.html").is_file()
