"""The distributed mode against real servers: PostgreSQL and Redis on 127.0.0.1, sites served
on 127.0.0.1, `funnel-audit worker` processes, `run-due --broker`, `beat`; a worker killed with
SIGKILL mid-audit. No password (the database's or Redis') may appear in any output."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from funnel_audit.store.open import open_store
from tests.conftest import SAMPLES
from tests.farm import Traffic, cli, serve_sites, workers, write_config
from tests.pg_server import PASSWORD as PG_PASSWORD
from tests.pg_server import run_sql
from tests.redis_server import PASSWORD as REDIS_PASSWORD

pytestmark = pytest.mark.usefixtures("model")  # the model cache is warm: no worker trains
SECRETS = (PG_PASSWORD, REDIS_PASSWORD)


def _clean(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"a password was shown: {text[-500:]}"


def _jobs(db: str) -> list[tuple[str, str, int]]:
    return run_sql(db, "SELECT site, state, attempt FROM jobs ORDER BY site")  # type: ignore[return-value]


def test_two_workers_one_killed_mid_audit_six_complete_audits(
    tmp_path: Path, pg_url: str, broker: str
) -> None:
    """The issue's check: six sites, two workers, `run-due --broker --wait`, one worker killed
    (SIGKILL, pool too) while it audits; six complete audits, one per site, no page twice, the
    killed audit resumed without fetching its committed pages again; export and portfolio
    work from the database."""
    traffic = Traffic()
    with serve_sites([SAMPLES / "ledgerloop"] * 6, 0.25, traffic) as urls:
        sites = {f"site{i}": url for i, url in enumerate(urls, 1)}
        config = write_config(tmp_path / "funnel-audit.toml", sites, max_pages=20, concurrency=1)
        with workers(tmp_path, 2, pg_url, broker, "--concurrency", "2") as (first, second):
            waiting = subprocess.Popen(
                [sys.executable, "-m", "funnel_audit", "run-due", "--config", str(config),
                 "--broker", broker, "--db", pg_url, "--wait"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            # kill the first worker once an audit it runs has committed a few pages
            deadline, mine = time.monotonic() + 90, []
            while time.monotonic() < deadline and not mine:
                time.sleep(0.2)
                mine = run_sql(
                    pg_url,
                    "SELECT a.id FROM jobs j JOIN audits a ON a.target = j.target "
                    "AND a.status = 'running' WHERE j.state = 'running' AND j.worker LIKE "
                    f"'{first.name}%' AND (SELECT COUNT(*) FROM pages p WHERE p.audit_id = "
                    "a.id) >= 4",
                )
            assert mine, f"no audit of the first worker got going: {first.output()[-3000:]}"
            first.kill()
            killed = run_sql(
                pg_url,
                "SELECT a.id, a.target, p.url FROM audits a JOIN pages p ON p.audit_id = a.id "
                "WHERE a.status = 'running'",
            )
            hits_before = len(traffic.hits)
            out, err = waiting.communicate(timeout=180)
            assert waiting.returncode == 0, out + err
            _clean(out, err, first.output(), second.output())
    assert "was left by a worker that died: sent again" in second.output()
    audits = run_sql(pg_url, "SELECT site, status, COUNT(*) FROM audits GROUP BY site, status")
    assert sorted(audits) == sorted((f"127.0.0.1_{u.split(':')[2].strip('/')}", "complete", 1)
                                    for u in urls)  # fmt: skip
    twice = "SELECT audit_id, url FROM pages GROUP BY 1, 2 HAVING COUNT(*) > 1"
    assert run_sql(pg_url, twice) == []
    jobs = _jobs(pg_url)
    assert [(s, st) for s, st, _ in jobs] == [(name, "done") for name in sorted(sites)]
    assert max(attempt for _, _, attempt in jobs) == 2, jobs  # the killed ones were taken over
    # the killed audits were resumed: not one page they had committed was fetched again
    committed = {(int(t.split(":")[2].strip("/")), "/" + u.split("/", 3)[3]) for _, t, u in killed}
    assert committed and not committed & set(traffic.hits[hits_before:])
    for line in ("6 site(s): 6 queued", "6 site(s) waited for: 6 audited, 0 failed"):
        assert line in out, out
    # reports on any machine from the database alone
    done = cli("export", "site3", "--db", pg_url, "--out", str(tmp_path / "export"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "export" / "report.html").is_file()
    board = cli("portfolio", "--config", str(config), "--db", pg_url, "--json")
    assert board.returncode == 0, board.stderr
    assert len(json.loads(board.stdout)["sites"]) == 6
    _clean(done.stdout, done.stderr, board.stdout, board.stderr)


def test_two_run_due_at_once_queue_each_site_once(
    tmp_path: Path, pg_url: str, broker: str, redis_server
) -> None:  # noqa: ANN001
    sites = {f"s{i}": str(SAMPLES / "ledgerloop") for i in range(8)}  # eight names, one folder
    config = write_config(tmp_path / "funnel-audit.toml", sites)
    argv = [sys.executable, "-m", "funnel_audit", "run-due", "--config", str(config),
            "--broker", broker, "--db", pg_url]  # fmt: skip
    open_store(pg_url).close()  # migrated: both start at the same line
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]  # fmt: skip
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    text = "".join(out + err for out, err in outputs)
    _clean(text)
    assert sorted(r[0] for r in run_sql(pg_url, "SELECT site FROM jobs")) == sorted(sites)
    queued = [line.split()[0] for line in text.splitlines() if " queued " in f"{line} "
              and line.split()[1:2] == ["queued"]]  # fmt: skip
    assert sorted(queued) == sorted(sites), text
    assert text.count("already-queued") == len(sites), text
    number = int(broker.rsplit("/", 1)[1])
    assert redis_server.client(number).llen("funnel-audit") == len(sites)
    # and the database itself refuses a second live job for a site, whoever writes it
    with pytest.raises(Exception, match="jobs_live|unique"):
        run_sql(pg_url, "INSERT INTO jobs (site, target, state, spec, queued_at) "
                        "VALUES ('s1', 'x', 'queued', '{}', 'now')")  # fmt: skip


def test_a_busy_host_is_deferred_not_failed(tmp_path: Path, pg_url: str, broker: str) -> None:
    """While another worker crawls the site's host, the task goes back to the queue for later
    (no failure, no attempt counted), and runs once the host is free."""
    from funnel_audit.jobs.runner import host_lock

    with serve_sites([SAMPLES / "ledgerloop"], 0.0, Traffic()) as (url,):
        config = write_config(tmp_path / "funnel-audit.toml", {"solo": url}, max_pages=5)
        store = open_store(pg_url)
        with workers(tmp_path, 1, pg_url, broker, "--busy-host-delay", "0.5") as (worker,):
            with host_lock(store, url) as free:  # as a worker on another machine would
                assert free
                queued = cli("run-due", "--config", str(config), "--broker", broker, "--db", pg_url)
                assert queued.returncode == 0, queued.stderr
                deadline = time.monotonic() + 30
                while worker.output().count("being crawled by another worker") < 3:
                    assert time.monotonic() < deadline, worker.output()
                    time.sleep(0.1)
                assert _jobs(pg_url) == [("solo", "queued", 0)]
            deadline = time.monotonic() + 60
            while _jobs(pg_url)[0][1] == "queued" and time.monotonic() < deadline:
                time.sleep(0.2)
            while _jobs(pg_url)[0][1] == "running" and time.monotonic() < deadline:
                time.sleep(0.2)
        store.close()
        _clean(queued.stdout, queued.stderr, worker.output())
    assert _jobs(pg_url) == [("solo", "done", 1)], worker.output()[-3000:]


def test_the_cap_on_requests_in_flight_holds_across_workers_and_wait_exits_8(
    tmp_path: Path, pg_url: str, broker: str
) -> None:
    """Two workers, three sites crawled four requests at a time each, a cap of 2 in flight:
    the servers never see more than 2 at once. A site that cannot be reached fails, so
    `--wait` exits 8; the workers write the others' files under --output-dir."""
    traffic = Traffic()
    out = tmp_path / "reports"
    with serve_sites([SAMPLES / "ledgerloop"] * 3, 0.05, traffic) as urls:
        sites = {f"site{i}": url for i, url in enumerate(urls, 1)}
        sites["gone"] = "http://127.0.0.1:9/"  # nothing listens there: refused at once
        config = write_config(tmp_path / "funnel-audit.toml", sites, max_pages=25, concurrency=4)
        flags = ("--concurrency", "2", "--max-in-flight", "2", "--output-dir", str(out))
        with workers(tmp_path, 2, pg_url, broker, *flags) as pair:
            done = cli("run-due", "--config", str(config), "--broker", broker, "--db", pg_url,
                       "--wait", timeout=180)  # fmt: skip
            logs = [worker.output() for worker in pair]
    _clean(done.stdout, done.stderr, *logs)
    assert done.returncode == 8, done.stdout + done.stderr
    assert done.stderr.strip() == "funnel-audit: error: 1 of 4 site(s) failed: gone"
    assert traffic.peak == 2, traffic.peak  # reached, never passed
    states = {site: state for site, state, _ in _jobs(pg_url)}
    assert states == {"site1": "done", "site2": "done", "site3": "done", "gone": "failed"}
    error = run_sql(pg_url, "SELECT error FROM jobs WHERE site = 'gone'")[0][0]
    assert error and "\n" not in error
    for name in ("site1", "site2", "site3"):
        (day,) = (out / name).iterdir()
        assert (day / "report.html").is_file() and (day / "audit.json").is_file()
        assert f"{name:<24}complete" in done.stdout
    # written whole or not at all: nothing half-written, no file of the failed site
    assert not list(out.rglob("*.tmp*")) and not [p for p in out.rglob("gone/**/*") if p.is_file()]


def test_beat_queues_the_due_sites(tmp_path: Path, pg_url: str, broker: str, redis_server) -> None:  # noqa: ANN001
    config = write_config(
        tmp_path / "funnel-audit.toml",
        {"a": str(SAMPLES / "ledgerloop"), "b": str(SAMPLES / "harbourline-plumbing")},
    )
    open_store(pg_url).close()  # migrated, so the jobs table can be watched from the start
    beat = subprocess.Popen(
        [sys.executable, "-m", "funnel_audit", "beat", "--config", str(config), "--broker", broker,
         "--db", pg_url, "--beat-at", "04:30"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(run_sql(pg_url, "SELECT id FROM jobs")) < 2 and time.monotonic() < deadline:
            assert beat.poll() is None, beat.communicate()[0]
            time.sleep(0.2)
    finally:
        beat.terminate()
        output = beat.communicate(timeout=30)[0]
    _clean(output)
    assert "daily at 04:30" in output and "2 of 2 site(s) queued" in output, output
    assert _jobs(pg_url) == [("a", "queued", 0), ("b", "queued", 0)]
    assert redis_server.client(int(broker.rsplit("/", 1)[1])).llen("funnel-audit") == 2
    again = cli("run-due", "--config", str(config), "--broker", broker, "--db", pg_url)
    assert again.returncode == 0 and again.stdout.count("already-queued") == 2, again.stdout


def test_jobs_are_queued_once_per_site_on_both_backends(db: str) -> None:
    from datetime import datetime

    now = datetime.now().astimezone()
    with open_store(db) as store:
        first = store.queue_job("harbour", "https://h.example/", {"k": 1}, now)
        assert first is not None and first.state == "queued" and first.attempt == 0
        assert store.queue_job("harbour", "https://h.example/", {}, now) is None
        assert store.mark_sent(first.id, 0, 0, now) and not store.mark_sent(first.id, 0, 0, now)
        claimed = store.claim_job(first.id, "w1", now)
        assert claimed is not None and (claimed.state, claimed.attempt) == ("running", 1)
        assert store.queue_job("harbour", "https://h.example/", {}, now) is None
        taken_over = store.claim_job(first.id, "w2", now)  # the first worker died
        assert taken_over is not None and (taken_over.attempt, taken_over.worker) == (2, "w2")
        store.finish_job(first.id, "done", now, audit_id=7)
        assert store.claim_job(first.id, "w3", now) is None
        second = store.queue_job("harbour", "https://h.example/", {}, now)
        assert second is not None and second.id != first.id
        assert [j.id for j in store.jobs(live=True)] == [second.id]
        assert store.live_job("harbour") == second


def test_broker_problems_are_one_line(tmp_path: Path, pg_url: str, redis_server) -> None:  # noqa: ANN001
    config = write_config(tmp_path / "funnel-audit.toml", {"a": str(SAMPLES / "ledgerloop")})
    down = f"redis://:{REDIS_PASSWORD}@127.0.0.1:9/0"
    open_store(pg_url).close()
    queued = cli("run-due", "--config", str(config), "--broker", down, "--db", pg_url)
    assert queued.returncode == 9, queued.stderr
    assert queued.stderr.startswith("funnel-audit: error: cannot reach the broker redis://:***@")
    assert queued.stderr.count("\n") == 1
    assert run_sql(pg_url, "SELECT COUNT(*) FROM jobs") == [(0,)]  # nothing queued
    refused = cli("run-due", "--config", str(config), "--db", pg_url, "--broker",
                  f"redis://:Wr0ng-pw@127.0.0.1:{redis_server.port}/0")  # fmt: skip
    assert refused.returncode == 9 and "Wr0ng-pw" not in refused.stdout + refused.stderr
    assert refused.stderr.count("\n") == 1 and "redis://:***@127.0.0.1" in refused.stderr
    worker = cli("worker", "--db", pg_url)
    assert worker.returncode == 6 and "needs --broker" in worker.stderr
    wrong = cli("worker", "--broker", "amqp://x/", "--db", pg_url)
    assert wrong.returncode == 6 and "unsupported broker" in wrong.stderr
    local = cli("run-due", "--config", str(config), "--broker", down, "--workers", "3")
    assert local.returncode == 6 and "--workers is for audits run here" in local.stderr
    _clean(queued.stderr, worker.stderr, wrong.stderr, local.stderr)
