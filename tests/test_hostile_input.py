"""A hostile tester's inputs: each ends as one clear line and its documented exit code, never a
traceback or the internal-error exit 70 (the real CLI, real files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from tests.conftest import SAMPLES

LEDGERLOOP = str(SAMPLES / "ledgerloop")


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    return err


@pytest.mark.parametrize(
    ("verb", "flag", "value"),
    [
        ("train", "--timeout", "inf"),
        ("train", "--timeout", "nan"),
        ("audit", "--timeout", "nan"),
        ("audit", "--timeout", "inf"),
        ("audit", "--delay", "inf"),
        ("audit", "--delay", "nan"),
    ],
)
def test_numeric_flags_must_be_finite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], verb: str, flag: str, value: str
) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("url,stage\nhttp://127.0.0.1:9/,awareness\n", encoding="utf-8")
    target = str(labels) if verb == "train" else LEDGERLOOP
    args = [verb, target, flag, value, "--out", str(tmp_path / "o")]
    args += ["--allow-private"] if verb == "train" else ["--no-history", "--quiet"]
    assert main(args) == 2
    err = _error(capsys)
    assert f"'{flag}'" in err and value in err, err


@pytest.mark.parametrize("start", ["9999-12-01", "0001-01-01", "2200-01-05"])
def test_a_far_off_start_date_is_refused_before_the_crawl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], start: str
) -> None:
    out = tmp_path / "o"
    args = ["audit", LEDGERLOOP, "--start", start, "--out", str(out), "--no-history", "--quiet"]
    assert main(args) == 6
    assert f"--start: date {start} is more than 5 years from today" in _error(capsys)
    assert not out.exists()  # refused before any work
