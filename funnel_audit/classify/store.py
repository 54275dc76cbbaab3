"""Store fitted models without pickle, and get the shipped model ready fast.

A model file is a NumPy `.npz` read with `allow_pickle=False`: vocabulary, idf weights, coefficients
and a JSON metadata block. Loading it cannot execute code, whoever wrote it. The metadata carries a
SHA-256 of the arrays, so a file edited after it was written is refused rather than used.

The fitted model ships inside the package (`shipped_model.npz`, written by `funnel-audit
build-model` from `classifiers/corpus/`; a test retrains it and compares). It is used whenever it
was fitted on the corpus and recipe this install has and NumPy's major version matches the one
that wrote it; otherwise (a user's own corpus, another recipe) the model is trained on first use
and cached under the user's cache folder, keyed by the corpus hash, recipe and library versions.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import platform
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from funnel_audit import __version__, paths
from funnel_audit.classify.corpus import corpus_hash, load_corpus
from funnel_audit.classify.features import FIELDS
from funnel_audit.classify.model import FieldArrays, ModelMetadata, StageModel
from funnel_audit.classify.model_file import check_model_file
from funnel_audit.classify.recipe import fingerprint
from funnel_audit.errors import ModelError

FORMAT = "funnel-audit-model/4"


def cache_dir() -> Path:
    """Where trained models are cached: `$FUNNEL_AUDIT_CACHE`, else the user's cache folder."""
    return paths.cache_dir()


def library_key() -> str:
    """Python, scikit-learn and NumPy versions: a model is retrained when any of them changes.
    Read from package metadata, because importing scikit-learn costs ~120 MB."""
    try:
        sklearn_version = version("scikit-learn")
    except PackageNotFoundError:
        sklearn_version = "none"
    return f"py{platform.python_version()}-sklearn{sklearn_version}-np{np.__version__}"


def _arrays(model: StageModel) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for field in model.fields:
        # One UTF-8 blob per field: a fixed-width unicode array of 260k terms costs ~70 MB.
        arrays[f"terms_{field.name}"] = np.frombuffer(field.terms, dtype=np.uint8)
        arrays[f"idf_{field.name}"] = np.asarray(field.idf, dtype=np.float32)
    return arrays | {
        "coef": np.asarray(model.coef, dtype=np.float32),
        "classes": np.asarray(model.classes, dtype=str),
    }


def _digest(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    return digest.hexdigest()


def save_model(model: StageModel, path: Path) -> None:
    """Write a model file atomically, with a digest of its arrays so edits are refused."""
    arrays = _arrays(model)
    meta = dict(
        model.metadata, format=FORMAT, sha256=_digest(arrays), temperature=model.temperature
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        with open(tmp, "wb") as handle:
            # the stubs fear an `allow_pickle` key in **arrays; ours are field and array names
            np.savez_compressed(handle, meta=np.asarray(json.dumps(meta)), **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_model(path: Path) -> StageModel:
    """Load a stored model, refusing anything that is not exactly what `save_model` wrote."""
    check_model_file(path)  # a zip of plain arrays of a bounded size, from the headers alone
    try:
        with np.load(path, allow_pickle=False) as data:
            names = [f"{kind}_{field}" for field, _, _ in FIELDS for kind in ("terms", "idf")]
            arrays = {k: data[k] for k in (*names, "coef", "classes")}
            meta = json.loads(str(data["meta"]))
    except FileNotFoundError as exc:
        raise ModelError(f"model file not found: {path}") from exc
    except Exception as exc:  # noqa: BLE001 - a damaged file may fail in any way; never exit 70
        why = "".join(c if c.isprintable() else "?" for c in str(exc))[:200]
        raise ModelError(f"{path} is not a funnel-audit model file ({why})") from exc
    if not _is_object(meta):
        raise ModelError(f"{path} is not a funnel-audit model file (metadata is not an object)")
    if meta.get("format") != FORMAT:
        raise ModelError(f"{path}: unsupported model format {meta.get('format')!r}")
    if meta.get("sha256") != _digest(arrays):
        raise ModelError(f"{path}: model file was modified after it was written; refusing it")
    try:
        return _model(path, arrays, meta)
    except (TypeError, ValueError, IndexError) as exc:  # metadata is outside the digest
        raise ModelError(f"{path}: model arrays or metadata are malformed; refusing it") from exc


def _is_object(value: object) -> bool:
    return isinstance(value, dict)


def _model(path: Path, arrays: dict[str, np.ndarray], meta: ModelMetadata) -> StageModel:
    blobs = {f: arrays[f"terms_{f}"].tobytes() for f, _, _ in FIELDS}
    counts = {f: blob.count(b"\n") + 1 if blob else 0 for f, blob in blobs.items()}
    consistent = all(counts[f] == len(arrays[f"idf_{f}"]) for f, _, _ in FIELDS)
    if arrays["coef"].shape != (len(arrays["classes"]), sum(counts.values())) or not consistent:
        raise ModelError(f"{path}: model arrays are inconsistent; refusing it")
    fields = [FieldArrays(f, blobs[f], arrays[f"idf_{f}"]) for f, _, _ in FIELDS]
    try:
        return StageModel(
            fields,
            arrays["coef"],
            [str(c) for c in arrays["classes"]],
            float(meta.get("temperature", 1.0)),
            meta,
        )
    except UnicodeDecodeError as exc:
        raise ModelError(f"{path}: model vocabulary is not UTF-8; refusing it") from exc


SHIPPED_MODEL = Path(__file__).with_name("shipped_model.npz")


def default_model_path() -> Path:
    """The cache file of the model trained on this install's corpus, recipe and libraries."""
    return cache_dir() / f"model-{corpus_hash()[:16]}-r{fingerprint()}-{library_key()}.npz"


def shipped_model_fits(path: Path = SHIPPED_MODEL) -> bool:
    """Whether the packaged model was fitted on this install's corpus and recipe and written by
    this NumPy major version (read from its metadata alone, without loading the arrays)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
    except (OSError, ValueError, KeyError):
        return False
    return (
        meta.get("data_hash") == corpus_hash()
        and meta.get("recipe") == fingerprint()
        and _numpy_major(str(meta.get("libraries", ""))) == np.__version__.split(".")[0]
    )


def _numpy_major(libraries: str) -> str:
    return libraries.rpartition("-np")[2].split(".")[0]


def needs_training() -> bool:
    """True when `default_model` would have to train (for a "training..." notice)."""
    return not shipped_model_fits() and not default_model_path().is_file()


def default_model(*, calibrate: bool = True) -> StageModel:
    """The shipped model when it fits this install, else the cached model trained on this
    install's corpus, else one trained now (and cached)."""
    if calibrate and shipped_model_fits():
        try:
            return load_model(SHIPPED_MODEL)
        except ModelError:
            pass  # a damaged install: train instead, as for a changed corpus
    path = default_model_path()
    if path.is_file():
        try:
            return load_model(path)
        except ModelError:
            path.unlink(missing_ok=True)
    model = train_shipped(calibrate=calibrate)
    with contextlib.suppress(OSError):
        save_model(model, path)
    return model


TRAIN_HINT = (
    "training the classifier needs scikit-learn, which this install lacks: "
    "pip install 'funnel-audit[train]'"
)


def require_training() -> None:
    """Fail with the install hint where a model would have to be fitted without scikit-learn
    (a plain install audits with the packaged model and never needs it)."""
    if importlib.util.find_spec("sklearn") is None:
        raise ModelError(TRAIN_HINT)


def train_shipped(*, calibrate: bool = True) -> StageModel:
    """Fit the model on this install's corpus with the shipped recipe: what `build-model`
    writes into the package and what a changed corpus trains on first use."""
    examples = load_corpus()
    if not examples:
        raise ModelError("the shipped training corpus is missing (reinstall funnel-audit)")
    require_training()
    from funnel_audit.classify.fitting import train

    data_hash = corpus_hash()
    return train(
        examples,
        calibrate=calibrate,
        metadata={
            # the recipe too: a vocabulary from other settings would misread stored token counts
            "version": f"{__version__}+{data_hash[:8]}.{fingerprint()[:6]}",
            "data_hash": data_hash,
            "libraries": library_key(),
            "recipe": fingerprint(),
            "trained_on": "shipped corpus",
        },
    )
