"""Foundational pieces and ongoing series in the calendar, through the real CLI."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from funnel_audit.cli.main import main
from funnel_audit.plan.tactics import FOUNDATIONAL_FORMATS

SAMPLES = Path(__file__).resolve().parent.parent / "sample_sites"


def audit(folder: Path, out: Path, *extra: str) -> dict[str, Any]:
    assert main(["audit", str(folder), "--out", str(out), "--no-history", "-q", *extra]) == 0
    data: dict[str, Any] = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("site", ["ledgerloop", "harbourline-plumbing"])
def test_every_entry_has_a_tactic_and_foundations_come_once_and_first(
    site: str, tmp_path: Path
) -> None:
    data = audit(SAMPLES / site, tmp_path / "out", "--weeks", "20")
    calendar = data["calendar"]
    assert calendar
    assert {e["tactic"] for e in calendar} <= {"foundational", "ongoing"}
    for e in calendar:
        assert (e["tactic"] == "foundational") == (e["format"] in FOUNDATIONAL_FORMATS)
    founded = [e["format"] for e in calendar if e["tactic"] == "foundational"]
    assert founded, "a thin stage's plan starts with its foundations"
    assert Counter(founded).most_common(1)[0][1] == 1  # each foundational format once
    tactics = [e["tactic"] for e in sorted(calendar, key=lambda e: e["date"])]
    first_ongoing = tactics.index("ongoing")
    assert "foundational" not in tactics[first_ongoing:]  # foundations are dated first
    dates = [e["date"] for e in calendar]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert re.search(r"<th[^>]*>Tactic</th>", html)
    assert re.search(r"<td[^>]*>foundational</td>", html)
    assert re.search(r"<td[^>]*>ongoing</td>", html)


def test_an_audit_json_without_tactics_still_renders(tmp_path: Path) -> None:
    audit(SAMPLES / "ledgerloop", tmp_path / "out")
    path = tmp_path / "out" / "audit.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data["calendar"]:
        del entry["tactic"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data), encoding="utf-8")
    assert main(["report", str(old), "--out", str(tmp_path / "again")]) == 0
    html = (tmp_path / "again" / "report.html").read_text(encoding="utf-8")
    assert re.search(r"<td[^>]*>ongoing</td>", html)
