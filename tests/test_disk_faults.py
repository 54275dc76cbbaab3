"""A full disk or a read-only filesystem under the history database says what happened, never
"restore it from a backup" (issue 12, case 19). On a real, small tmpfs: the test mounts one, so it
needs root and `mount` (CI runs as root) and is skipped otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from tests.conftest import SAMPLES
from tests.live_runs import small_tmpfs

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None, reason="needs root to mount a tmpfs"
)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 96 KB tmpfs: room for a history database's first pages, not for a whole audit."""
    with small_tmpfs(tmp_path / "disk", "96k") as where:
        yield where


def test_a_full_disk_says_so(
    tmp_path: Path, small_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = main(["audit", str(SAMPLES / "ledgerloop"), "--out", str(out), "-q",
                 "--db", str(small_disk / "h.sqlite3")])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 7, err
    assert err.count("\n") == 0 and "no space left" in err and "backup" not in err


def test_a_read_only_filesystem_says_so(
    tmp_path: Path, small_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    code = main(["audit", str(SAMPLES / "ledgerloop"), "--out", str(tmp_path / "out"), "-q",
                 "--db", str(small_disk / "h.sqlite3")])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 7, err
    assert err.count("\n") == 0 and "backup" not in err
    assert "read-only" in err.lower() or "readonly" in err.lower(), err
