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
