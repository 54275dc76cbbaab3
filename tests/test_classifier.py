"""The classifier: safe storage, tamper refusal, calibrated output, reasons, and a quality gate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from funnel_audit.classify import REVIEW_THRESHOLD
from funnel_audit.corpus import load_corpus
from funnel_audit.errors import ModelError
from funnel_audit.features import Doc
from funnel_audit.model_store import load_model, save_model

# The cross-validated macro-F1 of the shipped model on its own corpus must not fall below this.
# Raise it when the model improves; lowering it needs a reason in the commit message.
CV_MACRO_F1_GATE = 0.89  # measured 0.912 (5-fold, 2,746 pages, Complement NB)

EXAMPLES = {
    "awareness": Doc(url="https://a.example/blog/how-to-read-a-gas-bill",
                     title="How to read your gas bill",
                     text="A gas bill has three parts. Here is what each line means and why "
                          "standing charges exist. Tips to spot estimated readings."),
    "decision": Doc(url="https://a.example/pricing", title="Pricing and plans",
                    text="Starter $19 per month. Team $49 per month. Billed annually. "
                         "All plans include support. Compare plans."),
    "conversion": Doc(url="https://a.example/contact", title="Contact sales",
                      text="Tell us about your team and we will reply within one business day.",
                      ctas=("Send message",), form_fields=("name", "email", "phone", "message")),
    "excluded": Doc(url="https://a.example/legal/privacy", title="Privacy policy",
                    text="This privacy policy explains how we collect and process personal data, "
                         "your rights under data protection law and how to contact our data "
                         "protection officer."),
}


def test_corpus_is_large_and_balanced() -> None:
    examples = load_corpus()
    counts: dict[str, int] = {}
    for ex in examples:
        counts[ex.label] = counts.get(ex.label, 0) + 1
    assert all(counts.get(s, 0) >= 350 for s in ("awareness", "consideration", "decision",
                                                 "conversion")), counts
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
            gram = tuple(words[i:i + 12])
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
    from funnel_audit.classify import train

    subset = load_corpus()[::6]
    a = train(subset, calibrate=False).pipeline.named_steps["model"].feature_log_prob_
    b = train(subset, calibrate=False).pipeline.named_steps["model"].feature_log_prob_
    assert np.array_equal(a, b)
