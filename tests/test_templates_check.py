"""`--templates`: a user's broken template is refused before the crawl (exit 6 naming the template
and line), never a traceback (exit 70) after it; includes never leave the template folders."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from funnel_audit.cli.main import main
from funnel_audit.errors import InputError
from funnel_audit.report.html import render_report
from funnel_audit.report.templates_check import sample_result

PARTIAL = "_partials/_gaps.html"
PAGE = (
    "<!doctype html><html><head><title>Plumbing guide</title></head><body><main>"
    "<h1>How to fix a leaking tap</h1><p>{}</p></main></body></html>"
)
BROKEN: dict[str, tuple[bytes, str]] = {
    "raises": (b"{{ 1 / 0 }}", "line 1: ZeroDivisionError"),
    "undefined": (b"<p>ok</p>\n{{ no_such_variable }}", "line 2: UndefinedError"),
    "syntax": (b"<p>\n{% if %}", "line 2: syntax error"),
    "includes-itself": (b'{% include "_partials/_gaps.html" %}', "includes itself"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00", "is not UTF-8 text"),
    "leaves-folder": (b'{% include "../../../etc/passwd" %}', "is refused"),
}


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    words = " ".join(["a guide to fixing a leaking kitchen tap at home"] * 40)
    (site / "index.html").write_text(PAGE.format(words), encoding="utf-8")
    return site


def _templates(tmp_path: Path, body: bytes) -> Path:
    folder = tmp_path / "templates"
    (folder / "_partials").mkdir(parents=True)
    (folder / PARTIAL).write_bytes(body)
    return folder


def _audits(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM audits").fetchone()[0])


def _audit(tmp_path: Path, templates: Path) -> tuple[int, Path, Path]:
    out, db = tmp_path / "out", tmp_path / "history.sqlite3"
    argv = ["audit", str(_site(tmp_path)), "--out", str(out), "--db", str(db), "--quiet"]
    return main([*argv, "--templates", str(templates)]), out, db


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_template_is_refused_before_the_crawl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, model: object
) -> None:
    body, says = BROKEN[case]
    code, out, db = _audit(tmp_path, _templates(tmp_path, body))
    err = capsys.readouterr().err
    assert code == 6, err
    assert f"template {PARTIAL}" in err and says in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert _audits(db) == 0  # nothing crawled, no audit recorded as complete
    assert not (out / "pages.csv").exists()
    assert "root:" not in err


def test_missing_templates_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: object
) -> None:
    code, out, db = _audit(tmp_path, tmp_path / "no-such-folder")
    err = capsys.readouterr().err
    assert code == 6, err
    assert "--templates folder not found" in err
    assert _audits(db) == 0 and not (out / "pages.csv").exists()


def test_symlink_out_of_the_templates_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: object
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0 secret", encoding="utf-8")
    folder = _templates(tmp_path, b"")
    (folder / PARTIAL).unlink()
    (folder / PARTIAL).symlink_to(secret)
    code, out, _db = _audit(tmp_path, folder)
    err = capsys.readouterr().err
    assert code == 6, err
    assert "outside" in err and "secret" not in err
    assert not (out / "report.html").exists()


def test_good_override_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: object
) -> None:
    body = b'<section id="gaps"><p>Custom gaps: {{ gaps|length }}</p></section>'
    code, out, db = _audit(tmp_path, _templates(tmp_path, body))
    assert code == 0, capsys.readouterr().err
    assert "Custom gaps:" in (out / "report.html").read_text(encoding="utf-8")
    assert _audits(db) == 1


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_report_verb_refuses_broken_templates_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, model: object
) -> None:
    first = tmp_path / "first"
    argv = ["audit", str(_site(tmp_path)), "--out", str(first), "--no-history", "--quiet"]
    assert main(argv) == 0
    again = tmp_path / "again"
    templates = _templates(tmp_path, BROKEN[case][0])
    code = main(
        ["report", str(first / "audit.json"), "--out", str(again), "--templates", str(templates)]
    )
    err = capsys.readouterr().err
    assert code == 6, err
    assert f"template {PARTIAL}" in err and BROKEN[case][1] in err, err
    assert not (again / "pages.csv").exists()


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_render_report_turns_template_errors_into_input_errors(tmp_path: Path, case: str) -> None:
    """The second line of defence: rendering itself never lets a template error through."""
    templates = _templates(tmp_path, BROKEN[case][0])
    with pytest.raises(InputError, match=BROKEN[case][1]):
        render_report(sample_result(), template_dir=templates)
