"""The classifier: safe storage, tamper refusal, calibrated output, reasons, and a quality gate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from funnel_audit.classify.corpus import load_corpus
from funnel_audit.classify.features import Doc
from funnel_audit.classify.model import REVIEW_THRESHOLD
from funnel_audit.classify.store import load_model, save_model
from funnel_audit.errors import ModelError
from tests.conftest import SAMPLES

# The cross-validated macro-F1 of the shipped model on its own corpus must not fall below this.
# Raise it when the model improves; lowering it needs a reason in the commit message.
CV_MACRO_F1_GATE = 0.89  # measured 0.904 (5-fold, 4,256 pages, Complement NB, min_df 3)

EXAMPLES = {
    "awareness": Doc(
        url="https://a.example/blog/how-to-read-a-gas-bill",
        title="How to read your gas bill",
        text="A gas bill has three parts. Here is what each line means and why "
        "standing charges exist. Tips to spot estimated readings.",
    ),
    "decision": Doc(
        url="https://a.example/pricing",
        title="Pricing and plans",
        text="Starter $19 per month. Team $49 per month. Billed annually. "
        "All plans include support. Compare plans.",
    ),
    "conversion": Doc(
        url="https://a.example/contact",
        title="Contact sales",
        text="Tell us about your team and we will reply within one business day.",
        ctas=("Send message",),
        form_fields=("name", "email", "phone", "message"),
    ),
    "excluded": Doc(
        url="https://a.example/legal/privacy",
        title="Privacy policy",
        text="This privacy policy explains how we collect and process personal data, "
        "your rights under data protection law and how to contact our data "
        "protection officer.",
    ),
}


def test_corpus_is_large_and_balanced() -> None:
    examples = load_corpus()
    counts: dict[str, int] = {}
    for ex in examples:
        counts[ex.label] = counts.get(ex.label, 0) + 1
    assert all(
        counts.get(s, 0) >= 350 for s in ("awareness", "consideration", "decision", "conversion")
    ), counts
    assert counts.get("excluded", 0) >= 150, counts
    assert len({ex.industry for ex in examples}) >= 10
    assert len(examples) >= 1500


def test_obvious_pages_get_their_stage_with_reasons(model) -> None:  # noqa: ANN001
    preds = model.predict(list(EXAMPLES.values()))
    for (label, _doc), pred in zip(EXAMPLES.items(), preds, strict=True):
        assert pred.label == label, (label, pred)
        assert pred.reasons, label
        assert 0 < pred.confidence <= 1
        assert sum(pred.scores.values()) == pytest.approx(1, abs=1e-3)
    assert any(r.startswith("url:") for r in preds[1].reasons + preds[3].reasons)


def test_review_flag_follows_threshold(model) -> None:  # noqa: ANN001
    pred = model.predict([Doc(text="hello")])[0]
    assert pred.needs_review == (pred.confidence < REVIEW_THRESHOLD)


def test_saved_model_round_trips_exactly(model, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "m.npz"
    save_model(model, path)
    loaded = load_model(path)
    docs = list(EXAMPLES.values())
    a, b = model.predict(docs), loaded.predict(docs)
    assert [p.label for p in a] == [p.label for p in b]
    assert np.allclose([p.confidence for p in a], [p.confidence for p in b], atol=1e-4)


def test_tampered_or_foreign_model_file_is_refused(model, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "m.npz"
    save_model(model, path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["coef"] = arrays["coef"] * 1.01
    np.savez(tmp_path / "tampered.npz", **arrays)
    with pytest.raises(ModelError, match="modified"):
        load_model(tmp_path / "tampered.npz")
    (tmp_path / "junk.npz").write_bytes(b"\x80\x04not a model")
    with pytest.raises(ModelError):
        load_model(tmp_path / "junk.npz")
    np.save(tmp_path / "obj.npy", np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(ModelError):
        load_model(tmp_path / "obj.npy")


def test_quality_gate_cross_validated_macro_f1(model) -> None:  # noqa: ANN001
    cv = model.metadata["cv"]
    assert cv["macro_f1_all"] >= CV_MACRO_F1_GATE, cv


def test_corpus_has_no_near_duplicates() -> None:
    """No two pages share a run of 12 words: hand-written variety, not templates."""
    import re

    seen: dict[tuple[str, ...], str] = {}
    clashes = []
    for ex in load_corpus():
        words = re.findall(r"[a-z0-9']+", ex.doc.text.lower())
        for i in range(0, max(0, len(words) - 11)):
            gram = tuple(words[i : i + 12])
            owner = seen.setdefault(gram, ex.id)
            if owner != ex.id:
                clashes.append((owner, ex.id, " ".join(gram)))
                break
    assert not clashes, clashes[:5]


def test_corpus_ids_and_urls_are_unique() -> None:
    examples = load_corpus()
    ids = [ex.id for ex in examples]
    assert len(ids) == len(set(ids))
    assert len({ex.doc.url for ex in examples}) >= 0.98 * len(examples)


def test_training_is_deterministic() -> None:
    from funnel_audit.classify.fitting import train

    subset = load_corpus()[::6]
    a, b = train(subset, calibrate=False), train(subset, calibrate=False)
    assert np.array_equal(a.coef, b.coef)
    assert [f.terms for f in a.fields] == [f.terms for f in b.fields]


def test_numpy_scoring_matches_the_fitted_sklearn_pipeline(tmp_path: Path) -> None:
    """Audits apply the stored arrays without scikit-learn; they must score pages exactly as the
    fitted Pipeline does, including after a save/load round trip."""
    import scipy.sparse as sp

    from funnel_audit.classify.fitting import fit_pipeline, linear_weights, model_from_pipeline

    examples = load_corpus()
    pipe = fit_pipeline(examples[::3])
    model = model_from_pipeline(pipe)
    save_model(model, tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    docs = [ex.doc for ex in examples[1::7]] + list(EXAMPLES.values()) + [Doc()]
    X = sp.csr_matrix(pipe.named_steps["features"].transform(docs))
    expected = np.asarray(X @ linear_weights(pipe.named_steps["model"]).T)
    for candidate in (model, loaded):
        assert np.allclose(candidate.logits(docs), expected, rtol=1e-5, atol=1e-5)
        for i in (0, 5, 40):
            cols, vals = candidate.vectorize(docs[i])
            row = X.getrow(i)
            assert dict(zip(cols.tolist(), vals.tolist(), strict=True)) == pytest.approx(
                dict(zip(row.indices.tolist(), row.data.tolist(), strict=True)), rel=1e-5
            )
    assert model.classes == [str(c) for c in pipe.named_steps["model"].classes_]
    names = [
        str(t)
        for _, vec in pipe.named_steps["features"].transformer_list
        for t in vec.get_feature_names_out()
    ]
    assert [loaded.term(j) for j in range(loaded.n_features)] == names


def test_an_audit_never_imports_scikit_learn(tmp_path: Path, model) -> None:  # noqa: ANN001
    """scikit-learn and SciPy cost ~120 MB of memory; audits apply the stored arrays instead."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from funnel_audit.cli.main import main\n"
        f"code = main(['audit', {str(SAMPLES / 'ledgerloop')!r}, '--out', "
        f"{str(tmp_path / 'out')!r}, '--no-history', '--quiet'])\n"
        "heavy = sorted(m for m in ('sklearn', 'scipy') if m in sys.modules)\n"
        "print('HEAVY', heavy, code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert "HEAVY [] 0" in done.stdout, done.stdout + done.stderr


def test_fallback_lookups_agree_with_the_hash_table(model, monkeypatch) -> None:  # noqa: ANN001
    """If two terms' hashes ever collide, lookups go through dicts; they must score the same."""
    from funnel_audit.classify import model as classify

    docs = [ex.doc for ex in load_corpus()[::97]] + list(EXAMPLES.values())
    expected = model.logits(docs)
    monkeypatch.setattr(classify, "_has_duplicates", lambda hashes: True)
    fallback = classify.StageModel(model.fields, model.coef, model.classes, model.temperature)
    assert fallback._all is None
    assert np.allclose(fallback.logits(docs), expected)
    assert [p.reasons for p in fallback.predict(docs)] == [p.reasons for p in model.predict(docs)]
