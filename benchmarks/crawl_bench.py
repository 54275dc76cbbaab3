"""Crawl benchmark: the whole `funnel-audit audit` against a plain Scrapy crawl of the same site.

Usage (from the repository root, with the project's environment):
    python benchmarks/crawl_bench.py [--pages 2000,20000] [--repeat 1] [--concurrency 32] [--keep]

For each N it
1. copies the shared benchmark helpers (../shared/bench, read-only) to benchmarks/.work/bench and
   generates a deterministic N-page marketing site with gen_site.py;
2. serves it on 127.0.0.1 with nginx through serve.sh (installing nginx with apt-get when missing;
   falling back to serve.sh's python server, and saying so, when that fails);
3. runs the Scrapy baseline (shared scrapy_spider.py, Scrapy installed into its own venv at
   benchmarks/.work/scrapy-venv from the shared requirements.txt, never into the project's deps)
   and then the whole `funnel-audit audit` (crawl + classify + report) at the same concurrency,
   one after the other, each under `/usr/bin/time -v`;
4. prints a markdown table (medians of --repeat runs) and funnel-audit/Scrapy ratios.

Peak RSS is given twice: as /usr/bin/time reports it (the largest single process of the tree),
and for all processes together (sampled every 0.2 s from /proc), since funnel-audit reads pages
in parser processes beside the crawling one.

By default each timed audit is a first audit on a fresh install: it gets an empty model cache
(FUNNEL_AUDIT_CACHE in a new folder), so it loads the model packaged in funnel_audit/ when that
fits the corpus, and pays for training when it does not. `--warm` instead trains the cache at
benchmarks/.work/model-cache before any timing, so no timed run pays for training. Everything
lives under benchmarks/.work/ (gitignored); the Scrapy venv and the model cache are reused between
runs, generated sites and run outputs are removed at the end unless --keep. Servers are always
stopped. If ../shared/bench is missing, the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work"
SHARED_BENCH = ROOT.parent / "shared" / "bench"
TIME = "/usr/bin/time"


@dataclass
class Run:
    tool: str
    n: int
    pages: int
    wall: float
    rss_mb: float
    exit_code: int
    tree_mb: float = float("nan")

    @property
    def rate(self) -> float:
        return self.pages / self.wall if self.wall > 0 else 0.0


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def sh(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(cmd, text=True, **kwargs)


def apt_install(package: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    say(f"installing {package} with apt-get ...")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    sh(["apt-get", "update", "-qq"], **quiet)
    return sh(["apt-get", "install", "-y", "-qq", package], **quiet).returncode == 0


# -- setup -------------------------------------------------------------------------------------
def copy_bench(source: Path) -> Path:
    """A writable copy of the shared helpers (serve.sh keeps its state beside itself)."""
    dest = WORK / "bench"
    dest.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_file():
            target = dest / item.name
            if target.exists():
                target.chmod(0o755)
            shutil.copyfile(item, target)
            target.chmod(0o755)
    return dest


def ensure_time() -> None:
    if not Path(TIME).exists() and not apt_install("time"):
        sys.exit(f"{TIME} is missing and could not be installed (apt-get install -y time)")


def ensure_nginx() -> str:
    if shutil.which("nginx") or apt_install("nginx") and shutil.which("nginx"):
        return "nginx"
    say(
        "WARNING: nginx is not available; falling back to serve.sh's python http.server "
        "(single-threaded: the server may become the bottleneck)"
    )
    return "python"


def ensure_scrapy(bench: Path) -> Path:
    """benchmarks/.work/scrapy-venv with the shared requirements; reused while they match."""
    venv = WORK / "scrapy-venv"
    requirements = bench / "requirements.txt"
    stamp = venv / ".requirements.sha256"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    scrapy = venv / "bin" / "scrapy"
    if scrapy.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return scrapy
    say(f"creating {venv.relative_to(ROOT)} from {requirements} (once; a few minutes) ...")
    if venv.exists():
        shutil.rmtree(venv)
    base = shutil.which("python3.11") or shutil.which("python3") or sys.executable
    sh([base, "-m", "venv", str(venv)], check=True)
    pip = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
    ]
    log = WORK / "scrapy-venv-install.log"
    with open(log, "w") as handle:
        if sh([*pip, "-r", str(requirements)], stdout=handle, stderr=subprocess.STDOUT).returncode:
            sys.exit(f"installing the Scrapy baseline failed; see {log}")
    stamp.write_text(digest)
    return scrapy


def project_env(cache: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    extra = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + extra if extra else "")
    env["FUNNEL_AUDIT_CACHE"] = str(cache or WORK / "model-cache")
    return env


def warm_model() -> float:
    started = time.perf_counter()
    code = "from funnel_audit.classify.store import default_model; default_model()"
    sh([sys.executable, "-c", code], env=project_env(), check=True)
    return time.perf_counter() - started


def free_port() -> int:
    for port in range(8765, 8790):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def generate_site(bench: Path, n: int, base_url: str) -> Path:
    """sites/sN, generated with absolute URLs (sitemap, canonical) on `base_url`; reused if kept."""
    site = WORK / "sites" / f"s{n}"
    stamp = site / ".bench-stamp"
    want = json.dumps(
        {
            "pages": n,
            "base_url": base_url,
            "gen": hashlib.sha256((bench / "gen_site.py").read_bytes()).hexdigest(),
        }
    )
    if stamp.exists() and stamp.read_text() == want:
        say(f"reusing generated site {site.relative_to(ROOT)}")
        return site
    if site.exists():
        shutil.rmtree(site)
    site.parent.mkdir(parents=True, exist_ok=True)
    say(f"generating a {n}-page site ...")
    started = time.perf_counter()
    sh(
        [
            sys.executable,
            str(bench / "gen_site.py"),
            "--pages",
            str(n),
            "--out",
            str(site),
            "--base-url",
            base_url,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    stamp.write_text(want)
    say(f"generated in {time.perf_counter() - started:.1f}s")
    return site


_RAISE_NOFILE = 'ulimit -n 131072 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec bash "$0" "$@"'


class Server:
    def __init__(self, bench: Path, site: Path, server: str, port: int, name: str) -> None:
        self.serve = bench / "serve.sh"
        self.name = name
        self.started = False
        # serve.sh's nginx caches up to 100,000 open files (open_file_cache) but inherits our fd
        # limit; past it nginx answers 404 ("Too many open files") on 20,000-page sites. Raise
        # the limit where allowed; main() also restarts the server before every timed run so
        # each tool starts from the same fresh server.
        cmd = [
            "bash",
            "-c",
            _RAISE_NOFILE,
            str(self.serve),
            "start",
            str(site),
            "--server",
            server,
            "--port",
            str(port),
            "--name",
            name,
        ]
        result = sh(cmd, capture_output=True)
        if result.returncode != 0 and server == "nginx":
            say(f"nginx did not start ({result.stderr.strip()}); falling back to the python server")
            cmd[cmd.index("nginx")] = "python"
            result = sh(cmd, capture_output=True)
            server = "python"
        if result.returncode != 0:
            raise RuntimeError(f"serve.sh start failed: {result.stderr.strip()}")
        self.started = True
        self.kind = server
        self.url = sh(
            ["bash", str(self.serve), "url", "--name", name], capture_output=True, check=True
        ).stdout.strip()
        say(result.stdout.strip())

    def stop(self) -> None:
        if self.started:
            result = sh(["bash", str(self.serve), "stop", "--name", self.name], capture_output=True)
            say(result.stdout.strip() or result.stderr.strip())
            self.started = False


# -- measuring ---------------------------------------------------------------------------------
def _tree_rss_kb(root: int) -> int:
    """Resident memory of `root` and all its descendants (Linux /proc), in KiB."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def timed(
    cmd: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, float, int, float]:
    """Run `cmd` under /usr/bin/time -v: (wall seconds, peak RSS MB of the largest process as
    time reports it, exit code, peak RSS MB of the whole process tree, sampled every 0.2 s)."""
    stats = log.with_suffix(".time")
    tree_peak = 0
    with open(log, "w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [TIME, "-v", "-o", str(stats), *cmd],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            text=True,
        )
        while proc.poll() is None:
            tree_peak = max(tree_peak, _tree_rss_kb(proc.pid) - _own_rss_kb(proc.pid))
            time.sleep(0.2)
        code = proc.returncode
        wall = time.perf_counter() - started
    text = stats.read_text() if stats.exists() else ""
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    clock = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    status = re.search(r"Exit status: (\d+)", text)
    if status:
        code = int(status.group(1))
    if clock:
        seconds = 0.0
        for part in clock.group(1).split(":"):
            seconds = seconds * 60 + float(part)
        wall = seconds
    return (wall, (int(rss.group(1)) / 1024 if rss else float("nan")), code, tree_peak / 1024)


def _own_rss_kb(pid: int) -> int:
    """The /usr/bin/time process itself, left out of the tree's total."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_scrapy(scrapy: Path, bench: Path, url: str, n: int, conc: int, out: Path) -> Run:
    jsonl = out / "scrapy.jsonl"
    cmd = [
        str(scrapy),
        "runspider",
        str(bench / "scrapy_spider.py"),
        "-a",
        f"start_url={url}",
        "-O",
        str(jsonl),
        "-s",
        f"CONCURRENT_REQUESTS={conc}",
        "-s",
        f"CONCURRENT_REQUESTS_PER_DOMAIN={conc}",
        "-s",
        "REMOTE_CONTROL_ENABLED=False",
        "-s",
        "LOG_LEVEL=WARNING",
    ]
    wall, rss, code, tree = timed(cmd, out / "scrapy.log", cwd=out)
    pages = 0
    if jsonl.exists():
        with open(jsonl) as handle:
            pages = sum(1 for line in handle if line.strip())
    return Run("Scrapy (crawl only)", n, pages, wall, rss, code, tree)


def audit_command(url: str, n: int, conc: int, report: Path) -> list[str]:
    # --max-pages above N so the whole site is crawled, as Scrapy does (it has no page limit)
    return [
        sys.executable,
        "-m",
        "funnel_audit",
        "audit",
        url,
        "--out",
        str(report),
        "--no-history",
        "--quiet",
        "--max-pages",
        str(n + n // 10 + 10),
        "--concurrency",
        str(conc),
    ]


TRAINED_DURING_RUN: list[int] = []


def model_files() -> set[str]:
    return {p.name for p in (WORK / "model-cache").glob("model-*.npz")}


def run_audit(url: str, n: int, conc: int, out: Path, *, fresh: bool) -> Run:
    report = out / "report"
    if fresh:
        cache = out / "fresh-cache"
        shutil.rmtree(cache, ignore_errors=True)
        wall, rss, code, tree = timed(
            audit_command(url, n, conc, report), out / "audit.log", env=project_env(cache), cwd=ROOT
        )
        if list(cache.glob("model-*.npz")):
            TRAINED_DURING_RUN.append(n)
            say("NOTE: the first audit trained a model (the packaged one does not fit the corpus)")
        return _counted(report, n, wall, rss, code, tree)
    # untimed: makes sure the cached model matches the corpus as it is now (a training corpus
    # edited since the first warm-up would otherwise make the timed run train)
    warm_model()
    before = model_files()
    wall, rss, code, tree = timed(
        audit_command(url, n, conc, report), out / "audit.log", env=project_env(), cwd=ROOT
    )
    if model_files() - before:
        TRAINED_DURING_RUN.append(n)
        say(
            "WARNING: the timed audit trained a model (the corpus changed during the run); "
            "its time includes training, run again"
        )
    return _counted(report, n, wall, rss, code, tree)


def _counted(report: Path, n: int, wall: float, rss: float, code: int, tree: float) -> Run:
    pages = 0
    pages_csv = report / "pages.csv"
    if pages_csv.exists():
        with open(pages_csv, newline="", encoding="utf-8-sig") as handle:
            pages = sum(1 for row in csv.DictReader(handle) if row.get("status") == "200")
    return Run("funnel-audit (whole audit)", n, pages, wall, rss, code, tree)


def median_run(runs: list[Run]) -> Run:
    first = runs[0]
    return Run(
        first.tool,
        first.n,
        int(statistics.median(r.pages for r in runs)),
        statistics.median(r.wall for r in runs),
        statistics.median(r.rss_mb for r in runs),
        max(r.exit_code for r in runs),
        statistics.median(r.tree_mb for r in runs),
    )


def table(rows: list[Run]) -> str:
    lines = [
        "| tool | N | pages | wall s | pages/s | peak RSS MB (largest process) | "
        "peak RSS MB (all processes) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        flag = "" if r.exit_code == 0 else f" (exit {r.exit_code})"
        lines.append(
            f"| {r.tool}{flag} | {r.n} | {r.pages} | {r.wall:.1f} | {r.rate:.1f} | "
            f"{r.rss_mb:.0f} | {r.tree_mb:.0f} |"
        )
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pages", default="2000,20000", help="comma-separated site sizes [default: 2000,20000]"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; medians reported")
    parser.add_argument("--concurrency", type=int, default=32, help="for both tools [32]")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="train the model cache before timing [default: each audit is a fresh install's first]",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep generated sites and run outputs under benchmarks/.work/",
    )
    parser.add_argument(
        "--bench-dir",
        type=Path,
        default=SHARED_BENCH,
        help=f"the shared helpers [default: {SHARED_BENCH}]",
    )
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(p) for p in args.pages.split(",") if p.strip()]
    except ValueError:
        parser.error("--pages takes comma-separated integers, e.g. 2000,20000")
    if not args.sizes or min(args.sizes) < 100 or args.repeat < 1 or args.concurrency < 1:
        parser.error("need sizes >= 100 (gen_site's minimum), --repeat >= 1, --concurrency >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.bench_dir / "gen_site.py").is_file():
        print(
            f"crawl_bench: the shared benchmark helpers are not at {args.bench_dir} "
            "(gen_site.py, serve.sh, scrapy_spider.py); nothing to measure."
        )
        return 0
    # SIGTERM/SIGHUP become SystemExit so `finally` stops the servers
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    WORK.mkdir(parents=True, exist_ok=True)
    bench = copy_bench(args.bench_dir)
    ensure_time()
    server_kind = ensure_nginx()
    scrapy = ensure_scrapy(bench)
    if args.warm:
        say("warming the model cache (FUNNEL_AUDIT_CACHE=benchmarks/.work/model-cache) ...")
        say(f"model ready in {warm_model():.1f}s; timed runs load the cached model, never train")
    else:
        say("each timed audit starts from an empty model cache, as on a fresh install")

    rows: list[Run] = []
    commands: list[str] = []
    for n in args.sizes:
        port = free_port()
        site = generate_site(bench, n, f"http://127.0.0.1:{port}")
        out = WORK / "runs" / f"s{n}"
        server = None
        try:
            scrapy_runs, audit_runs = [], []
            for i in range(args.repeat):
                for runs, fn, label in (
                    (scrapy_runs, run_scrapy, "Scrapy"),
                    (audit_runs, None, "funnel-audit"),
                ):
                    if server is not None:
                        server.stop()
                    server = Server(bench, site, server_kind, port, f"crawl-bench-{n}")
                    server_kind = server.kind
                    run_dir = out / f"{label.lower()}-{i + 1}"
                    if run_dir.exists():
                        shutil.rmtree(run_dir)
                    run_dir.mkdir(parents=True)
                    if fn is not None:
                        run = fn(scrapy, bench, server.url, n, args.concurrency, run_dir)
                    else:
                        run = run_audit(
                            server.url, n, args.concurrency, run_dir, fresh=not args.warm
                        )
                    say(
                        f"N={n} run {i + 1}/{args.repeat} {label}: {run.pages} pages in "
                        f"{run.wall:.1f}s ({run.rate:.1f} pages/s), peak RSS {run.rss_mb:.0f} MB"
                        + (
                            ""
                            if run.exit_code == 0
                            else f", EXIT {run.exit_code} (see {run_dir.relative_to(ROOT)})"
                        )
                    )
                    runs.append(run)
            rows += [median_run(scrapy_runs), median_run(audit_runs)]
            commands.append(
                " ".join(
                    audit_command(
                        server.url, n, args.concurrency, Path(f"benchmarks/.work/runs/s{n}/report")
                    )
                )
            )
        finally:
            if server is not None:
                server.stop()
            if not args.keep:
                shutil.rmtree(site, ignore_errors=True)
                shutil.rmtree(out, ignore_errors=True)

    print()
    print(
        f"## Crawl benchmark: concurrency {args.concurrency}, medians of {args.repeat} run(s), "
        f"{os.cpu_count()} CPU(s), server: {server_kind}"
    )
    if TRAINED_DURING_RUN:
        print(
            f"NOTE: audit runs at N={sorted(set(TRAINED_DURING_RUN))} trained the model: their "
            "figures include training."
        )
    elif args.warm:
        print("Model cache warmed before timing (no timed run trained the classifier).")
    else:
        print("Each audit was a fresh install's first (empty model cache); none had to train.")
    print()
    print(table(rows))
    print()
    for scrapy_run, audit_run in zip(rows[::2], rows[1::2], strict=True):
        speed = audit_run.rate / scrapy_run.rate if scrapy_run.rate else float("nan")
        memory = audit_run.rss_mb / scrapy_run.rss_mb if scrapy_run.rss_mb else float("nan")
        verdict = "meets" if speed >= 1.0 else "misses"
        print(
            f"- N={audit_run.n}: funnel-audit/Scrapy throughput = {speed:.2f}x "
            f"({verdict} the >= 1.0x target; aim 1.5x), wall = "
            f"{audit_run.wall / scrapy_run.wall:.2f}x, peak RSS = {memory:.2f}x "
            f"({audit_run.rss_mb:.0f} MB largest process, {audit_run.tree_mb:.0f} MB all "
            "processes; target < 300 MB at 20,000 pages)"
        )
    print()
    print("funnel-audit command (PYTHONPATH=. FUNNEL_AUDIT_CACHE=benchmarks/.work/model-cache):")
    for command in commands:
        print(f"    {command}")
    return 0 if all(r.exit_code == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
