"""The correction loop through the CLI: train with your labels, evaluate, audit with the model."""

from __future__ import annotations

import json
from pathlib import Path

from funnel_audit.cli.main import main
from tests.conftest import SAMPLES
from tests.servers import SiteServer


def test_train_evaluate_and_audit_with_a_user_model(
    tmp_path: Path, site: SiteServer, capsys
) -> None:  # noqa: ANN001
    site.add(
        "/members/renewals",
        "<html><head><title>Renewals</title></head><body><main>"
        "<h1>Renew your membership</h1><p>Members renew each spring; choose a tier.</p>"
        "</main></body></html>",
    )
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "url,title,text,stage\n"
        'https://x.example/lodge/rates,Lodge rates,"Nightly rates from $120, breakfast '
        'included, deposit 20%",decision\n'
        f"{site.url('/members/renewals')},,,conversion\n",
        encoding="utf-8",
    )
    model_path = tmp_path / "m.npz"
    assert main(["train", str(labels), "--out", str(model_path), "--allow-private"]) == 0
    assert model_path.is_file()
    assert "model written" in capsys.readouterr().out

    evalset = tmp_path / "eval.jsonl"
    evalset.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "url": "https://y.example/pricing",
                    "title": "Pricing",
                    "text": "Plans from $9 a month",
                    "label": "decision",
                },
                {
                    "url": "https://y.example/privacy",
                    "title": "Privacy policy",
                    "text": "How we process personal data and your rights.",
                    "label": "other",
                },
            ]
        ),
        encoding="utf-8",
    )
    assert main(["evaluate", str(evalset), "--model", str(model_path), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["n"] == 2 and scores["support"]["excluded"] == 1
    assert 0 <= scores["macro_f1_funnel"] <= 1

    out = tmp_path / "o"
    assert (
        main(
            [
                "audit",
                str(SAMPLES / "ledgerloop"),
                "--model",
                str(model_path),
                "--out",
                str(out),
                "--no-history",
                "--quiet",
            ]
        )
        == 0
    )
    assert "custom+" in (out / "audit.json").read_text(encoding="utf-8")


def test_manual_labels_win_in_an_audit(tmp_path: Path, model) -> None:  # noqa: ANN001
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(
        "url,stage\nhttp://ledgerloop.local/blog/ap-kpis.html,decision\n", encoding="utf-8"
    )
    out = tmp_path / "o"
    assert (
        main(
            [
                "audit",
                str(SAMPLES / "ledgerloop"),
                "--labels",
                str(overrides),
                "--out",
                str(out),
                "--no-history",
                "--quiet",
            ]
        )
        == 0
    )
    rows = (out / "pages.csv").read_text(encoding="utf-8-sig").splitlines()
    row = next(r for r in rows if "ap-kpis" in r)
    assert ",decision," in row and ",manual," in row
