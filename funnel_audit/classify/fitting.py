"""Train the funnel-stage model with scikit-learn.

Per-field TF-IDF vectorizers over namespaced tokens (`features.py`) feed a Complement Naive Bayes
classifier. On real pages written by others it generalised clearly better than logistic
regression, which fitted our own corpus's style more closely (cross-validated 0.95 in-corpus) but
dropped to about 0.62 macro-F1 on real pages, against about 0.70 for Complement NB. Its scores are
linear in the features, so every label is explainable and the fitted model reduces to arrays that
`classify.StageModel` applies without scikit-learn. Probabilities come from a softmax over the
scores, calibrated by temperature scaling fitted on cross-validated scores.

Only training, `train`/`evaluate` and the first run after an upgrade import this module.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline

from funnel_audit.classify.corpus import LABELS, Example
from funnel_audit.classify.features import FIELDS, Doc
from funnel_audit.classify.model import CvScores, FieldArrays, ModelMetadata, StageModel, softmax
from funnel_audit.classify.recipe import ALPHA, CV_FOLDS, MIN_DF, SEED
from funnel_audit.errors import ModelError


def build_pipeline() -> Pipeline:
    """An unfitted pipeline: one TF-IDF vectorizer per field, weighted, into Complement NB."""
    vectorizers = [
        (name, TfidfVectorizer(analyzer=fn, sublinear_tf=True, min_df=MIN_DF, dtype=np.float32))
        for name, fn, _ in FIELDS
    ]
    union = FeatureUnion(
        # scikit-learn takes any transformer here; its stubs want TransformerMixin subclasses,
        # which TfidfVectorizer is not
        vectorizers,  # type: ignore[arg-type]
        transformer_weights={name: weight for name, _, weight in FIELDS},
    )
    return Pipeline(
        [
            ("features", union),
            ("model", ComplementNB(alpha=ALPHA)),
        ]
    )


def augment(examples: Sequence[Example]) -> tuple[list[Doc], list[str]]:
    """Each page twice: as written, and flattened to url + title + text as excerpts arrive.

    Real pages often reach us without structure (JS shells, text excerpts); the flat copy teaches
    the model to read the stage from words alone instead of leaning only on forms and buttons.
    """
    docs: list[Doc] = []
    labels: list[str] = []
    for ex in examples:
        docs.append(ex.doc)
        labels.append(ex.label)
        flat = "\n".join((*ex.doc.headings, ex.doc.text))
        docs.append(Doc(url=ex.doc.url, title=ex.doc.title, text=flat))
        labels.append(ex.label)
    return docs, labels


def linear_weights(clf: ComplementNB) -> np.ndarray:
    """Per-class token weights: the score of a page is X @ weights.T (Complement NB's joint
    log-likelihood for more than one class)."""
    return np.asarray(clf.feature_log_prob_)


def model_from_pipeline(
    pipe: Pipeline, temperature: float = 1.0, metadata: ModelMetadata | None = None
) -> StageModel:
    """The fitted pipeline as the arrays that `StageModel` applies."""
    fields = []
    for name, vec in pipe.named_steps["features"].transformer_list:
        terms = "\n".join(str(t) for t in vec.get_feature_names_out()).encode("utf-8")
        fields.append(FieldArrays(name, terms, np.asarray(vec.idf_, dtype=np.float32)))
    clf: ComplementNB = pipe.named_steps["model"]
    return StageModel(
        fields, linear_weights(clf), [str(c) for c in clf.classes_], temperature, metadata
    )


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises log-loss of held-out scores (a one-parameter calibration)."""
    best, best_loss = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.01), np.log(100.0), 121)):
        p = softmax(logits / t)
        loss = -float(np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best


def cross_validate(
    examples: Sequence[Example], folds: int = CV_FOLDS
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Out-of-fold logits for every example (augmented copies stay in their example's fold)."""
    labels = np.array([ex.label for ex in examples])
    classes = sorted(set(labels), key=LABELS.index)
    y = np.array([classes.index(lab) for lab in labels])
    logits = np.zeros((len(examples), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for train_idx, test_idx in splitter.split(np.zeros(len(y)), y):
        docs, labs = augment([examples[i] for i in train_idx])
        pipe = build_pipeline().fit(docs, labs)
        clf = pipe.named_steps["model"]
        order = [list(clf.classes_).index(c) for c in classes]
        X = pipe.named_steps["features"].transform([examples[i].doc for i in test_idx])
        logits[test_idx] = np.asarray(X @ linear_weights(clf).T)[:, order]
    return logits, y, classes


def fit_pipeline(examples: Sequence[Example]) -> Pipeline:
    """The pipeline fitted on every example and its flattened copy (`augment`)."""
    docs, labels = augment(examples)
    return build_pipeline().fit(docs, labels)


def train(
    examples: Sequence[Example],
    *,
    calibrate: bool = True,
    metadata: ModelMetadata | None = None,
) -> StageModel:
    """Fit on all examples; calibrate the temperature on out-of-fold scores."""
    if len({ex.label for ex in examples}) < 2:
        raise ModelError("training needs examples of at least two stages")
    temperature = 1.0
    meta: ModelMetadata = metadata.copy() if metadata else {}
    if calibrate:
        logits, y, classes = cross_validate(examples)
        temperature = fit_temperature(logits, y)
        meta["cv"] = cv_scores(logits, y, classes)
    meta["temperature"] = temperature
    meta["n_examples"] = len(examples)
    return model_from_pipeline(fit_pipeline(examples), temperature, meta)


def cv_scores(logits: np.ndarray, y: np.ndarray, classes: list[str]) -> CvScores:
    """F1 per class, macro-F1 with and without `excluded`, and accuracy of out-of-fold scores."""
    from sklearn.metrics import f1_score

    pred = logits.argmax(axis=1)
    funnel = [i for i, c in enumerate(classes) if c != "excluded"]
    # average=None: one score per class (an array; the stubs cannot tell it from a mean)
    per = np.asarray(
        f1_score(y, pred, labels=list(range(len(classes))), average=None, zero_division=0)
    )
    return {
        "macro_f1_all": round(float(np.mean(per)), 4),
        "macro_f1_funnel": round(float(np.mean(per[funnel])), 4),
        "f1": {c: round(float(per[i]), 4) for i, c in enumerate(classes)},
        "accuracy": round(float(np.mean(pred == y)), 4),
    }
