"""The fitted model ships in the package: a fresh install audits without training, and the file
is exactly what `funnel-audit build-model` makes of the corpus in classifiers/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from funnel_audit.classify import store
from funnel_audit.classify.store import (
    SHIPPED_MODEL,
    default_model,
    load_model,
    shipped_model_fits,
)
from funnel_audit.cli.main import main


def test_the_shipped_model_fits_this_corpus_and_is_used_without_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert SHIPPED_MODEL.is_file(), "run `funnel-audit build-model` and commit the file"
    assert shipped_model_fits(), "the corpus changed since the model was built: rebuild it"
    monkeypatch.setenv("FUNNEL_AUDIT_CACHE", str(tmp_path / "empty-cache"))

    def no_training(**_: object) -> None:
        raise AssertionError("trained although the shipped model fits")

    monkeypatch.setattr(store, "train_shipped", no_training)
    model = default_model()
    assert model.metadata["data_hash"] == store.corpus_hash()
    assert not (tmp_path / "empty-cache").exists()


def test_another_corpus_trains_on_first_use_and_caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FUNNEL_AUDIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(store, "corpus_hash", lambda: "0" * 64)
    assert not shipped_model_fits()
    assert store.needs_training()
    shipped = load_model(SHIPPED_MODEL)
    calls = []

    def fake_training(**_: object):  # type: ignore[no-untyped-def]
        calls.append(1)
        return shipped

    monkeypatch.setattr(store, "train_shipped", fake_training)
    default_model()
    assert calls == [1]
    assert store.default_model_path().is_file()
    default_model()  # the second run loads the cached file
    assert calls == [1]


def test_build_model_reproduces_the_shipped_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.npz"
    assert main(["build-model", "--out", str(out)]) == 0
    assert "written to" in capsys.readouterr().out
    fresh, shipped = load_model(out), load_model(SHIPPED_MODEL)
    assert fresh.classes == shipped.classes
    for a, b in zip(fresh.fields, shipped.fields, strict=True):
        assert a.name == b.name and a.terms == b.terms, f"vocabulary of {a.name} differs"
        np.testing.assert_allclose(a.idf, b.idf, rtol=1e-5)
    np.testing.assert_allclose(fresh.coef, shipped.coef, rtol=1e-4, atol=1e-5)
    assert fresh.temperature == pytest.approx(shipped.temperature, rel=1e-4)
    assert fresh.version == shipped.version


def _without(monkeypatch: pytest.MonkeyPatch, *missing: str) -> None:
    """Make `importlib.util.find_spec` say these libraries are not installed (as in a plain
    install without the `train` or `xlsx` extras)."""
    import importlib.util

    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None):  # type: ignore[no-untyped-def]
        return None if name in missing else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_training_without_scikit_learn_is_one_line_and_exit_5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _without(monkeypatch, "sklearn")
    labels = tmp_path / "labels.csv"
    labels.write_text("url,title,text,stage\nhttps://a.example/p,Pricing,Plans from $9,decision\n")
    assert main(["train", str(labels), "--out", str(tmp_path / "m.npz")]) == 5
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install 'funnel-audit[train]'" in err
    assert main(["build-model", "--out", str(tmp_path / "m.npz")]) == 5


def test_a_workbook_without_openpyxl_stops_before_the_crawl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import SAMPLES

    _without(monkeypatch, "openpyxl")
    out = tmp_path / "out"
    code = main(["audit", str(SAMPLES / "ledgerloop"), "--out", str(out), "--no-history", "-q",
                 "--xlsx"])  # fmt: skip
    assert code == 6
    assert "pip install 'funnel-audit[xlsx]'" in capsys.readouterr().err
    assert not (out / "report.html").exists()
