"""An empty TARGET is refused (never the current folder), and --logo is checked by its content,
not its name (the real CLI)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from tests.conftest import SAMPLES

# a 1x1 transparent PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("funnel-audit:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("target", ["", "   "])
def test_empty_target_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    target: str,
) -> None:
    site = tmp_path / "cwd"
    site.mkdir()
    (site / "index.html").write_text("<html><body><p>Buy now</p></body></html>")
    monkeypatch.chdir(site)
    out = tmp_path / "o"
    code = main(["audit", target, "--out", str(out), "--no-history", "--quiet"])
    assert code == 2
    assert "empty target" in _one_error_line(capsys.readouterr().err)
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("logo.png", b"PK\x03\x04" + b"\x00" * 200),  # a zip named .png
        ("logo.jpg", b"%PDF-1.4\n" + b"x" * 200),
        ("logo.svg", b"<html><script>alert(1)</script></html>"),
        ("logo.webp", b"RIFF\x00\x00\x00\x00WAVEfmt "),
        ("logo.gif", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50),  # a PNG named .gif
    ],
)
def test_logo_content_must_match_an_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes
) -> None:
    logo = tmp_path / name
    logo.write_bytes(data)
    out = tmp_path / "o"
    code = main(
        ["audit", str(SAMPLES / "ledgerloop"), "--out", str(out), "--no-history", "--quiet"]
        + ["--logo", str(logo)]
    )
    assert code == 6
    assert "logo" in _one_error_line(capsys.readouterr().err)
    assert not (out / "report.html").exists()


def test_a_real_logo_is_embedded(tmp_path: Path) -> None:
    png, svg = tmp_path / "logo.png", tmp_path / "logo.svg"
    png.write_bytes(PNG)
    svg.write_text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>')
    for logo, mime in ((png, "image/png"), (svg, "image/svg+xml")):
        out = tmp_path / logo.suffix[1:]
        code = main(
            ["audit", str(SAMPLES / "ledgerloop"), "--out", str(out), "--no-history", "--quiet"]
            + ["--logo", str(logo)]
        )
        assert code == 0
        assert f"data:{mime};base64," in (out / "report.html").read_text(encoding="utf-8")
