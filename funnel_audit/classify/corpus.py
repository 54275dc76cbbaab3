"""Read labelled pages: the shipped training corpus and users' own label files (CSV or JSONL)."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from funnel_audit.assets import classifiers_dir
from funnel_audit.classify.features import Doc
from funnel_audit.errors import InputError
from funnel_audit.models import Stage

LABELS = tuple(s.value for s in Stage)
_ALIASES = {
    "other": "excluded",
    "none": "excluded",
    "out": "excluded",
    "tofu": "awareness",
    "mofu": "consideration",
    "bofu": "decision",
    "action": "conversion",
}


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled page of the corpus (or of a consultant's labels file) to train or test on."""

    doc: Doc
    label: str
    industry: str = ""
    id: str = ""


def normalise_label(raw: str) -> str:
    """A stage label as people write it (any case, known aliases) -> one of LABELS; anything
    else is an InputError."""
    label = raw.strip().lower()
    label = _ALIASES.get(label, label)
    if label not in LABELS:
        raise InputError(f"unknown stage label {raw!r}: use one of {', '.join(LABELS)}")
    return label


def corpus_files(folder: Path | None = None) -> list[Path]:
    """The corpus's JSONL files in a stable order, so its hash and training never depend on the
    file system's listing order."""
    root = (folder or classifiers_dir()) / "corpus"
    return sorted(root.glob("*.jsonl"))


def load_corpus(folder: Path | None = None) -> list[Example]:
    """The shipped corpus, in a stable order so training is deterministic."""
    out: list[Example] = []
    for path in corpus_files(folder):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(
                    Example(
                        doc=_doc(row),
                        label=normalise_label(row["label"]),
                        industry=row.get("industry", path.stem),
                        id=row.get("id", ""),
                    )
                )
    return out


def corpus_hash(folder: Path | None = None) -> str:
    """A digest of the corpus files (names and bytes): a model built on other data is retrained."""
    digest = hashlib.sha256()
    for path in corpus_files(folder):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _doc(row: dict[str, object]) -> Doc:
    def strs(key: str) -> tuple[str, ...]:
        value = row.get(key) or ()
        if isinstance(value, str):
            return (value,)
        return tuple(str(v) for v in value) if isinstance(value, Iterable) else ()

    return Doc(
        url=str(row.get("url") or ""),
        title=str(row.get("title") or ""),
        headings=strs("headings"),
        text=str(row.get("text") or ""),
        ctas=strs("ctas"),
        form_fields=strs("forms"),
    )


MAX_LABEL_ROWS = 100_000
MAX_LABEL_BYTES = 20 * 1024 * 1024  # 20 MB: far above any hand-made labels file


def read_label_rows(path: Path) -> list[dict[str, object]]:
    """The rows of a user's label file (CSV, or JSONL), keys lower-cased; one InputError line for
    a file that cannot be read, naming the line. Shared by `train --labels` and `audit --labels`.
    The file is streamed, and refused beyond MAX_LABEL_BYTES or MAX_LABEL_ROWS."""
    if not path.is_file():
        raise InputError(f"label file not found: {path}")
    try:
        size = path.stat().st_size
        if size > MAX_LABEL_BYTES:
            raise InputError(
                f"{path} is {size:,} bytes; a labels file may hold at most "
                f"{MAX_LABEL_BYTES // (1024 * 1024)} MB (split it)"
            )
        jsonl = path.suffix.lower() in (".jsonl", ".json", ".ndjson")
        with path.open(encoding="utf-8-sig", newline="" if not jsonl else None) as handle:
            numbered = _jsonl_rows(path, handle) if jsonl else _csv_rows(handle)
            rows: list[dict[str, object]] = []
            for number, row in numbered:
                if len(rows) >= MAX_LABEL_ROWS:
                    raise InputError(f"{path}: more than {MAX_LABEL_ROWS:,} label rows (split it)")
                if not isinstance(row, dict):
                    raise InputError(f"{path}: line {number} is not a url,stage record")
                rows.append({str(k).strip().lower(): v for k, v in row.items() if k is not None})
    except (ValueError, csv.Error, UnicodeDecodeError, OSError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    return rows


def _jsonl_rows(path: Path, handle: Iterable[str]) -> Iterator[tuple[int, object]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise InputError(f"{path}: line {number} is not a JSON object ({exc})") from None


def _csv_rows(handle: Iterable[str]) -> Iterator[tuple[int, object]]:
    reader = csv.DictReader(handle)
    for row in reader:
        yield reader.line_num, row


def load_labels(path: Path) -> list[Example]:
    """A user's labelled pages: CSV (url,stage or url,title,text,stage) or JSONL."""
    out: list[Example] = []
    for number, row in enumerate(read_label_rows(path), start=1):
        raw = row.get("label") or row.get("stage")
        if not raw or not row.get("url"):
            raise InputError(f"{path}: row {number} needs a url and a stage (or label)")
        out.append(
            Example(
                doc=_doc(row),
                label=normalise_label(str(raw)),
                industry=str(row.get("industry") or ""),
                id=str(row.get("id") or ""),
            )
        )
    return out
