"""Re-audit cost: a monthly re-audit of an unchanged site against the first audit.

Usage: python benchmarks/reaudit_bench.py [--pages N] [--concurrency C]
Generates an N-page site with ../shared/bench/gen_site.py when present (else uses the bundled
sample site), serves it on 127.0.0.1 with Python's http.server (Last-Modified and 304 answers),
audits it twice into one history database, and prints wall time, requests, how many were
answered 304 Not Modified, and the ratio.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench" / "gen_site.py"


class _Handler(SimpleHTTPRequestHandler):
    served: list[int] = []

    def log_request(self, code: object = "-", size: object = "-") -> None:
        self.served.append(int(code) if str(code).isdigit() else 0)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="reaudit-"))
    site = work / "site"
    if SHARED.is_file():
        subprocess.run(
            [sys.executable, str(SHARED), "--pages", str(args.pages), "--out", str(site)],
            check=True,
            capture_output=True,
        )
    else:
        shutil.copytree(ROOT / "sample_sites" / "harbourline-plumbing", site)
    handler = functools.partial(_Handler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    db = work / "history.sqlite3"
    results = []
    try:
        for run in ("first audit", "re-audit"):
            _Handler.served.clear()
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "funnel_audit",
                    "audit",
                    url,
                    "--quiet",
                    "--db",
                    str(db),
                    "--out",
                    str(work / run.replace(" ", "-")),
                    "--max-pages",
                    str(int(args.pages * 1.1) + 10),
                    "--concurrency",
                    str(args.concurrency),
                ],
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            results.append(
                (
                    run,
                    time.perf_counter() - started,
                    len(_Handler.served),
                    _Handler.served.count(304),
                )
            )
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    print("| run | wall s | requests | answered 304 |")
    print("|---|---:|---:|---:|")
    for run, wall, requests, unchanged in results:
        print(f"| {run} | {wall:.1f} | {requests} | {unchanged} |")
    (_, w1, _, _), (_, w2, _, _) = results
    print(f"re-audit / first audit wall time: {w2 / w1:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
