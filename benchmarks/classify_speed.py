"""Classifier speed: time to a ready model (cache hit) and pages classified per second.

Usage: python benchmarks/classify_speed.py [N]   (default 5000 pages, drawn from the corpus)
Targets: model ready in under 2 s after first use; at least 1,000 pages/s.
"""

from __future__ import annotations

import itertools
import sys
import time

from funnel_audit.classify.corpus import load_corpus
from funnel_audit.classify.store import default_model, default_model_path, load_model


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    started = time.perf_counter()
    default_model()
    first = time.perf_counter() - started
    started = time.perf_counter()
    model = load_model(default_model_path())
    ready = time.perf_counter() - started
    docs = [ex.doc for ex in itertools.islice(itertools.cycle(load_corpus()), n)]
    started = time.perf_counter()
    model.predict(docs)
    with_reasons = time.perf_counter() - started
    started = time.perf_counter()
    model.predict(docs, n_reasons=0)
    bare = time.perf_counter() - started
    print(f"first default_model() call this run: {first:.2f}s (trains only if not cached)")
    print(f"model ready from cache: {ready:.2f}s")
    print(f"classified {n} pages with reasons: {n / with_reasons:,.0f} pages/s")
    print(f"classified {n} pages without reasons: {n / bare:,.0f} pages/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
