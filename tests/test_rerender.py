"""`funnel-audit report`: re-render every output from a stored audit.json, without crawling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from funnel_audit.cli.main import main
from funnel_audit.errors import InputError
from funnel_audit.report.exports import audit_from_dict, audit_to_dict
from funnel_audit.report.stored_audit import read_audit_json
from tests.conftest import SAMPLES

RENDERED = ("pages.csv", "calendar.csv", "calendar.ics")


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory, model) -> Path:  # noqa: ANN001
    out = tmp_path_factory.mktemp("audit")
    assert (
        main(
            [
                "audit",
                str(SAMPLES / "ledgerloop"),
                "--out",
                str(out),
                "--quiet",
                "--no-history",
                "--start",
                "2026-12-07",
            ]
        )
        == 0
    )
    return out


def test_report_rerenders_the_same_outputs(audited: Path, tmp_path: Path) -> None:
    out = tmp_path / "again"
    assert (
        main(
            [
                "report",
                str(audited / "audit.json"),
                "--out",
                str(out),
                "--client-name",
                "Ledgerloop Ltd",
                "--agency-name",
                "North Star",
                "--accent",
                "#0a5c36",
            ]
        )
        == 0
    )
    for name in RENDERED:
        assert (out / name).read_bytes() == (audited / name).read_bytes(), name
    assert json.loads((out / "audit.json").read_text()) == json.loads(
        (audited / "audit.json").read_text()
    )
    soup = BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.find("h1").get_text() == "Ledgerloop Ltd"
    assert "North Star" in soup.find("header").get_text()
    assert "#0a5c36" in soup.find("style").get_text()


def test_report_defaults_to_the_audit_folder(audited: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "audit.json").write_bytes((audited / "audit.json").read_bytes())
    assert main(["report", str(copy / "audit.json")]) == 0
    assert (copy / "pages.csv").read_bytes() == (audited / "pages.csv").read_bytes()
    assert (copy / "report.html").stat().st_size > 10_000


def test_audit_json_round_trips_to_an_equal_result(audited: Path) -> None:
    result = read_audit_json(audited / "audit.json")
    assert result.pages and result.calendar and result.mix
    assert audit_from_dict(audit_to_dict(result)) == result
    # the streamed file holds exactly the document audit_to_dict describes
    on_disk = json.loads((audited / "audit.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(audit_to_dict(result)))


def _broken(audited: Path, tmp_path: Path, edit) -> Path:  # noqa: ANN001
    data = json.loads((audited / "audit.json").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda d: d.update(format="something/2"), "expected format 'funnel-audit/1'"),
        (lambda d: d.pop("pages"), "pages: missing"),
        (lambda d: d["pages"][2].update(stage="funnel-top"), "pages[2].stage: unknown value"),
        (lambda d: d["pages"][0].update(word_count="many"), "pages[0].word_count"),
        (lambda d: d.update(started_at="yesterday"), "started_at: expected an ISO 8601 date"),
        (
            lambda d: d["calendar"][0].update(keywords="a, b"),
            "calendar[0].keywords: expected a list",
        ),
        # values the report's arithmetic relies on (issue 12, case 12)
        (lambda d: d["mix"][0].update(share=None), "mix[0].share"),
        (lambda d: d["mix"][0].update(share=float("inf")), "mix[0].share"),
        (lambda d: d.update(mix=[]), "mix is empty"),
        (lambda d: d["gaps"][0].update(severity=99), "gaps[0].severity must be 1, 2 or 3"),
        (lambda d: d["link_flow"].pop("onward_share"), "link_flow.onward_share is missing"),
        (
            lambda d: d["link_flow"]["onward_share"].update(awareness="most"),
            "link_flow.onward_share.awareness must be a number",
        ),
    ],
)
def test_malformed_audit_json_is_one_line_input_error(
    audited: Path,
    tmp_path: Path,
    edit,  # noqa: ANN001
    needle: str,
    capsys,
) -> None:  # noqa: ANN001
    path = _broken(audited, tmp_path, edit)
    with pytest.raises(InputError, match=None) as info:
        read_audit_json(path)
    assert needle in str(info.value)
    assert main(["report", str(path), "--out", str(tmp_path / "o")]) == 6
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("funnel-audit: error:") and needle in err
    assert not (tmp_path / "o" / "report.html").exists()


@pytest.mark.parametrize("content", [None, "", "{not json", "[1, 2]", "null", "[" * 100_000])
def test_unreadable_audit_file_is_one_line_input_error(
    tmp_path: Path, content: str | None, capsys
) -> None:  # noqa: ANN001
    path = tmp_path / "audit.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["report", str(path), "--out", str(tmp_path / "o")]) == 6
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("funnel-audit: error:"), err
