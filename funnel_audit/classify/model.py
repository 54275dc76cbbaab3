"""Apply the funnel-stage model to pages, with NumPy alone.

The model is trained with scikit-learn (`fitting.py`): per-field TF-IDF vectorizers over namespaced
tokens (`features.py`) and a Complement Naive Bayes classifier, whose scores are linear in the
features. Applying it needs only the stored arrays: each field's vocabulary, idf weights and the
per-class token weights. Doing that here instead of through the fitted Pipeline keeps scikit-learn
and SciPy (about 120 MB of imports) out of every audit, and tests check that the two agree.

Vocabularies are held as sorted arrays of the terms' hashes rather than a dict of 290k strings:
about 5 MB instead of 30, and a page's tokens are looked up in one vectorised search. Term names
are decoded from the stored UTF-8 blob only when a page's reasons need them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

import numpy as np

from funnel_audit.classify.features import FIELDS, Doc, describe

REVIEW_THRESHOLD = 0.55


class CvScores(TypedDict):
    """Cross-validated scores of a fitted model (`fitting.cv_scores`), kept in its metadata so
    `train` can report how well it did without re-running the folds."""

    macro_f1_all: float
    macro_f1_funnel: float
    f1: dict[str, float]
    accuracy: float


class ModelMetadata(TypedDict, total=False):
    """What a model says about itself: how it was trained (set by `fitting.train` and its callers)
    and, once stored, the file's format and checksum (`store.save_model`). Older files may lack
    any key."""

    version: str
    data_hash: str
    libraries: str
    recipe: str
    trained_on: str
    cv: CvScores
    temperature: float
    n_examples: int
    format: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Prediction:
    """One page's label with its calibrated probabilities and the signals that pushed it there."""

    label: str
    confidence: float
    scores: dict[str, float]
    reasons: tuple[str, ...]

    @property
    def needs_review(self) -> bool:
        """Too unsure to trust without a look: the report and `labels-todo.csv` list such pages."""
        return self.confidence < REVIEW_THRESHOLD


@dataclass(frozen=True, slots=True)
class FieldArrays:
    """One field's part of a stored model: terms in column order (UTF-8, one per line) and idf."""

    name: str
    terms: bytes
    idf: np.ndarray


def _has_duplicates(sorted_hashes: np.ndarray) -> bool:
    return len(sorted_hashes) > 1 and bool(np.any(sorted_hashes[1:] == sorted_hashes[:-1]))


class _Vocabulary:
    """Term -> column lookup by hash, as sorted arrays; `exact` is a dict fallback for a field
    whose terms' hashes collide."""

    def __init__(self, hashes: np.ndarray, columns: np.ndarray) -> None:
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.columns = columns[order].astype(np.int32)
        self.collides = _has_duplicates(self.hashes)
        self.exact: dict[str, int] | None = None

    @classmethod
    def of_terms(cls, terms: list[str], start: int) -> _Vocabulary:
        hashes = np.fromiter(map(hash, terms), dtype=np.int64, count=len(terms))
        vocab = cls(hashes, np.arange(start, start + len(terms)))
        if vocab.collides:
            vocab.exact = {t: i + start for i, t in enumerate(terms)}
        return vocab

    @classmethod
    def merge(cls, parts: Sequence[_Vocabulary]) -> _Vocabulary:
        """One table for several fields; `collides` if any two of their terms share a hash."""
        merged = cls(
            np.concatenate([p.hashes for p in parts]), np.concatenate([p.columns for p in parts])
        )
        merged.collides = merged.collides or any(p.collides for p in parts)
        return merged

    def lookup(self, tokens: list[str]) -> np.ndarray:
        """Global column of every token found in the vocabulary (repeats kept, for counting)."""
        if self.exact is not None:
            return np.array([self.exact[t] for t in tokens if t in self.exact], dtype=np.int64)
        if not len(self.hashes):
            return np.empty(0, dtype=np.int64)
        wanted = np.fromiter(map(hash, tokens), dtype=np.int64, count=len(tokens))
        pos = self.hashes.searchsorted(wanted)
        pos[pos == len(self.hashes)] = 0
        found: np.ndarray = self.columns[pos[self.hashes[pos] == wanted]]
        return found


class StageModel:
    """Stored model arrays plus the temperature that calibrates its probabilities."""

    def __init__(
        self,
        fields: Sequence[FieldArrays],
        coef: np.ndarray,
        classes: Sequence[str],
        temperature: float = 1.0,
        metadata: ModelMetadata | None = None,
    ) -> None:
        by_name = {f.name: f for f in fields}
        self.fields = tuple(by_name[name] for name, _, _ in FIELDS)
        # token weights by column (features x classes): a page's scores gather its rows
        self._coef_t = np.ascontiguousarray(np.asarray(coef, dtype=np.float32).T)
        self._classes = [str(c) for c in classes]
        self.temperature = float(temperature)
        self.metadata: ModelMetadata = metadata.copy() if metadata else {}
        self._vocab: list[_Vocabulary] = []
        offsets: list[np.ndarray] = []
        start = 0
        for field in self.fields:
            terms = field.terms.decode("utf-8").split("\n") if field.terms else []
            self._vocab.append(_Vocabulary.of_terms(terms, start))
            if terms:
                raw = np.frombuffer(field.terms, dtype=np.uint8)
                offsets.append(np.concatenate(([0], np.flatnonzero(raw == 10) + 1)))
            start += len(terms)
            del terms
        self.n_features = start
        # where each term starts in its field's blob (it ends at the next one's start, less 1)
        self._offsets = (
            np.concatenate(offsets).astype(np.int32) if offsets else np.empty(0, dtype=np.int32)
        )
        self._weights = np.array([weight for _, _, weight in FIELDS], dtype=np.float64)
        self._idf_all = np.concatenate(
            [
                np.asarray(f.idf, dtype=np.float32)  # as stored
                for f in self.fields
            ]
        )
        self._field_starts = np.cumsum([0] + [len(f.idf) for f in self.fields[:-1]])
        # Fields' tokens never share a string (each field has its own prefix), so one table can
        # look a whole page up at once; if they ever did, each field is looked up on its own.
        merged = _Vocabulary.merge(self._vocab)
        self._all = None if merged.collides else merged
        if self._all is not None:
            self._vocab = []  # the per-field tables are only the fallback
        self._coef_sum = self._coef_t.sum(axis=1)
        self._body_start = int(self._field_starts[-1])

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled as its stored arrays: the hash tables are rebuilt in the receiving process,
        whose string hashes differ."""
        return (
            StageModel,
            (self.fields, self.coef, self._classes, self.temperature, self.metadata),
        )

    @property
    def coef(self) -> np.ndarray:
        """Per-class token weights (classes x features), as Complement NB fitted them."""
        return self._coef_t.T

    @property
    def version(self) -> str:
        """The version recorded in the model's metadata, so an audit says which model judged it."""
        return str(self.metadata.get("version", "unversioned"))

    @property
    def classes(self) -> list[str]:
        """The labels in score-column order (a copy)."""
        return list(self._classes)

    def term(self, column: int) -> str:
        """The vocabulary term of a feature column."""
        field = int(self._field_starts.searchsorted(column, side="right")) - 1
        blob = self.fields[field].terms
        field_end = (
            self._field_starts[field + 1] if field + 1 < len(self.fields) else self.n_features
        )
        end = len(blob) + 1 if column + 1 == field_end else int(self._offsets[column + 1])
        return blob[int(self._offsets[column]) : end - 1].decode("utf-8")

    def token_counts(self, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
        """A page's known tokens as (columns, counts), before any weighting: the compact form
        the site-level pass keeps per page, so it can score pages again without some columns."""
        per_field = [analyze(doc) for _, analyze, _ in FIELDS]
        if self._all is not None:
            found = self._all.lookup([t for tokens in per_field for t in tokens])
        else:
            found = np.concatenate(
                [
                    vocab.lookup(tokens) if tokens else np.empty(0, np.int64)
                    for vocab, tokens in zip(self._vocab, per_field, strict=True)
                ]
            )
        if not found.size:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int32)
        cols, counts = np.unique(found, return_counts=True)
        return cols.astype(np.int32), counts.astype(np.int32)

    def weigh(self, cols: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) as the fitted TF-IDF union gives them: sublinear tf times idf,
        L2-normalised per field, times the field's weight."""
        if not cols.size:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        cols = cols.astype(np.int64)
        vals = (1.0 + np.log(counts.astype(np.float64))) * self._idf_all[cols].astype(np.float64)
        field = self._field_starts.searchsorted(cols, side="right") - 1
        norms = np.sqrt(np.bincount(field, weights=vals * vals, minlength=len(FIELDS)))
        scale = np.divide(self._weights, norms, out=np.zeros(len(FIELDS)), where=norms > 0)
        return cols, vals * scale[field]

    def vectorize(self, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
        """A page's non-zero features: (columns, values)."""
        return self.weigh(*self.token_counts(doc))

    def logits(self, docs: Sequence[Doc]) -> np.ndarray:
        """Complement NB's joint log-likelihood per class (uncalibrated scores)."""
        return self.logits_of([self.vectorize(doc) for doc in docs])

    def logits_of(self, vectors: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Uncalibrated class scores (pages x classes) of vectorised pages."""
        out = np.zeros((len(vectors), len(self._classes)))
        for i, (cols, vals) in enumerate(vectors):
            if cols.size:
                out[i] = vals @ self._coef_t[cols]
        return out

    def predict(self, docs: Sequence[Doc], n_reasons: int = 4) -> list[Prediction]:
        """Label pages on their own (no site-level prior), with up to `n_reasons` reasons each."""
        return self.predict_vectors([self.vectorize(doc) for doc in docs], n_reasons)

    def predict_vectors(
        self,
        vectors: Sequence[tuple[np.ndarray, np.ndarray]],
        n_reasons: int = 4,
        prior: np.ndarray | None = None,
        quiet: np.ndarray | None = None,
    ) -> list[Prediction]:
        """Predictions from weighed vectors; `prior` (pages x classes, log-space) is added to the
        calibrated scores, which is how the site-level pass lends a page its section's view.
        Columns flagged in `quiet` (a mask over all columns) count but are never given as
        reasons: the site's own topic words are no explanation of a page's stage."""
        classes = self._classes
        logits = self.logits_of(vectors)
        z = logits / self.temperature if len(vectors) else logits
        if prior is not None and len(vectors):
            z = z + prior
        probs = softmax(z) if len(vectors) else z
        best = probs.argmax(axis=1) if len(vectors) else np.empty(0, dtype=np.int64)
        out: list[Prediction] = []
        for (cols, vals), row, k in zip(vectors, probs.tolist(), best.tolist(), strict=True):
            reasons: tuple[str, ...] = ()
            if n_reasons and cols.size:
                contrib = vals * self._margin(cols, k)
                if quiet is not None:
                    contrib = np.where(quiet[cols], 0.0, contrib)
                reasons = self._reasons(cols, contrib, n_reasons)
            out.append(
                Prediction(
                    label=classes[k],
                    confidence=row[k],
                    scores={c: round(p, 4) for c, p in zip(classes, row, strict=True)},
                    reasons=reasons,
                )
            )
        return out

    def _margin(self, cols: np.ndarray, k: int) -> np.ndarray:
        """How much each token favours class k over the average of the others: the honest
        measure of what pushed a page to its label, rather than words common to every stage."""
        mine = self._coef_t[cols, k].astype(np.float64)
        others = (self._coef_sum[cols] - mine) / max(len(self._classes) - 1, 1)
        margin: np.ndarray = mine - others
        return margin

    def _reasons(self, cols: np.ndarray, contrib: np.ndarray, n: int) -> tuple[str, ...]:
        """The strongest signals, with up to half of them from page structure (URL, title, CTAs,
        forms) because those read as explanations; body words fill the rest."""
        ranked = np.argsort(-contrib, kind="stable")
        order: list[int] = ranked[contrib[ranked] > 0].tolist()
        wanted = max(1, n // 2)
        structured: list[int] = []
        for j in order:
            if len(structured) == wanted:
                break
            column = int(cols[j])
            if column < self._body_start and not self.term(column).startswith("w:"):
                structured.append(j)
        chosen = structured + [j for j in order if j not in structured][: n - len(structured)]
        chosen.sort(key=lambda j: -contrib[j])
        return tuple(dict.fromkeys(describe(self.term(int(cols[j]))) for j in chosen))


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by each row's maximum so large scores cannot overflow."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    probabilities: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return probabilities
