"""The distributed mode's exactly-once promise under the faults a real deployment meets, against
real servers: PostgreSQL stopped and started again while jobs are queued and running, a
worker's database connection (and so its locks) cut mid-audit, a send the broker refuses,
reapers racing for one job, and Redis losing its data."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel_audit.audit import resolve_target
from funnel_audit.config import load_config
from funnel_audit.errors import BrokerError, StoreUnavailable
from funnel_audit.jobs.app import make_app, send
from funnel_audit.jobs.liveness import PREFIX, Liveness
from funnel_audit.jobs.messages import BrokerMessages, job_of
from funnel_audit.jobs.queue import queue_due, resend_lost, send_job
from funnel_audit.jobs.runner import WorkerContext, host_key, run_job
from funnel_audit.jobs.spec import site_specs
from funnel_audit.schedule import local_now
from funnel_audit.store.identity import site_identity
from funnel_audit.store.open import open_store
from funnel_audit.store.reconnect import Reconnecting
from tests.conftest import SAMPLES
from tests.farm import Traffic, serve_sites, workers, write_config
from tests.pg_server import PASSWORD as PG_PASSWORD
from tests.pg_server import PgServer, run_sql
from tests.redis_server import PASSWORD as REDIS_PASSWORD

pytestmark = pytest.mark.usefixtures("model")
LATER = timedelta(minutes=5)  # past every grace period of `resend_lost`


def _run_due(config: Path, broker: str, db: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "funnel_audit", "run-due", "--config", str(config),
         "--broker", broker, "--db", db, "--wait"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for_pages(db: str, pages: int, within: float = 90) -> None:
    deadline = time.monotonic() + within
    sql = (
        "SELECT a.id FROM audits a WHERE a.status = 'running' AND "
        f"(SELECT COUNT(*) FROM pages p WHERE p.audit_id = a.id) >= {pages}"
    )
    while not run_sql(db, sql):
        assert time.monotonic() < deadline, "no audit got going"
        time.sleep(0.2)


def _one_complete_audit_each(db: str, urls: list[str], sites: list[str]) -> None:
    audits = run_sql(db, "SELECT site, status, COUNT(*) FROM audits GROUP BY site, status")
    expected = [(f"127.0.0.1_{u.split(':')[2].strip('/')}", "complete", 1) for u in urls]
    assert sorted(audits) == sorted(expected)
    assert run_sql(db, "SELECT audit_id, url FROM pages GROUP BY 1, 2 HAVING COUNT(*) > 1") == []
    jobs = run_sql(db, "SELECT site, state, error FROM jobs ORDER BY site")
    assert jobs == [(name, "done", None) for name in sorted(sites)]


def _clean(*texts: str) -> None:
    for text in texts:
        assert PG_PASSWORD not in text and REDIS_PASSWORD not in text, text[-500:]


def test_a_database_outage_loses_no_job(
    tmp_path: Path, pg_server: PgServer, pg_url: str, broker: str
) -> None:
    """PostgreSQL stops three times, for six seconds each, while one audit runs on each worker
    and two more wait: every job still ends done with one complete audit, none failed, none
    dropped, no takeover counted (no worker died: each took its own job up again), and
    `run-due --wait` waits the outages out."""
    traffic = Traffic()
    with serve_sites([SAMPLES / "ledgerloop"] * 4, 0.2, traffic) as urls:
        sites = {f"site{i}": url for i, url in enumerate(urls, 1)}
        config = write_config(tmp_path / "funnel-audit.toml", sites, max_pages=24, concurrency=1)
        with workers(tmp_path, 2, pg_url, broker) as pool:
            waiting = _run_due(config, broker, pg_url)
            _wait_for_pages(pg_url, 3)
            for _ in range(3):
                pg_server.pause()
                time.sleep(6)
                pg_server.resume()
                time.sleep(3)
            out, err = waiting.communicate(timeout=240)
            logs = [worker.output() for worker in pool]
    assert waiting.returncode == 0, out + err
    _clean(out, err, *logs)
    assert "4 site(s) waited for: 4 audited, 0 failed" in out, out
    assert "waiting for it to come back" in err, err
    assert any("trying again in" in log for log in logs), logs
    _one_complete_audit_each(pg_url, urls, list(sites))
    assert run_sql(pg_url, "SELECT MAX(takeovers) FROM jobs") == [(0,)]


def test_a_worker_whose_connection_is_cut_stops_writing_and_the_audit_ends_once(
    tmp_path: Path, pg_url: str, broker: str
) -> None:
    """The server cuts the connection of each worker that holds a site's lock (an idle timeout
    or a NAT would): the lock goes with the connection that writes, so no worker writes on
    without it, and each audit is resumed and ends once, its committed pages not fetched
    again."""
    traffic = Traffic()
    with serve_sites([SAMPLES / "ledgerloop"] * 2, 0.2, traffic) as urls:
        sites = {f"site{i}": url for i, url in enumerate(urls, 1)}
        config = write_config(tmp_path / "funnel-audit.toml", sites, max_pages=16, concurrency=1)
        with workers(tmp_path, 2, pg_url, broker) as pool:
            waiting = _run_due(config, broker, pg_url)
            _wait_for_pages(pg_url, 4)
            # a message being worked on is seen in the broker (kombu's unacked hash): such a
            # job is never taken for lost
            running = set(run_sql(pg_url, "SELECT id, site FROM jobs WHERE state = 'running'"))
            messages = BrokerMessages(broker)
            assert running and running <= (messages.present() or set())
            messages.close()
            cut = run_sql(
                pg_url,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid IN "
                "(SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)",
            )
            committed = run_sql(
                pg_url,
                "SELECT a.target, p.url FROM audits a JOIN pages p ON p.audit_id = a.id "
                "WHERE a.status = 'running'",
            )
            hits_before = len(traffic.hits)
            out, err = waiting.communicate(timeout=180)
            logs = [worker.output() for worker in pool]
    assert cut, "no worker held a lock"
    assert waiting.returncode == 0, out + err
    _clean(out, err, *logs)
    assert any("resuming" in log for log in logs), logs
    _one_complete_audit_each(pg_url, urls, list(sites))
    again = {(int(t.split(":")[2].strip("/")), "/" + u.split("/", 3)[3]) for t, u in committed}
    assert again and not again & set(traffic.hits[hits_before:])


def _queued(db: str, broker: str, site: str = "s1") -> tuple[int, object]:
    """A job of `site` written and sent, as `run-due --broker` does."""
    app = make_app(broker)
    with open_store(db) as store:
        job = store.queue_job(site, "https://example.com/", {"name": site}, local_now())
        assert job is not None
        assert send_job(store, app, job, local_now())
    return job.id, app


def test_reapers_racing_for_one_orphan_send_it_once(pg_url: str, broker: str, redis_server) -> None:  # noqa: ANN001
    """A job left running by a dead worker: two reapers (each with its own connection, as on
    two machines) that decided on the same reading send one message between them, and once it
    is sent nobody sends again until it is taken up."""
    job_id, app = _queued(pg_url, broker)
    queue = redis_server.client(int(broker.rsplit("/", 1)[1]))
    queue.delete("funnel-audit")  # the dead worker had taken it
    with open_store(pg_url) as store:
        assert store.claim_job(job_id, "dead-worker", local_now()) is not None
        seen = store.jobs(live=True)  # both reapers read this
    together = threading.Barrier(2)
    results: list[int] = []

    def reaper() -> None:
        with open_store(pg_url) as own:
            together.wait()
            results.append(len(resend_lost(own, app, local_now(), jobs=seen)))

    threads = [threading.Thread(target=reaper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    assert queue.llen("funnel-audit") == 1
    with open_store(pg_url) as store:
        assert resend_lost(store, app, local_now()) == []  # its message waits in the queue
        job = store.job(job_id)
        assert job is not None and (job.sends, job.attempt) == (2, 1)


def test_a_send_the_broker_refuses_is_taken_back(pg_url: str, broker: str) -> None:
    """The broker is down when a job is sent again: the send is not counted, so the next reaper
    still sees the job as needing a message (it used to read as sent, and stayed running)."""
    job_id, app = _queued(pg_url, broker)
    down = make_app("redis://127.0.0.1:9/0")  # nothing listens on the discard port
    with open_store(pg_url) as store:
        assert store.claim_job(job_id, "dead-worker", local_now()) is not None
        job = store.job(job_id)
        assert job is not None and job.sends == 1
        with pytest.raises(BrokerError):
            resend_lost(store, down, local_now())
        job = store.job(job_id)
        assert job is not None and job.sends == 1
        sent = resend_lost(store, app, local_now())
        assert [(j.id, why) for j, why in sent] == [(job_id, "was left by a worker that died")]


def test_messages_redis_lost_are_sent_again(pg_url: str, broker: str, redis_server) -> None:  # noqa: ANN001
    """Redis restarts without its data: a queued job's message and a running job's pending one
    are gone. After a minute they are found missing (twice, a moment apart) and sent again;
    a job whose message is still there, or held, is left alone."""
    queue = redis_server.client(int(broker.rsplit("/", 1)[1]))
    lost_id, app = _queued(pg_url, broker, "lost")
    kept_id, _ = _queued(pg_url, broker, "kept")
    waiting = queue.lrange("funnel-audit", 0, -1)
    queue.lrem("funnel-audit", 1, next(r for r in waiting if job_of(json.loads(r))[1] == "lost"))
    messages = BrokerMessages(broker)
    try:
        assert messages.present() == {(kept_id, "kept")}
        with open_store(pg_url) as store:
            assert resend_lost(store, app, local_now(), messages=messages) == []  # too soon
            sent = resend_lost(store, app, local_now() + LATER, messages=messages)
            assert [(j.id, why) for j, why in sent] == [(lost_id, "lost its message")]
            assert messages.present() == {(kept_id, "kept"), (lost_id, "lost")}
            assert resend_lost(store, app, local_now() + LATER, messages=messages) == []
    finally:
        messages.close()


def test_a_job_never_sent_is_sent_by_the_next_reaper(pg_url: str, broker: str) -> None:
    app = make_app(broker)
    with open_store(pg_url) as store:
        job = store.queue_job("orphan", "https://example.com/", {"name": "orphan"}, local_now())
        assert job is not None
        assert resend_lost(store, app, local_now()) == []
        sent = resend_lost(store, app, local_now() + LATER)
        assert [(j.id, why) for j, why in sent] == [(job.id, "was never sent")]


def test_takeovers_count_other_processes_only(db: str) -> None:
    """A process taking its own job up again after an outage is no death; any other process
    taking it over is (a pool process replaced on the same worker too)."""
    with open_store(db) as store:
        job = store.queue_job("s", "https://example.com/", {"name": "s"}, local_now())
        assert job is not None
        steps = [("w1", "w1 pid 1", 0), ("w1", "w1 pid 1", 0), ("w1", "w1 pid 2", 1),
                 ("w2", "w2 pid 1", 2), ("w2", "w2 pid 1", 2)]  # fmt: skip
        for worker, process, takeovers in steps:
            claimed = store.claim_job(job.id, worker, local_now(), process)
            assert claimed is not None and claimed.takeovers == takeovers, (process, claimed)
            assert (claimed.worker, claimed.process) == (worker, process)
        assert claimed.attempt == 5


def _context(db: str, broker: str) -> WorkerContext:
    def no_model() -> object:
        raise AssertionError("these jobs never reach the classifier")

    return WorkerContext(db, broker, no_model, 0, None, 4, 1.0, "test-node@here")  # type: ignore[arg-type]


def _target(url: str) -> str:
    """What the history keeps a site's audits under."""
    return site_identity(*resolve_target(url))[1]


def _site_job(db: str, url: str = "http://127.0.0.1:9/") -> int:
    config = write_config(Path(tempfile.mkdtemp()) / "funnel-audit.toml", {"s": url})
    spec = site_specs(load_config(config))["s"]
    with open_store(db) as store:
        job = store.queue_job("s", url, spec, local_now())
        assert job is not None
        return job.id


def test_a_job_whose_processes_died_three_times_is_failed_with_its_audit(
    pg_url: str, broker: str
) -> None:
    """The third takeover gives the job up, and the audit the dead processes left is closed as
    failed too (it read as running for good)."""
    job_id = _site_job(pg_url)
    with open_store(pg_url) as store:
        left = store.start_audit("127.0.0.1_9", _target("http://127.0.0.1:9/"), local_now(),
                                 {}, "m")  # fmt: skip
        for n in range(3):
            store.claim_job(job_id, f"w{n}", local_now(), f"w{n} pid 1")
    assert run_job(job_id, _context(pg_url, broker), "s") == "failed"
    with open_store(pg_url) as store:
        job = store.job(job_id)
        assert job is not None and job.state == "failed" and job.takeovers == 3
        assert "died while auditing it, 3 times" in (job.error or "")
        audit = store.audit(left)
        assert audit is not None and audit.status == "failed"


def test_a_job_whose_audit_completed_before_the_outage_is_closed_not_run_again(
    pg_url: str, broker: str
) -> None:
    """The connection was lost between the audit's end and the job's: taken up again (maybe
    the next day, when a daily site is due again), the job is closed with that audit."""
    job_id = _site_job(pg_url)
    with open_store(pg_url) as store:
        store.claim_job(job_id, "w1", local_now(), "w1 pid 1")
        audit_id = store.start_audit("127.0.0.1_9", _target("http://127.0.0.1:9/"),
                                     local_now(), {}, "m")  # fmt: skip
        store.finish_audit(audit_id, local_now(), "complete", summary={"pages": 3})
    assert run_job(job_id, _context(pg_url, broker), "s") == "complete"
    with open_store(pg_url) as store:
        job = store.job(job_id)
        assert job is not None and (job.state, job.audit_id) == ("done", audit_id)
        assert len(store.audits()) == 1


def test_a_running_job_is_sent_again_only_once_its_worker_is_dead(pg_url: str, broker: str) -> None:
    """Lock free (its connection went with an outage) but its worker alive: that worker takes
    it up again itself, so nobody sends it and no takeover is counted; once the worker's lease
    runs out, it is sent again."""
    job_id, app = _queued(pg_url, broker)
    alive = Liveness(broker)
    try:
        with open_store(pg_url) as store:
            assert store.claim_job(job_id, "w1@a", local_now(), "w1@a pid 1") is not None
            alive.renew("w1@a")
            assert resend_lost(store, app, local_now() + LATER, alive) == []
            alive._client.delete(f"{PREFIX}alive:w1@a")  # its lease ran out
            sent = resend_lost(store, app, local_now(), alive)
            assert [(j.id, why) for j, why in sent] == [(job_id, "was left by a worker that died")]
    finally:
        alive.close()


def test_a_job_sent_twice_before_its_claim_is_still_sent_again_when_its_worker_dies(
    pg_url: str, broker: str
) -> None:
    """The second review's case: a duplicate message went out before the job was taken up
    (sends 2, attempt 1), another worker ignored it, then the job's worker died. No message is
    on its way since the claim, so the job is sent again, once."""
    job_id, app = _queued(pg_url, broker)
    alive = Liveness(broker)
    try:
        with open_store(pg_url) as store:
            job = store.job(job_id)
            assert job is not None and send_job(store, app, job, local_now())  # the duplicate
            claimed = store.claim_job(job_id, "w1@a", local_now(), "w1@a pid 1")
            assert claimed is not None and (claimed.sends, claimed.claimed_sends) == (2, 2)
            alive.renew("w1@a")
            assert resend_lost(store, app, local_now() + LATER, alive) == []
            alive._client.delete(f"{PREFIX}alive:w1@a")
            sent = resend_lost(store, app, local_now(), alive)
            assert [(j.id, why) for j, why in sent] == [(job_id, "was left by a worker that died")]
            assert resend_lost(store, app, local_now(), alive) == []  # its message is on its way
    finally:
        alive.close()


def test_a_message_taken_by_a_worker_that_died_is_sent_again_even_for_a_running_job(
    pg_url: str, broker: str
) -> None:
    """The reviewer's case: sent again after its first worker died (sends > attempt), the job's
    new message was taken by a worker that died before starting it (a busy host's retry waiting
    for its time, say). Its copy sits in kombu's unacked hash, so the broker shows a message;
    the dead holder is what tells it is lost."""
    job_id, app = _queued(pg_url, broker)
    alive = Liveness(broker)
    try:
        with open_store(pg_url) as store:
            assert store.claim_job(job_id, "w1@a", local_now(), "w1@a pid 1") is not None
            job = store.job(job_id)
            assert job is not None and send_job(store, app, job, local_now())  # sends 2 > 1
            alive.hold(job_id, "w2@b")
            alive.renew("w2@b")
            assert resend_lost(store, app, local_now(), alive) == []  # w2 holds it
            alive._client.delete(f"{PREFIX}alive:w2@b")
            sent = resend_lost(store, app, local_now(), alive)
            assert [(j.id, why) for j, why in sent] == [
                (job_id, "was taken by a worker that died before starting it")
            ]
            assert alive.held_by_the_dead([job_id]) == {}  # forgotten once sent
    finally:
        alive.close()


def test_a_broker_that_fails_mid_queue_leaves_the_jobs_queued_not_failed(
    tmp_path: Path, pg_url: str, broker: str
) -> None:
    """The broker refuses a send while run-due queues: no job is failed for it, every due site
    still gets its job (written, not sent), and the workers' reapers send them a minute later."""
    sites = {f"s{i}": f"http://127.0.0.1:9/{i}" for i in range(3)}
    config = load_config(write_config(tmp_path / "funnel-audit.toml", sites))
    down = make_app("redis://127.0.0.1:9/0")
    with open_store(pg_url) as store:
        results = queue_due(config, store, down)
        assert [(r.status, bool(r.unsent)) for r in results] == [("queued", True)] * 3
        assert "cannot reach the broker" in results[0].unsent
        jobs = store.jobs()
        assert [(j.state, j.sends) for j in jobs] == [("queued", 0)] * 3
        sent = resend_lost(store, make_app(broker), local_now() + LATER)
        assert sorted(why for _, why in sent) == ["was never sent"] * 3


def test_site_locks_live_on_the_store_connection(pg_url: str) -> None:
    """A lock is one per store too (session locks nest in PostgreSQL; a site's must not), and
    when the server cuts the connection the lock is gone and the store cannot write on."""
    with open_store(pg_url) as store, open_store(pg_url) as other:
        with store.site_lock("a") as first, store.site_lock("a") as second:
            assert (first, second) == (True, False)
            with other.site_lock("a") as third:
                assert third is False
            assert other.is_locked("a")
        assert not other.is_locked("a")
        with store.site_lock("b") as mine:
            assert mine
            run_sql(
                pg_url,
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'",
            )
            with other.site_lock("b") as taken:
                assert taken
                with pytest.raises(StoreUnavailable):
                    store.queue_job("b", "https://example.com/", {}, local_now())


def test_a_reader_waits_for_the_database_to_come_back(pg_server: PgServer, pg_url: str) -> None:
    open_store(pg_url).close()
    outages: list[str] = []
    with Reconnecting(pg_url, on_outage=lambda exc: outages.append(str(exc))) as history:
        assert history.read(lambda store: store.jobs()) == []
        pg_server.pause()
        timer = threading.Timer(3, pg_server.resume)
        timer.start()
        try:
            assert history.read(lambda store: store.jobs()) == []
        finally:
            timer.join()
    assert len(outages) == 1 and PG_PASSWORD not in outages[0]


def test_a_reader_gives_up_after_its_patience(tmp_path: Path) -> None:
    url = "postgresql://u:pw-x@127.0.0.1:9/none"  # nothing listens there
    with Reconnecting(url, patience=2) as history, pytest.raises(StoreUnavailable) as failed:
        history.read(lambda store: store.jobs())
    assert "pw-x" not in str(failed.value)


def test_one_host_one_lock_whatever_the_port_spelling() -> None:
    assert host_key("https://Example.com/") == host_key("https://example.com:443/a")
    assert host_key("http://example.com/") == host_key("http://example.com:80/")
    assert host_key("http://example.com/") != host_key("https://example.com/")
    assert host_key("/var/www/site") is None


def test_a_message_is_read_back_whatever_its_shape(broker: str, redis_server) -> None:  # noqa: ANN001
    """Only our own messages are counted: anything else in the queue is skipped, not fatal."""
    app = make_app(broker)
    send(app, 7, "seven")
    queue = redis_server.client(int(broker.rsplit("/", 1)[1]))
    queue.rpush("funnel-audit", b"not json", json.dumps({"body": "e30="}), json.dumps([1, 2]))
    messages = BrokerMessages(broker)
    try:
        assert (7, "seven") in (messages.present() or set())
    finally:
        messages.close()


def _containers(inner: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20), _containers, max_leaves=12
)


@given(payload=json_values, job_id=st.integers(min_value=0), site=st.text(max_size=30))
@settings(max_examples=200, deadline=None)
def test_job_of_reads_ours_and_never_raises(payload: object, job_id: int, site: str) -> None:
    """Whatever is in the queue, reading it never raises; our own message reads back exactly."""
    found = job_of(payload)
    assert found is None or (isinstance(found[0], int) and isinstance(found[1], str))
    body = base64.b64encode(json.dumps([[job_id, site], {}, {}]).encode()).decode()
    ours = {"body": body, "properties": {"body_encoding": "base64"}}
    assert job_of(ours) == (job_id, site)
    assert job_of(json.loads(json.dumps(ours))) == (job_id, site)


def test_the_holders_of_many_jobs_are_checked_at_once(broker: str) -> None:
    alive = Liveness(broker)
    try:
        alive.hold(1, "up@a")
        alive.hold(2, "down@b")
        alive.renew("up@a")
        assert alive.held_by_the_dead([1, 2, 3]) == {2: "down@b"}
        alive.forget(2, "up@a")  # not its note: kept
        assert alive.held_by_the_dead([1, 2, 3]) == {2: "down@b"}
        alive.forget(2, "down@b")
        assert alive.held_by_the_dead([1, 2, 3]) == {}
        assert alive.dead_nodes(["up@a", "down@b"]) == {"down@b"}
        assert Liveness("redis://127.0.0.1:9/0").held_by_the_dead([1]) == {}
        assert Liveness("redis://127.0.0.1:9/0").dead_nodes(["x"]) == set()
    finally:
        alive.close()


def test_a_worker_celery_stopped_on_an_error_exits_10(
    tmp_path: Path, broker: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Celery's own unrecoverable error (kombu failing to restore its broker connection, seen
    when Redis restarted under a waiting retry) used to end the command with 0, so systemd's
    Restart=on-failure never started the worker again."""
    import funnel_audit.jobs.worker as worker_module
    from funnel_audit.cli.main import main

    monkeypatch.setattr(worker_module, "run_worker", lambda context, concurrency: 1)
    db = str(tmp_path / "h.sqlite3")
    assert main(["worker", "--broker", broker, "--db", db, "--parsers", "0"]) == 10
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the worker stopped on an error" in err, err
    monkeypatch.setattr(worker_module, "run_worker", lambda context, concurrency: 0)
    assert main(["worker", "--broker", broker, "--db", db, "--parsers", "0"]) == 0


def test_a_dead_holders_note_outlives_a_refused_resend(pg_url: str, broker: str) -> None:
    """Third review: the note naming the dead holder was deleted before the send; the broker
    refused it, and then nothing showed the job's only message (in the unacked hash) was with
    a dead worker. The note now goes only once the new message is out."""
    job_id, app = _queued(pg_url, broker)
    alive = Liveness(broker)
    down = make_app("redis://127.0.0.1:9/0")
    try:
        alive.hold(job_id, "w0@dead")  # took it, then died (no lease)
        with open_store(pg_url) as store:
            with pytest.raises(BrokerError):
                resend_lost(store, down, local_now(), alive)
            assert alive.held_by_the_dead([job_id]) == {job_id: "w0@dead"}
            sent = resend_lost(store, app, local_now(), alive)
            assert [why for _, why in sent] == [
                "was taken by a worker that died before starting it"
            ]
            assert alive.held_by_the_dead([job_id]) == {}
    finally:
        alive.close()


def test_a_claim_between_the_decision_and_the_send_cancels_it(pg_url: str, broker: str) -> None:
    """A reaper read the job queued; a worker claimed it before the send was counted: the send
    is cancelled (else a message counted after the claim and dropped as a duplicate hid the
    claimant's death)."""
    job_id, app = _queued(pg_url, broker)
    with open_store(pg_url) as store:
        seen = store.job(job_id)
        assert seen is not None
        assert store.claim_job(job_id, "w1@a", local_now(), "w1@a pid 1") is not None
        assert not send_job(store, app, seen, local_now())
        job = store.job(job_id)
        assert job is not None and (job.sends, job.claimed_sends) == (1, 1)


def test_a_dead_workers_job_with_a_stray_message_is_sent_again_after_ten_minutes(
    pg_url: str,
    broker: str,
    redis_server,  # noqa: ANN001
) -> None:
    """The last safety net: the job's worker died, a message was counted after its claim, and
    it is not waiting in the queue (ignored as a duplicate, or held where no one will run it):
    sent again once it is ten minutes old, and only while none waits."""
    job_id, app = _queued(pg_url, broker)
    queue = redis_server.client(int(broker.rsplit("/", 1)[1]))
    alive, messages = Liveness(broker), BrokerMessages(broker)
    try:
        with open_store(pg_url) as store:
            claimed = store.claim_job(job_id, "w1@dead", local_now(), "w1@dead pid 1")
            assert claimed is not None and send_job(store, app, claimed, local_now())
            queue.delete("funnel-audit")  # a worker took that one and dropped it as a duplicate
            assert resend_lost(store, app, local_now() + LATER, alive, messages) == []
            later = local_now() + timedelta(minutes=11)
            sent = resend_lost(store, app, later, alive, messages)
            assert [why for _, why in sent] == ["was left by a worker that died"]
            assert resend_lost(store, app, later + timedelta(minutes=11), alive, messages) == []
    finally:
        alive.close()
        messages.close()
