"""Target-mix presets through the real CLI: they change the mix and the audit names them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from funnel_audit.cli.main import main
from funnel_audit.models import Stage
from funnel_audit.plan.presets import PRESETS, preset_name
from funnel_audit.settings import default, parse_target

SITE = Path(__file__).resolve().parent.parent / "sample_sites" / "ledgerloop"


def audit(out: Path, *extra: str) -> dict[str, Any]:
    assert main(["audit", str(SITE), "--out", str(out), "--no-history", "-q", *extra]) == 0
    data: dict[str, Any] = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    return data


def targets(data: dict[str, Any]) -> dict[str, float]:
    return {m["stage"]: m["target"] for m in data["mix"]}


@pytest.mark.parametrize("name", ["growth", "nurture", "conversion"])
def test_a_preset_changes_the_mix_and_is_named(name: str, tmp_path: Path) -> None:
    data = audit(tmp_path / name, "--target", name.upper() if name == "nurture" else name)
    assert targets(data) == {s.value: v for s, v in PRESETS[name].items()}
    assert data["settings"]["target_preset"] == name
    html = (tmp_path / name / "report.html").read_text(encoding="utf-8")
    assert f'target mix: <strong class="preset">{name}</strong>' in html


def test_the_default_is_balanced_and_an_explicit_mix_is_custom(tmp_path: Path) -> None:
    plain = audit(tmp_path / "plain")
    assert plain["settings"]["target_preset"] == "balanced"
    assert targets(plain) == {s.value: v for s, v in PRESETS["balanced"].items()}
    custom = audit(tmp_path / "custom", "--target", "awareness=0.7")
    assert custom["settings"]["target_preset"] == "custom"
    html = (tmp_path / "custom" / "report.html").read_text(encoding="utf-8")
    assert 'target mix: <strong class="preset">custom</strong>' in html
    tweaked = audit(tmp_path / "tweaked", "--target", "growth,decision=0.2")
    assert tweaked["settings"]["target_preset"] == "custom"
    assert targets(tweaked)["decision"] > PRESETS["growth"][Stage.DECISION]


def test_a_stored_audit_names_its_preset_when_re_rendered(tmp_path: Path) -> None:
    audit(tmp_path / "a", "--target", "growth")
    data = json.loads((tmp_path / "a" / "audit.json").read_text(encoding="utf-8"))
    del data["settings"]["target_preset"]  # as an older version wrote it
    old = tmp_path / "old.json"
    old.write_text(json.dumps(data), encoding="utf-8")
    assert main(["report", str(old), "--out", str(tmp_path / "b")]) == 0
    html = (tmp_path / "b" / "report.html").read_text(encoding="utf-8")
    assert 'target mix: <strong class="preset">growth</strong>' in html


def test_an_unknown_preset_is_one_line_naming_the_presets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["audit", str(SITE), "--out", str(tmp_path), "--no-history", "--target", "grow"])
    assert code == 6
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "growth, nurture, conversion" in err


def test_presets_are_valid_mixes_and_balanced_is_the_default() -> None:
    assert dict(default("target")) == PRESETS["balanced"]
    for name, mix in PRESETS.items():
        assert abs(sum(mix.values()) - 1) < 1e-9
        assert parse_target(name) == pytest.approx(mix)
        assert preset_name(mix) == name
