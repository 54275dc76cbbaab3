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


SHIPPED = Path(__file__).resolve().parent.parent / "funnel_audit/classify/shipped_model.npz"


def _bad_model(kind: str, path: Path) -> None:
    import io
    import zipfile

    import numpy as np

    good = SHIPPED.read_bytes()
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "flipped":
        path.write_bytes(good[:5000] + bytes([good[5000] ^ 0xFF]) + good[5001:])
    elif kind == "meta-not-object":
        with np.load(SHIPPED) as data:
            arrays = {k: data[k] for k in data.files}
        arrays["meta"] = np.asarray("[1, 2]")
        with path.open("wb") as handle:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
    elif kind == "npy":
        np.save(path, np.arange(10))
    elif kind == "huge":
        header = io.BytesIO()
        shape = {"descr": "<f8", "fortran_order": False, "shape": (10**11,)}
        np.lib.format.write_array_header_1_0(header, shape)
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("coef.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:])


@pytest.mark.parametrize(
    "kind", ["empty", "truncated", "flipped", "meta-not-object", "npy", "huge"]
)
def test_a_damaged_model_file_is_a_model_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    model = tmp_path / ("model.npy" if kind == "npy" else "model.npz")
    _bad_model(kind, model)
    args = ["audit", LEDGERLOOP, "--model", str(model), "--out", str(tmp_path / "o")]
    assert main([*args, "--no-history", "--quiet"]) == 5
    err = _error(capsys)
    assert err.count("\n") == 1 and str(model) in err, err


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("[1, 2]", "line 3 is not a url,stage record"),
        ('"just text"', "line 3 is not a url,stage record"),
        ("[" * 100_000, "line 3 is not a JSON object"),
    ],
)
def test_a_labels_line_that_is_not_an_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, needle: str
) -> None:
    labels = tmp_path / "labels.jsonl"
    good = '{"url": "https://a.example/", "stage": "awareness"}'
    labels.write_text(f"{good}\n\n{line}\n", encoding="utf-8")
    args = ["audit", LEDGERLOOP, "--labels", str(labels), "--out", str(tmp_path / "o")]
    assert main([*args, "--no-history", "--quiet"]) == 6
    err = _error(capsys)
    assert str(labels) in err and needle in err, err


def test_a_huge_labels_file_is_refused_unread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "labels.csv"
    with labels.open("w", encoding="utf-8") as handle:
        handle.write("url,stage\n")
        handle.truncate(21 * 1024 * 1024)  # sparse: 21 MB without writing it
    args = ["audit", LEDGERLOOP, "--labels", str(labels), "--out", str(tmp_path / "o")]
    assert main([*args, "--no-history", "--quiet"]) == 6
    assert "a labels file may hold at most 20 MB" in _error(capsys)


def test_too_many_label_rows_is_an_error_not_a_silent_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "labels.csv"
    rows = "".join(f"https://a.example/{i},\n" for i in range(100_001))
    labels.write_text("url,stage\n" + rows, encoding="utf-8")
    args = ["audit", LEDGERLOOP, "--labels", str(labels), "--out", str(tmp_path / "o")]
    assert main([*args, "--no-history", "--quiet"]) == 6
    assert "more than 100,000 label rows" in _error(capsys)
