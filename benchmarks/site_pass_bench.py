"""Cost of the site-level pass against the whole audit it runs in.

Usage: python benchmarks/site_pass_bench.py [--pages N] [--runs R]
Generates an N-page site with ../shared/bench/gen_site.py when present (else copies the bundled
sample sites under numbered folders until N pages), audits it as a folder with the library API,
and prints the whole audit's wall time, the site-level pass's time inside it, and the share. The
bar: the pass costs at most 10% of a 2,000-page audit.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench" / "gen_site.py"
sys.path.insert(0, str(ROOT))


def _make_site(pages: int, out: Path) -> None:
    if SHARED.is_file():
        subprocess.run(
            [sys.executable, str(SHARED), "--pages", str(pages), "--out", str(out)],
            check=True,
            capture_output=True,
        )
        return
    samples = [p for p in (ROOT / "sample_sites").iterdir() if p.is_dir()]
    made, n = 0, 0
    while made < pages:
        for sample in samples:
            target = out / f"copy-{n}" / sample.name
            shutil.copytree(sample, target)
            made += len(list(target.rglob("*.html")))
        n += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import funnel_audit.classify.site_pass as site_pass
    from funnel_audit.audit import AuditOptions, run_audit
    from funnel_audit.classify.store import default_model
    from funnel_audit.crawl.crawler import CrawlSettings

    model = default_model()
    spent: list[float] = []
    judge = site_pass.judge_site

    def timed(*a: object, **k: object) -> object:
        start = time.perf_counter()
        try:
            return judge(*a, **k)  # type: ignore[arg-type]
        finally:
            spent.append(time.perf_counter() - start)

    site_pass.judge_site = timed  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="site-pass-bench-") as tmp:
        site = Path(tmp) / "site"
        _make_site(args.pages, site)
        print(
            f"site: {sum(1 for _ in site.rglob('*.html'))} HTML files "
            f"({'generated' if SHARED.is_file() else 'copies of the samples'})"
        )
        print("run  audit s  site pass s  share  pages judged")
        for run in range(args.runs):
            opts = AuditOptions(
                target=str(site),
                out_dir=Path(tmp) / f"out{run}",
                crawl=CrawlSettings(max_pages=args.pages + 10),
            )
            start = time.perf_counter()
            outcome = run_audit(opts, model=model, write_outputs=False)
            total = time.perf_counter() - start
            judged = sum(1 for p in outcome.result.pages if p.label_source == "model")
            print(
                f"{run + 1:3}  {total:7.2f}  {spent[-1]:11.2f}  {spent[-1] / total:5.1%}  "
                f"{judged:12}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
