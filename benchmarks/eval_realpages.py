"""Measure the shipped classifier on real pages no one here wrote (../shared/eval, measuring only).

Usage: python benchmarks/eval_realpages.py [PATH]   (default: ../shared/eval/realpages-dev.jsonl)
Prints per-stage precision/recall/F1, macro-F1 over the four funnel stages, and the share of
`other` pages set aside as excluded. The file is never copied into the project or trained on.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sklearn.metrics import classification_report, confusion_matrix, f1_score

from funnel_audit.classify.corpus import normalise_label
from funnel_audit.classify.features import Doc
from funnel_audit.classify.store import default_model

FUNNEL = ["awareness", "consideration", "decision", "conversion"]


def main() -> int:
    default = Path(__file__).resolve().parents[2] / "shared" / "eval" / "realpages-dev.jsonl"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    if not path.is_file():
        print(f"no evaluation file at {path}; nothing to measure")
        return 0
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    started = time.perf_counter()
    model = default_model()
    ready = time.perf_counter() - started
    docs = [
        Doc(url=r.get("url", ""), title=r.get("title", ""), text=r.get("text", "")) for r in rows
    ]
    truth = [normalise_label(r["label"]) for r in rows]
    preds = [p.label for p in model.predict(docs)]
    labels = [*FUNNEL, "excluded"]
    print(f"{path.name}: {len(rows)} pages; model ready in {ready:.2f}s")
    print(classification_report(truth, preds, labels=labels, digits=3, zero_division=0))
    print("confusion (rows truth, cols predicted):", labels)
    print(confusion_matrix(truth, preds, labels=labels))
    macro = f1_score(truth, preds, labels=FUNNEL, average="macro", zero_division=0)
    others = [p for t, p in zip(truth, preds, strict=True) if t == "excluded"]
    kept = sum(p == "excluded" for p in others) / len(others) if others else float("nan")
    print(f"macro-F1 (four stages): {macro:.3f}")
    print(f"'other' pages set aside as excluded: {kept:.0%} of {len(others)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
