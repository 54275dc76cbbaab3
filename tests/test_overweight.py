"""Overweight stages through the real CLI: content piled up in one stage is a finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from funnel_audit.analyse.overweight import is_overweight, over_severity
from funnel_audit.cli.main import main
from funnel_audit.models import Stage, StageShare

SAMPLES = Path(__file__).resolve().parent.parent / "sample_sites"
PAGE = (
    "<html><head><title>{t}</title></head>"
    "<body><main><h1>{t}</h1><p>{p}</p>{x}</main></body></html>"
)


def piled_up_site(root: Path) -> Path:
    """Ten pages, six of them comparisons, pinned to their stages with a labels file."""
    (root / "site" / "compare").mkdir(parents=True)
    links = "".join(f'<a href="compare/{c}.html">{c}</a> ' for c in "abcdef")
    links += '<a href="guide.html">g</a> <a href="pricing.html">p</a> <a href="contact.html">c</a>'
    pages = {
        "index.html": ("Acme boilers", "We fit and service boilers.", links),
        "guide.html": ("What is a combi boiler", "How combi boilers heat water on demand.", ""),
        "pricing.html": ("Boiler prices", "Fixed prices from 1,999 including fitting.", ""),
        "contact.html": ("Request a quote", "Tell us what you need.", "<form></form>"),
    }
    for c in "abcdef":
        pages[f"compare/{c}.html"] = (f"Boiler {c} compared", f"Boiler {c} against the rest.", "")
    for name, (title, text, extra) in pages.items():
        (root / "site" / name).write_text(PAGE.format(t=title, p=text, x=extra), encoding="utf-8")
    labels = root / "labels.csv"
    labels.write_text(
        "url,stage\n"
        "http://site.local/compare/*,consideration\n"
        "http://site.local/,consideration\n"
        "http://site.local/guide.html,awareness\n"
        "http://site.local/pricing.html,decision\n"
        "http://site.local/contact.html,conversion\n",
        encoding="utf-8",
    )
    return labels


def audit(folder: Path, out: Path, *extra: str) -> dict[str, Any]:
    assert main(["audit", str(folder), "--out", str(out), "--no-history", "-q", *extra]) == 0
    data: dict[str, Any] = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    return data


def test_a_site_piled_up_in_consideration_has_an_overweight_gap(tmp_path: Path) -> None:
    labels = piled_up_site(tmp_path)
    data = audit(tmp_path / "site", tmp_path / "out", "--labels", str(labels))
    share = next(m for m in data["mix"] if m["stage"] == "consideration")
    assert share["share"] == 0.7
    over = [g for g in data["gaps"] if g["kind"] == "overweight-stage"]
    assert [g["stage"] for g in over] == ["consideration"]
    gap = over[0]
    assert gap["severity"] == 3  # 70% against 30%: more than two margins (15 points) over
    assert "70%" in gap["message"] and "30% target" in gap["message"]
    for advice in ("merge", "awareness", "decision page"):
        assert advice in gap["message"]
    assert len(gap["evidence_urls"]) == 7
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Consideration is overweight" in html


def test_a_lopsided_target_makes_a_sample_site_overweight(tmp_path: Path) -> None:
    plain = audit(SAMPLES / "harbourline-plumbing", tmp_path / "a")
    assert not [g for g in plain["gaps"] if g["kind"] == "overweight-stage"]
    mix = "awareness=0.85,consideration=0.05,decision=0.05,conversion=0.05"
    data = audit(SAMPLES / "harbourline-plumbing", tmp_path / "b", "--target", mix)
    over = {g["stage"] for g in data["gaps"] if g["kind"] == "overweight-stage"}
    assert "decision" in over and "awareness" not in over


def test_the_rule_and_its_severities() -> None:
    def share(value: float, target: float, pages: int = 10) -> StageShare:
        return StageShare(Stage.CONSIDERATION, pages, value, target, value, False)

    assert not is_overweight(share(0.44, 0.30))
    assert is_overweight(share(0.46, 0.30))
    assert not is_overweight(share(0.46, 0.30, pages=2))  # too few pages to matter
    assert is_overweight(share(0.26, 0.10))  # the floor: 15 points
    assert not is_overweight(share(0.59, 0.40)) and is_overweight(share(0.61, 0.40))  # half
    assert [over_severity(share(v, 0.30)) for v in (0.46, 0.55, 0.68)] == [1, 2, 3]
