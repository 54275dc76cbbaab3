"""Distributed benchmark: many local sites audited by 1, 2 and 3 Celery workers on this machine,
and the same with one worker killed mid-run (nothing may be lost).

Usage (from the repository root, with the project's environment and the `postgres` and
`distributed` extras):
    python benchmarks/distributed_bench.py [--sites 60] [--pages 200] [--workers 1,2,3]
                                           [--concurrency 1] [--no-kill] [--keep DIR]
                                           [--json [FILE]]
    python benchmarks/distributed_bench.py --sites 6 --pages 30      # a quick try

What it does:
1. generates --sites different sites of --pages pages (../shared/bench/gen_site.py, one seed per
   site, when present and --pages >= 100; else a small built-in generator) and serves each on
   its own port of 127.0.0.1 (its own host for the crawler's scope and for the workers'
   one-worker-per-host politeness): one nginx with a server block per site and an access log,
   or, without nginx, threaded Python servers in this process;
2. starts its own PostgreSQL (initdb in a temporary folder; as root, run as the `postgres` user)
   and, for each run, a fresh Redis, both on free ports of 127.0.0.1;
3. for each N of --workers: a fresh database, N `funnel-audit worker --concurrency C`
   processes (C = --concurrency, 1 by default; each in its own process group), then
   `funnel-audit run-due --broker --db --wait` over a funnel-audit.toml listing every site;
   wall time is run-due's, pages are the page rows of the complete audits in the database;
   every 0.2 s it samples /proc for each worker's
   process tree (RSS summed over the tree, and PSS, which counts shared pages once) and CPU
   time (with the CPU of exited children, as their parents reaped them), and the CPU of
   PostgreSQL, Redis and the web server;
4. for each N >= 2 (unless --no-kill), the same again, with the process group of one worker
   that is auditing a site SIGKILLed once a third of the sites are done (it is not restarted);
   then checks that nothing was lost: every site has exactly one complete audit, every job is
   done, no page row is written twice; and counts, from the web server's log, the pages
   requested more than once, and how many of the pages the killed audit had committed were
   fetched again (a resumed audit keeps them: this must be 0);
5. prints a table (or, with --json, one JSON document) including the database's size per
   1,000 pages (pg_database_size and each table's pg_total_relation_size, as written and after
   VACUUM FULL, and the size of a `pg_dump -Fc` backup) and what Redis held at its peak (its
   memory, and the queue at its longest).

Everything is stopped at the end, also on Ctrl-C or SIGTERM. Without --keep the generated sites
and logs are deleted; with --keep DIR they stay in DIR (worker and run-due logs, the configs,
the web server's access log, PostgreSQL's and Redis' logs). The model cache is
benchmarks/.work/model-cache, warmed before any timing so no timed run trains.
Exit code: 0 when every run lost nothing, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import glob
import html
import json
import math
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work"
GEN_SITE = ROOT.parent / "shared" / "bench" / "gen_site.py"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SAMPLE_SECONDS = 0.2
DB_USER = "bench"


def say(message: str) -> None:
    print(f"[dbench] {message}", file=sys.stderr, flush=True)


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports of 127.0.0.1 (held together while picked)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


# -- sites -------------------------------------------------------------------------------------
SECTIONS = (  # (folder, share of the pages, words that lean a page towards a stage)
    ("blog", 0.45, "guide tips ideas explained beginner what why how learn basics trends"),
    ("compare", 0.25, "compare versus features alternatives review case study results webinar"),
    ("pricing", 0.15, "pricing plans cost quote trial upgrade billing annual monthly discount"),
    ("start", 0.15, "book demo sign up buy contact today call order start account checkout"),
)
TRADES = (
    "plumbing accounting roofing dental catering landscaping payroll logistics tutoring "
    "bookkeeping insurance cleaning fitness printing security hosting legal recruiting"
).split()
FILLER = (
    "the a of and to in for with on our your team customers service project work time people "
    "plan results quality local business help every year month clients support process data "
    "simple fast better small large new local trusted expert experience value options"
).split()


def _page_html(rng: random.Random, title: str, words: list[str], links: list[str]) -> str:
    paragraphs = []
    for _ in range(rng.randint(5, 10)):
        text = " ".join(rng.choice(words if rng.random() < 0.3 else FILLER) for _ in range(60))
        paragraphs.append(f"<p>{html.escape(text.capitalize())}.</p>")
    nav = "".join(
        f'<li><a href="{u}">{html.escape(u.strip("/") or "home")}</a></li>' for u in links
    )
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}"
        f"</title></head><body><nav><ul>{nav}</ul></nav><main><h1>{html.escape(title)}</h1>"
        f"{''.join(paragraphs)}</main><footer><a href=/start/contact-1/>Contact</a></footer>"
        "</body></html>"
    )


def builtin_site(out: Path, pages: int, seed: int, base_url: str) -> None:
    """A small site of `pages` pages (stdlib only): sections that lean to each funnel stage, a
    link tree of fan-out 8 from the home page, robots.txt and sitemap.xml; `seed` makes it
    differ from the others."""
    rng = random.Random(f"distributed-bench-{seed}")
    trade = TRADES[seed % len(TRADES)]
    urls = ["/"]
    meta = [("home", f"{trade} services")]
    counts = [int((pages - 1) * share) for _, share, _ in SECTIONS]
    counts[0] += pages - 1 - sum(counts)
    for (folder, _, words), count in zip(SECTIONS, counts, strict=True):
        for k in range(count):
            urls.append(f"/{folder}/{trade}-{words.split()[k % 5]}-{k + 1}/")
            meta.append((folder, words))
    if "/start/contact-1/" not in urls:
        urls[-1] = "/start/contact-1/"
    for i, (url, (folder, words)) in enumerate(zip(urls, meta, strict=True)):
        vocab = [*words.split(), trade, trade]
        title = f"{trade.capitalize()} {' '.join(rng.sample(vocab, 3))} ({folder} {i})"
        children = urls[i * 8 + 1 : i * 8 + 9]
        links = ["/", *children, *rng.sample(urls, min(3, len(urls)))]
        folder_path = out / url.strip("/")
        folder_path.mkdir(parents=True, exist_ok=True)
        (folder_path / "index.html").write_text(_page_html(rng, title, vocab, links), "utf-8")
    base = base_url.rstrip("/")
    (out / "robots.txt").write_text(f"User-agent: *\nDisallow:\n\nSitemap: {base}/sitemap.xml\n")
    entries = "".join(f"<url><loc>{base}{u}</loc></url>" for u in urls)
    (out / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>\n'
    )


def generate_sites(folder: Path, ports: list[int], pages: int) -> str:
    """One site per port under `folder` (site01, site02, ...); which generator made them."""
    use_shared = GEN_SITE.is_file() and pages >= 100

    def one(index: int) -> None:
        out = folder / f"site{index + 1:02d}"
        shutil.rmtree(out, ignore_errors=True)
        base = f"http://127.0.0.1:{ports[index]}"
        if use_shared:
            subprocess.run(
                [sys.executable, str(GEN_SITE), "--pages", str(pages), "--out", str(out),
                 "--seed", str(index + 1), "--base-url", base, "--workers", "1"],
                check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        else:
            builtin_site(out, pages, index + 1, base)

    with ThreadPoolExecutor(max_workers=max(1, len(os.sched_getaffinity(0)))) as pool:
        list(pool.map(one, range(len(ports))))
    return "shared gen_site.py" if use_shared else "built-in generator"


# -- web servers -------------------------------------------------------------------------------
Hit = tuple[int, int, str]  # port, status, path


class Nginx:
    """One nginx serving every site on its own port, with an access log of port, status, path."""

    kind = "nginx"

    def __init__(self, run: Path, sites: list[Path], ports: list[int]) -> None:
        self.run = run
        self.log = run / "access.log"
        run.mkdir(parents=True, exist_ok=True)
        (run / "tmp").mkdir(exist_ok=True)
        self.log.touch()
        servers = "".join(
            f"  server {{ listen 127.0.0.1:{port}; root {site}; index index.html;\n"
            "    location / { try_files $uri $uri/ =404; } }\n"
            for site, port in zip(sites, ports, strict=True)
        )
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
        tmp = run / "tmp"
        conf = run / "nginx.conf"
        conf.write_text(
            f"{user}worker_processes 1;\nworker_rlimit_nofile 16384;\ndaemon off;\n"
            f"pid {run}/nginx.pid;\nerror_log {run}/error.log warn;\n"
            "events { worker_connections 4096; }\nhttp {\n"
            "  types { text/html html; text/css css; application/javascript js; "
            "image/svg+xml svg; application/xml xml; text/plain txt; application/json json; }\n"
            "  default_type application/octet-stream; charset utf-8;\n"
            "  log_format bench '$server_port $status $request_uri';\n"
            f"  access_log {self.log} bench;\n"
            "  sendfile on; tcp_nodelay on; keepalive_timeout 65s; server_tokens off;\n"
            "  open_file_cache max=4000 inactive=120s;\n"
            f"  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; "
            f"fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; "
            f"scgi_temp_path {tmp}/scgi;\n{servers}}}\n"
        )
        check = subprocess.run(
            ["nginx", "-t", "-q", "-p", str(run), "-c", str(conf), "-e", str(run / "error.log")],
            capture_output=True,
            text=True,
        )
        if check.returncode:
            raise RuntimeError(f"nginx refused its config: {check.stderr.strip()[-400:]}")
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(run), "-c", str(conf), "-e", str(run / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid = self.proc.pid

    def mark(self) -> int:
        return self.log.stat().st_size

    def since(self, mark: int) -> list[Hit]:
        with open(self.log, "rb") as handle:
            handle.seek(mark)
            lines = handle.read().decode("utf-8", "replace").splitlines()
        hits = []
        for line in lines:
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
                hits.append((int(parts[0]), int(parts[1]), parts[2]))
        return hits

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)


class _Logged(SimpleHTTPRequestHandler):
    hits: list[Hit]

    def log_request(self, code: object = "-", size: object = "-") -> None:
        status = int(str(code)) if str(code).isdigit() else 0
        port = cast(ThreadingHTTPServer, self.server).server_port
        self.hits.append((port, status, self.path))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class PythonServers:
    """Without nginx: a threaded Python server per site, in this process (slower; said so)."""

    kind = "python http.server"

    def __init__(self, sites: list[Path], ports: list[int]) -> None:
        self.hits: list[Hit] = []
        handler = type("Logged", (_Logged,), {"hits": self.hits})
        self.servers = []
        for site, port in zip(sites, ports, strict=True):
            server = ThreadingHTTPServer(
                ("127.0.0.1", port), functools.partial(handler, directory=str(site))
            )
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
        self.pid: int | None = None  # they are this process: its own CPU is theirs

    def mark(self) -> int:
        return len(self.hits)

    def since(self, mark: int) -> list[Hit]:
        return list(self.hits[mark:])

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


# -- PostgreSQL and Redis ----------------------------------------------------------------------
def pg_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's programs (Debian keeps them out of PATH)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Postgres:
    """A throwaway server in a temporary folder, on a free port of 127.0.0.1 (trust auth on
    loopback; as root it runs as the `postgres` user, since initdb refuses root)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.base = Path(tempfile.mkdtemp(prefix="dbench-pg-"))
        self.data = self.base / "data"
        (self.port,) = free_ports(1)
        self.owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            self.owner = (entry.pw_uid, entry.pw_gid)
            os.chown(self.base, *self.owner)
        self.started = False

    def _run(self, *argv: str) -> None:
        extra: dict[str, Any] = {}
        if self.owner is not None:
            extra = {"user": self.owner[0], "group": self.owner[1], "extra_groups": []}
        subprocess.run(
            argv, cwd=self.base, capture_output=True, text=True, check=True, timeout=120,
            env={"PATH": os.environ.get("PATH", ""), "LANG": "C", "LC_ALL": "C"}, **extra,
        )  # fmt: skip

    def start(self) -> None:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", DB_USER, "-E",
                  "UTF8", "--locale=C", "--auth=trust", "--no-sync")  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.base} -c max_connections=200"
        )
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.base / "server.log"), "-w", "-t", "60", "start")  # fmt: skip
        self.started = True

    def pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def url(self, database: str) -> str:
        return f"postgresql://{DB_USER}@127.0.0.1:{self.port}/{database}"

    def sql(self, database: str, statement: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else []

    def dump_size(self, database: str) -> int:
        """The size of `pg_dump -Fc` of the database (a backup as the README advises)."""
        with tempfile.TemporaryDirectory(prefix="dbench-dump-") as folder:
            dump = Path(folder) / "db.dump"
            subprocess.run(
                [str(self.bin_dir / "pg_dump"), "-Fc", "-d", self.url(database), "-f", str(dump)],
                check=True,
                capture_output=True,
                timeout=600,
            )
            return dump.stat().st_size

    def create(self, database: str) -> str:
        self.sql("postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        self.sql("postgres", f"CREATE DATABASE {database} TEMPLATE template0")
        return self.url(database)

    def stop(self, keep: Path | None) -> None:
        if self.started:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                          "-t", "60", "stop")  # fmt: skip
        if keep is not None and (self.base / "server.log").exists():
            shutil.copyfile(self.base / "server.log", keep / "postgresql.log")
        shutil.rmtree(self.base, ignore_errors=True)


class Redis:
    """A throwaway redis-server (no persistence), one per run so its peak figures are the run's."""

    def __init__(self, binary: str) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="dbench-redis-"))
        (self.port,) = free_ports(1)
        self.proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.base),
             "--save", "", "--appendonly", "no", "--logfile", str(self.base / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        self.pid = self.proc.pid
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._client: Any = None
        deadline = time.monotonic() + 20
        while True:
            try:
                self.info()
                return
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop(None)
                    raise
                time.sleep(0.05)

    def info(self) -> dict[str, Any]:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
        try:
            return dict(client.info())
        finally:
            client.close()

    def queue(self) -> tuple[int, int]:
        """Messages waiting in the audit queue, and the bytes its list takes."""
        import redis

        from funnel_audit.jobs.app import QUEUE

        if self._client is None:
            self._client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)
        return int(self._client.llen(QUEUE)), int(self._client.memory_usage(QUEUE) or 0)

    def stop(self, keep: Path | None) -> None:
        """Stop the server and remove its folder (again: nothing happens)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if keep is not None and (self.base / "redis.log").exists():
            shutil.copyfile(self.base / "redis.log", keep / "redis.log")
        shutil.rmtree(self.base, ignore_errors=True)


# -- measuring processes -----------------------------------------------------------------------
@dataclass
class Proc:
    ppid: int
    ticks: int  # own user + system CPU
    child_ticks: int  # CPU of children it reaped
    rss_kb: int


def snapshot() -> dict[int, Proc]:
    """Every process's parent, CPU and RSS, from /proc/PID/stat."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        found[int(entry.name)] = Proc(
            ppid=int(fields[1]),
            ticks=int(fields[11]) + int(fields[12]),
            child_ticks=int(fields[13]) + int(fields[14]),
            rss_kb=int(fields[21]) * PAGE_KB,
        )
    return found


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


@dataclass
class Usage:
    """One process tree's peaks and CPU, sampled."""

    peak_rss_kb: int = 0
    peak_pss_kb: int = 0
    peak_processes: int = 0
    cpu_seconds: float = 0.0  # since the first sample
    cpu_first: float | None = None


class Sampler(threading.Thread):
    """Every SAMPLE_SECONDS: each watched tree's RSS (and PSS) summed over the tree, its peak,
    and its CPU time so far (own CPU of the living processes plus what each reaped)."""

    def __init__(self, roots: dict[str, int], pss: set[str]) -> None:
        super().__init__(daemon=True)
        self.roots = dict(roots)
        self.pss = pss
        self.usage = {label: Usage() for label in roots}
        self.halt = threading.Event()

    def watch(self, label: str, root: int) -> None:
        """Also watch `root`'s tree from the next sample on."""
        self.usage[label] = Usage()
        self.roots[label] = root

    def run(self) -> None:
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(SAMPLE_SECONDS)
        self.sample()

    def sample(self) -> None:
        procs = snapshot()
        children: dict[int, list[int]] = {}
        for pid, proc in procs.items():
            children.setdefault(proc.ppid, []).append(pid)
        for label, root in list(self.roots.items()):
            if root not in procs:
                continue
            tree, todo = [], [root]
            while todo:
                pid = todo.pop()
                tree.append(pid)
                todo += children.get(pid, [])
            usage = self.usage[label]
            usage.peak_rss_kb = max(usage.peak_rss_kb, sum(procs[p].rss_kb for p in tree))
            usage.peak_processes = max(usage.peak_processes, len(tree))
            if label in self.pss:
                usage.peak_pss_kb = max(usage.peak_pss_kb, sum(pss_kb(p) for p in tree))
            cpu = sum(procs[p].ticks + procs[p].child_ticks for p in tree) / CLOCK_TICKS
            if usage.cpu_first is None:
                usage.cpu_first = cpu
            usage.cpu_seconds = max(usage.cpu_seconds, cpu - usage.cpu_first)

    def stop(self) -> dict[str, Usage]:
        self.halt.set()
        self.join()
        return self.usage


def machine_busy() -> tuple[float, float]:
    """All CPUs' busy and total seconds since boot (/proc/stat)."""
    with open("/proc/stat") as handle:
        user, nice, system, idle, iowait, irq, softirq, steal = (
            int(v) for v in handle.readline().split()[1:9]
        )
    busy = user + nice + system + irq + softirq  # guest time is inside user already
    return busy / CLOCK_TICKS, (busy + idle + iowait + steal) / CLOCK_TICKS


def descendants(pid: int) -> list[int]:
    procs = snapshot()
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        kids = [p for p, proc in procs.items() if proc.ppid == parent]
        found += kids
        todo += kids
    return found


# -- workers -----------------------------------------------------------------------------------
class Worker:
    """`funnel-audit worker --concurrency N` in its own process group, its output in a file."""

    def __init__(
        self, index: int, log: Path, broker: str, db: str, env: dict[str, str], concurrency: int
    ) -> None:
        self.index = index
        self.log = log
        self._out = open(log, "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "funnel_audit", "worker", "--broker", broker, "--db", db,
             "--concurrency", str(concurrency)],
            stdout=self._out, stderr=subprocess.STDOUT, env=env, cwd=log.parent,
            start_new_session=True,
        )  # fmt: skip
        self.pid = self.proc.pid
        self.name = f"funnel-audit-{self.pid}-"  # the node name's start
        self.killed_at: float | None = None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, within: float = 120) -> None:
        deadline = time.monotonic() + within
        while " ready." not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {self.index} did not start: {self.output()[-1500:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the whole process group (and any descendant that left it): a machine lost."""
        stragglers = descendants(self.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        for pid in stragglers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """A warm shutdown (SIGTERM to the main process), then whatever is left killed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(ProcessLookupError):  # a pool or parser process left over
            os.killpg(self.pid, signal.SIGKILL)
        if not self._out.closed:
            self._out.close()


# -- one run -----------------------------------------------------------------------------------
@dataclass
class Result:
    workers: int
    killed: bool
    wall_s: float = 0.0
    run_due_exit: int = -1
    pages: int = 0
    pages_ok: int = 0
    sites_complete_once: int = 0
    sites_twice: int = 0
    audits_not_complete: int = 0
    jobs: dict[str, int] = field(default_factory=dict)
    jobs_taken_over: int = 0
    duplicate_page_rows: int = 0
    html_requests: int = 0
    refetched: int = 0
    refetched_committed: int | None = None
    kill: dict[str, Any] = field(default_factory=dict)
    worker_peak_rss_mb: list[float] = field(default_factory=list)
    worker_peak_pss_mb: list[float] = field(default_factory=list)
    worker_cpu_s: list[float] = field(default_factory=list)
    postgres_cpu_s: float = 0.0
    redis_cpu_s: float = 0.0
    web_cpu_s: float = 0.0
    run_due_cpu_s: float = 0.0
    others_cpu_s: float = 0.0  # every other process on the machine: the run was disturbed
    load_before: float = 0.0
    machine_busy_share: float = 0.0
    db_bytes: int = 0
    db_bytes_vacuumed: int = 0
    dump_bytes: int = 0  # pg_dump -Fc, what a daily backup takes
    tables: dict[str, int] = field(default_factory=dict)
    tables_vacuumed: dict[str, int] = field(default_factory=dict)
    redis: dict[str, int] = field(default_factory=dict)
    pg_connections_peak: int = 0  # funnel-audit's connections to the run's database at once
    ok: bool = False

    @property
    def rate(self) -> float:
        return self.pages / self.wall_s if self.wall_s else 0.0


@dataclass
class Setup:
    work: Path
    sites: dict[str, str]  # name -> url
    pages: int
    postgres: Postgres
    redis_binary: str
    web: Nginx | PythonServers
    env: dict[str, str]
    concurrency: int


def write_config(path: Path, sites: dict[str, str], pages: int) -> Path:
    lines = ["[defaults]", f"max_pages = {pages + max(20, pages // 10)}", 'cadence = "monthly"']
    for name, url in sites.items():
        lines += ["", "[[sites]]", f'name = "{name}"', f'url = "{url}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _choose_victim(
    pg: Postgres, database: str, workers: list[Worker], pages: int, patience: bool
) -> tuple[Worker, str, int] | None:
    """The worker to kill: one whose running audit is well under way, 10 pages committed (a
    fifth of a smaller site) and at most 80% of the site (without patience, the running audit
    furthest along); (worker, site, audit id), or None when there is none yet."""
    rows = pg.sql(
        database,
        "SELECT j.worker, j.site, a.id, (SELECT COUNT(*) FROM pages p WHERE p.audit_id = a.id) "
        "FROM jobs j JOIN audits a ON a.target = j.target AND a.status = 'running' "
        "WHERE j.state = 'running' ORDER BY 4 DESC",
    )
    for node, site, audit_id, committed in rows:
        if not patience or min(10, pages // 5) <= committed <= 0.8 * pages:
            for worker in workers:
                if str(node).startswith(worker.name) and worker.proc.poll() is None:
                    return worker, str(site), int(audit_id)
    return None


def _kill_one(
    setup: Setup, database: str, workers: list[Worker], done: int, started: float, label: str
) -> dict[str, Any]:
    """SIGKILL a worker in the middle of an audit, if one is; what was killed, and the pages
    that audit had committed, to check that they are not fetched again."""
    target = math.ceil(len(setup.sites) / 3)
    # wait a little for an audit in the middle of its site, then take any
    patient = done < target + max(1, len(setup.sites) // 15)
    choice = _choose_victim(setup.postgres, database, workers, setup.pages, patient)
    if choice is None:
        return {}
    victim, site, audit_id = choice
    victim.kill()
    at = time.perf_counter() - started
    mark = setup.web.mark()
    time.sleep(0.5)  # a commit already sent by the dead worker lands now or never
    committed = setup.postgres.sql(database, f"SELECT url FROM pages WHERE audit_id = {audit_id}")
    say(
        f"{label}: killed worker {victim.index + 1} (process group {victim.pid}) at {at:.1f} s, "
        f"{done} sites done, mid-audit of {site} ({len(committed)} pages committed)"
    )
    return {
        "worker": victim.index + 1,
        "at_s": round(at, 1),
        "sites_done_then": done,
        "site": site,
        "audit_id": audit_id,
        "pages_committed_then": len(committed),
        "_mark": mark,
        "_urls": [u for (u,) in committed],
    }


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session, and its group, if it still runs."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _connections(pg: Postgres, database: str) -> int:
    """funnel-audit's connections to `database` right now (this look's own left out)."""
    return int(
        pg.sql(
            database,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'funnel-audit' AND pid <> pg_backend_pid()",
        )[0][0]
    )


def run_once(setup: Setup, n: int, kill: bool) -> Result:
    label = f"{n}w" + ("-kill" if kill else "")
    result = Result(workers=n, killed=kill)
    folder = setup.work / "runs" / label
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    database = f"run_{n}w" + ("_kill" if kill else "")
    pg = setup.postgres
    db = pg.create(database)
    config = write_config(folder / "funnel-audit.toml", setup.sites, setup.pages)
    # every process started here is stopped on the way out, whatever happens (each callback
    # runs even when one before it fails or is interrupted)
    with contextlib.ExitStack() as stack:
        redis = Redis(setup.redis_binary)
        stack.callback(redis.stop, folder)
        workers = []
        for i in range(n):
            log = folder / f"worker{i + 1}.log"
            workers.append(Worker(i, log, redis.url, db, setup.env, setup.concurrency))
            stack.callback(workers[-1].stop)
        for worker in workers:
            worker.wait_ready()
        roots = {f"w{w.index}": w.pid for w in workers}
        roots |= {"postgres": pg.pid(), "redis": redis.pid}
        if setup.web.pid is not None:
            roots["web"] = setup.web.pid
        sampler = Sampler(roots, {f"w{w.index}" for w in workers})
        sampler.start()
        stack.callback(sampler.stop)
        mark = setup.web.mark()
        busy0, total0 = machine_busy()
        own0 = os.times()
        result.load_before = os.getloadavg()[0]
        memory_before = int(redis.info()["used_memory"])
        say(
            f"{label}: {n} worker(s) ready; run-due --broker --wait over {len(setup.sites)} "
            f"sites (load average {result.load_before:.2f})"
        )
        started = time.perf_counter()
        out = stack.enter_context(open(folder / "run-due.log", "w"))
        run_due = subprocess.Popen(
            [sys.executable, "-m", "funnel_audit", "run-due", "--config", str(config),
             "--broker", redis.url, "--db", db, "--wait"],
            stdout=out, stderr=subprocess.STDOUT, env=setup.env, cwd=folder,
            start_new_session=True,
        )  # fmt: skip
        stack.callback(_end, run_due)
        sampler.watch("run-due", run_due.pid)
        queue_peak = (0, 0)
        looks = 0
        while run_due.poll() is None:
            time.sleep(0.2)
            length, size = redis.queue()
            if length > queue_peak[0]:
                queue_peak = (length, size)
            looks += 1
            if looks % 5 == 0:
                result.pg_connections_peak = max(
                    result.pg_connections_peak, _connections(pg, database)
                )
            if not kill or result.kill:
                continue
            done = pg.sql(database, "SELECT COUNT(*) FROM jobs WHERE state = 'done'")[0][0]
            if done >= math.ceil(len(setup.sites) / 3):
                result.kill = _kill_one(setup, database, workers, done, started, label)
        result.run_due_exit = run_due.wait()
        result.wall_s = time.perf_counter() - started
        busy1, total1 = machine_busy()
        own1 = os.times()
        hits = setup.web.since(mark)
        after_kill = setup.web.since(result.kill.pop("_mark")) if result.kill else []
        # the orderly end: the workers stop before the sampler's last look, Redis is read
        # before it stops
        for worker in workers:
            worker.stop()
        usage = sampler.stop()
        info = redis.info()
    result.machine_busy_share = (busy1 - busy0) / max(1e-9, total1 - total0)
    for worker in workers:
        one = usage[f"w{worker.index}"]
        result.worker_peak_rss_mb.append(round(one.peak_rss_kb / 1024, 1))
        result.worker_peak_pss_mb.append(round(one.peak_pss_kb / 1024, 1))
        result.worker_cpu_s.append(round(one.cpu_seconds, 1))
    result.postgres_cpu_s = round(usage["postgres"].cpu_seconds, 1)
    result.redis_cpu_s = round(usage["redis"].cpu_seconds, 1)
    own_cpu = own1.user + own1.system - own0.user - own0.system
    result.web_cpu_s = round(usage["web"].cpu_seconds if "web" in usage else own_cpu, 1)
    result.run_due_cpu_s = round(usage["run-due"].cpu_seconds, 1)
    ours = sum(u.cpu_seconds for u in usage.values()) + own_cpu
    result.others_cpu_s = round(max(0.0, (busy1 - busy0) - ours), 1)
    result.redis = {
        key: int(info.get(key, 0))
        for key in ("used_memory_peak", "total_commands_processed", "total_connections_received")
    }
    result.redis |= {
        "used_memory_before": memory_before,
        "queue_peak_messages": queue_peak[0],
        "queue_peak_bytes": queue_peak[1],
    }
    _check(result, pg, database, len(setup.sites), hits, after_kill)
    _sizes(result, pg, database)
    say(
        f"{label}: {result.pages} pages in {result.wall_s:.1f} s ({result.rate:.1f} pages/s), "
        f"{'nothing lost' if result.ok else 'LOST OR DUPLICATED WORK'}"
    )
    return result


def _check(
    result: Result, pg: Postgres, database: str, sites: int, hits: list[Hit], after: list[Hit]
) -> None:
    """Nothing lost, nothing done twice: one complete audit per site, every job done, no page
    row twice; and what the web servers were asked more than once (`after`: since the kill)."""
    per_site = pg.sql(
        database,
        "SELECT site, COUNT(*) FILTER (WHERE status = 'complete'), COUNT(*) FROM audits "
        "GROUP BY site",
    )
    result.sites_complete_once = sum(1 for _, complete, _ in per_site if complete == 1)
    result.sites_twice = sum(1 for _, complete, _ in per_site if complete > 1)
    result.audits_not_complete = sum(total - complete for _, complete, total in per_site)
    result.jobs = dict(pg.sql(database, "SELECT state, COUNT(*) FROM jobs GROUP BY state"))
    result.jobs_taken_over = pg.sql(database, "SELECT COUNT(*) FROM jobs WHERE attempt > 1")[0][0]
    result.duplicate_page_rows = pg.sql(
        database,
        "SELECT COUNT(*) FROM (SELECT audit_id, url FROM pages GROUP BY 1, 2 "
        "HAVING COUNT(*) > 1) AS twice",
    )[0][0]
    result.pages, result.pages_ok = pg.sql(
        database,
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE p.status = 200) FROM pages p "
        "JOIN audits a ON a.id = p.audit_id WHERE a.status = 'complete'",
    )[0]
    pages = [(port, path) for port, status, path in hits if status == 200 and _is_page(path)]
    result.html_requests = len(pages)
    result.refetched = sum(count - 1 for count in Counter(pages).values())
    if result.kill:
        committed = {(urlsplit(u).port, urlsplit(u).path) for u in result.kill.pop("_urls")}
        again = [(port, path) for port, status, path in after if status == 200 and _is_page(path)]
        result.refetched_committed = sum(1 for key in again if key in committed)
    result.ok = (
        result.run_due_exit == 0
        and result.sites_complete_once == sites
        and result.sites_twice == 0
        and result.jobs == {"done": sites}
        and result.duplicate_page_rows == 0
        and (result.refetched_committed or 0) == 0
        and (not result.killed or bool(result.kill))
    )


def _is_page(path: str) -> bool:
    path = path.split("?", 1)[0]
    return (path.endswith("/") or path.endswith(".html")) and not path.startswith("/static/")


def _sizes(result: Result, pg: Postgres, database: str) -> None:
    query = (
        "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 2 DESC"
    )
    result.db_bytes = pg.sql(database, "SELECT pg_database_size(current_database())")[0][0]
    result.tables = dict(pg.sql(database, query))
    result.dump_bytes = pg.dump_size(database)
    pg.sql(database, "VACUUM FULL ANALYZE")
    result.db_bytes_vacuumed = pg.sql(database, "SELECT pg_database_size(current_database())")[0][0]
    result.tables_vacuumed = dict(pg.sql(database, query))


# -- report ------------------------------------------------------------------------------------
def _mb(value: float) -> str:
    return f"{value / 1e6:.1f}"


def table(results: list[Result], sites: int, pages: int, concurrency: int) -> str:
    lines = [
        f"{sites} sites x {pages} pages, `funnel-audit worker --concurrency {concurrency}` per "
        "worker",
        "",
        "| workers | kill | wall s | pages | pages/s | pages/s per worker | peak RSS MB per "
        "worker (tree) | peak PSS MB per worker | worker CPU s per 1k pages | PostgreSQL CPU s "
        "per 1k pages | machine busy (others' CPU s) | complete audits | sites twice | "
        "dup page rows | re-fetched pages (of committed) | nothing lost |",
        "|---:|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        kpages = max(1, r.pages) / 1000
        kill = "-"
        if r.killed:
            kill = (
                f"w{r.kill['worker']} at {r.kill['at_s']:.0f} s" if r.kill else "no kill happened"
            )
        refetch = str(r.refetched)
        if r.refetched_committed is not None:
            refetch += f" ({r.refetched_committed})"
        lines.append(
            f"| {r.workers} | {kill} | {r.wall_s:.1f} | {r.pages} | {r.rate:.1f} | "
            f"{r.rate / r.workers:.1f} | {' / '.join(f'{m:.0f}' for m in r.worker_peak_rss_mb)} | "
            f"{' / '.join(f'{m:.0f}' for m in r.worker_peak_pss_mb)} | "
            f"{sum(r.worker_cpu_s) / kpages:.1f} | {r.postgres_cpu_s / kpages:.2f} | "
            f"{100 * r.machine_busy_share:.0f}% ({r.others_cpu_s:.0f}) | "
            f"{r.sites_complete_once}/{sites} | "
            f"{r.sites_twice} | {r.duplicate_page_rows} | {refetch} | "
            f"{'yes' if r.ok else 'NO'} |"
        )
    lines += [
        "",
        "Database: pg_database_size (an empty database is ~7.5 MB of catalogs), the funnel-audit "
        "tables with their indexes and TOAST as written (and after VACUUM FULL), per 1,000 "
        "pages; Redis at its peak",
        "",
        "| workers | kill | database MB | tables MB | tables MB per 1k pages | pages | "
        "audit_results | audits | pg_dump -Fc MB | Redis peak MB (queue at its longest) | "
        "Redis commands per page | PostgreSQL connections at most |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in results:
        kpages = max(1, r.pages) / 1000
        data, vacuumed = sum(r.tables.values()), sum(r.tables_vacuumed.values())

        def both(table: str, r: Result = r) -> str:
            return f"{_mb(r.tables.get(table, 0))} ({_mb(r.tables_vacuumed.get(table, 0))})"

        lines.append(
            f"| {r.workers} | {'yes' if r.killed else '-'} | {_mb(r.db_bytes)} | "
            f"{_mb(data)} ({_mb(vacuumed)}) | {data / kpages / 1e6:.2f} "
            f"({vacuumed / kpages / 1e6:.2f}) | {both('pages')} | {both('audit_results')} | "
            f"{both('audits')} | {_mb(r.dump_bytes)} | "
            f"{_mb(r.redis.get('used_memory_peak', 0))} ({r.redis.get('queue_peak_messages', 0)} "
            f"messages, {r.redis.get('queue_peak_bytes', 0) / 1e3:.0f} KB) | "
            f"{r.redis.get('total_commands_processed', 0) / max(1, r.pages):.1f} | "
            f"{r.pg_connections_peak} |"
        )
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Needs PostgreSQL (initdb, pg_ctl), redis-server, and the project installed with "
        "its postgres and distributed extras; nginx when present.",
    )
    parser.add_argument("--sites", type=int, default=60, help="sites to audit [60]")
    parser.add_argument("--pages", type=int, default=200, help="pages per site [200]")
    parser.add_argument("--workers", default="1,2,3", help="comma-separated worker counts [1,2,3]")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="each worker's --concurrency: audits it runs at once [1]",
    )
    parser.add_argument(
        "--no-kill", action="store_true", help="skip the runs with one worker killed mid-run"
    )
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="keep the sites, configs and logs in DIR"
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="print one JSON document instead of the tables (with FILE: write it there too)",
    )
    args = parser.parse_args(argv)
    try:
        args.counts = [int(p) for p in args.workers.split(",") if p.strip()]
    except ValueError:
        parser.error("--workers takes comma-separated integers, e.g. 1,2,3")
    if not args.counts or min(args.counts) < 1 or args.sites < 1 or args.pages < 5:
        parser.error("need --workers >= 1, --sites >= 1 and --pages >= 5")
    if args.concurrency < 1:
        parser.error("need --concurrency >= 1")
    return args


def _requirements() -> tuple[Path, str]:
    """PostgreSQL's programs and redis-server, or a one-line reason to stop."""
    missing = []
    for module, extra in (("psycopg", "postgres"), ("celery", "distributed"), ("redis", "")):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"{module} (pip install '.[{extra or 'distributed'}]')")
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        missing.append("PostgreSQL (apt-get install postgresql)")
    redis_binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if redis_binary is None:
        missing.append("redis-server (apt-get install redis-server)")
    if missing:
        raise SystemExit(f"distributed_bench: missing {', '.join(missing)}")
    assert bin_dir is not None and redis_binary is not None
    return bin_dir, redis_binary


def project_env(cache: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"FUNNEL_AUDIT_DB", "FUNNEL_AUDIT_BROKER", "FUNNEL_AUDIT_CONFIG"}
    }
    extra = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + extra if extra else "")
    env["FUNNEL_AUDIT_CACHE"] = str(cache)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _stop_on_signals() -> None:
    """SIGTERM and SIGHUP end the run like Ctrl-C: every `finally` stops what was started."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)


@contextlib.contextmanager
def workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep.resolve()
        return
    path = Path(tempfile.mkdtemp(prefix="dbench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bin_dir, redis_binary = _requirements()
    _stop_on_signals()
    cache = WORK / "model-cache"
    cache.mkdir(parents=True, exist_ok=True)
    env = project_env(cache)
    results: list[Result] = []
    with contextlib.ExitStack() as stack:
        work = stack.enter_context(workdir(args.keep))
        ports = free_ports(args.sites)
        started = time.perf_counter()
        made_by = generate_sites(work / "sites", ports, args.pages)
        say(
            f"generated {args.sites} sites of {args.pages} pages with the {made_by} in "
            f"{time.perf_counter() - started:.1f} s"
        )
        folders = [work / "sites" / f"site{i + 1:02d}" for i in range(args.sites)]
        web: Nginx | PythonServers
        if shutil.which("nginx"):
            web = Nginx(work / "nginx", folders, ports)
        else:
            say("WARNING: no nginx; serving with Python's threaded http.server in this process")
            web = PythonServers(folders, ports)
        stack.callback(web.stop)
        names = {f"site{i + 1:02d}": f"http://127.0.0.1:{port}/" for i, port in enumerate(ports)}
        _wait_served(list(names.values()))
        say(f"serving them with {web.kind} on 127.0.0.1 ports {min(ports)}-{max(ports)}")
        postgres = Postgres(bin_dir)
        stack.callback(postgres.stop, work if args.keep else None)
        postgres.start()
        say(f"PostgreSQL on 127.0.0.1:{postgres.port} ({bin_dir.parent.name})")
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c",
             "from funnel_audit.classify.store import default_model; default_model()"],
            env=env, check=True,
        )  # fmt: skip
        say(f"model cache warm in {time.perf_counter() - started:.1f} s ({cache})")
        setup = Setup(work, names, args.pages, postgres, redis_binary, web, env, args.concurrency)
        plan = [(n, False) for n in args.counts]
        if not args.no_kill:
            plan += [(n, True) for n in args.counts if n >= 2]
        for n, kill in plan:
            results.append(run_once(setup, n, kill))
    report = {
        "sites": args.sites,
        "pages_per_site": args.pages,
        "worker_concurrency": args.concurrency,
        "generator": made_by,
        "web_server": web.kind,
        "cpus": len(os.sched_getaffinity(0)),
        "runs": [asdict(r) | {"pages_per_s": round(r.rate, 2)} for r in results],
    }
    document = json.dumps(report, indent=2, default=str)
    if args.json == "-":
        print(document)
    else:
        if args.json:
            Path(args.json).write_text(document + "\n", encoding="utf-8")
        print(table(results, args.sites, args.pages, args.concurrency))
    return 0 if all(r.ok for r in results) else 1


def _wait_served(urls: list[str], within: float = 15) -> None:
    """Every site answers its home page (the servers are up and can read the files)."""
    import urllib.request

    deadline = time.monotonic() + within
    for url in urls:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} is not served (see the web server's error log)")
            time.sleep(0.1)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("interrupted; everything it started is stopped")
        sys.exit(130)
