"""Resume an interrupted audit without refetching, and re-audit with conditional requests,
against a real HTTP server on 127.0.0.1 and a real history: each test runs on a SQLite file and
on a PostgreSQL database (the `db` fixture)."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import funnel_audit.site_pages as pages_mod
from funnel_audit.audit import AuditOptions, run_audit
from funnel_audit.crawl.crawler import CrawlSettings
from funnel_audit.store.open import open_store
from tests.conftest import SAMPLES
from tests.live_runs import children, slow_site, still_alive, wait_for_pages
from tests.pg_server import run_sql


class _LoggingHandler(SimpleHTTPRequestHandler):
    """Serves files with Last-Modified and answers If-Modified-Since with 304 (stdlib)."""

    log: list[tuple[str, int]]

    def log_request(self, code: object = "-", size: object = "-") -> None:
        self.log.append((self.path, int(code) if str(code).isdigit() else 0))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def logged_site(tmp_path: Path) -> Iterator[tuple[str, Path, list[tuple[str, int]]]]:
    folder = tmp_path / "site"
    shutil.copytree(SAMPLES / "harbourline-plumbing", folder)
    old = time.time() - 3600
    for path in folder.rglob("*"):
        os.utime(path, (old, old))
    log: list[tuple[str, int]] = []
    handler = functools.partial(type("H", (_LoggingHandler,), {"log": log}), directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", folder, log
    server.shutdown()
    server.server_close()


def _opts(url: str, out: Path, **kw: object) -> AuditOptions:
    return AuditOptions(target=url, out_dir=out, crawl=CrawlSettings(concurrency=4), **kw)


def test_resume_continues_without_refetching(
    logged_site,
    tmp_path: Path,
    model,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    db: str,
) -> None:
    url, _folder, log = logged_site
    real_add = pages_mod.SitePages.add
    calls = {"n": 0}

    def interrupting_add(self, item):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 12:
            raise KeyboardInterrupt
        return real_add(self, item)

    monkeypatch.setattr(pages_mod.SitePages, "add", interrupting_add)
    with open_store(db) as store, pytest.raises(KeyboardInterrupt):
        run_audit(_opts(url, tmp_path / "a"), model=model, store=store)
    monkeypatch.setattr(pages_mod.SitePages, "add", real_add)
    with open_store(db) as store:
        first = store.audits()[0]
        assert first.status == "interrupted"
        kept = {p.url for p in store.pages(first.id)}
    assert len(kept) == 11
    log.clear()
    with open_store(db) as store:
        outcome = run_audit(_opts(url, tmp_path / "b", resume=True), model=model, store=store)
        audits = store.audits()
        stored = store.pages(first.id)
    assert len(audits) == 1 and audits[0].status == "complete", "the same audit was finished"
    refetched = {url.rstrip("/") + path for path, _ in log} & kept
    assert not refetched, f"pages fetched again after resume: {refetched}"
    urls = [p.url for p in outcome.result.pages]
    assert len(urls) == len(set(urls)), "no duplicates"
    assert len(stored) == len(urls) >= 34
    assert any("resumed audit" in n for n in outcome.result.notes)


def test_reaudit_sends_conditional_requests_and_reuses_unchanged(
    logged_site,
    tmp_path: Path,
    model,  # noqa: ANN001
    db: str,
) -> None:
    url, folder, log = logged_site
    with open_store(db) as store:
        first = run_audit(_opts(url, tmp_path / "a"), model=model, store=store)
    stages = {p.url: p.stage for p in first.result.pages}
    page = folder / "advice" / "frozen-pipes.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace(
            "</main>", "<p>Updated for this winter: new advice on lagging loft pipes.</p></main>"
        ),
        encoding="utf-8",
    )
    log.clear()
    with open_store(db) as store:
        second = run_audit(_opts(url, tmp_path / "b"), model=model, store=store)
    codes = dict(log)
    assert codes.get("/advice/frozen-pipes.html") == 200, "the changed page is fetched in full"
    not_modified = [p for p, c in log if c == 304]
    assert len(not_modified) >= 30
    assert {p.url: p.stage for p in second.result.pages} == stages
    assert any("unchanged since the last audit" in n for n in second.result.notes)
    # unchanged pages are judged with their site again, from their stored token counts
    families = [n for n in first.result.notes if n.startswith("page families")]
    assert families and families == [
        n for n in second.result.notes if n.startswith("page families")
    ]
    with open_store(db) as store:
        latest = store.audits()[-1].id
        kept = dict(store.page_evidence(latest))
    judged = [p.url for p in second.result.pages if p.label_source == "model"]
    assert judged and set(judged) <= set(kept)


def test_reaudit_with_another_model_reads_every_page_again(
    logged_site,
    tmp_path: Path,
    model,  # noqa: ANN001
    db: str,
) -> None:
    from funnel_audit.classify.model import StageModel

    url, _folder, log = logged_site
    with open_store(db) as store:
        run_audit(_opts(url, tmp_path / "a"), model=model, store=store)
    other = StageModel(
        model.fields,
        model.coef,
        model.classes,
        model.temperature,
        dict(model.metadata, version="retrained"),
    )
    log.clear()
    with open_store(db) as store:
        second = run_audit(_opts(url, tmp_path / "b"), model=other, store=store)
    assert log and not [p for p, c in log if c == 304], "no conditional requests"
    assert any(
        n.startswith("every page read again: the classifier changed") for n in second.result.notes
    ), second.result.notes


def test_sigkill_loses_nothing_committed_and_resume_finishes(
    tmp_path: Path,
    model,  # noqa: ANN001
    db: str,
) -> None:
    """A process killed with SIGKILL mid-crawl; the next run resumes from what it committed.
    (`model` warms the shared model cache, so the child process does not train.)"""
    folder = tmp_path / "site"
    shutil.copytree(SAMPLES / "ledgerloop", folder)
    log: list[tuple[str, int]] = []
    with slow_site(folder, log) as url:
        cmd = [sys.executable, "-m", "funnel_audit", "audit", url, "--db", str(db), "--quiet",
               "--concurrency", "1", "--out", str(tmp_path / "o")]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        committed = wait_for_pages(db, proc, 8)
        assert proc.poll() is None and committed >= 8, "the audit should still be running"
        parsers = children(proc.pid)
        assert parsers, "the crawl reads pages in a parser process"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert not still_alive(parsers, 10), "a parser process outlived its killed parent"
        kept = {r[0] for r in run_sql(db, "SELECT url FROM pages")}
        status = run_sql(db, "SELECT status FROM audits")[0][0]
        assert status == "running" and len(kept) >= 8
        log.clear()
        done = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    rows = [r[0] for r in run_sql(db, "SELECT url FROM pages")]
    assert run_sql(db, "SELECT status FROM audits") == [("complete",)]
    assert len(rows) == len(set(rows)) >= 37
    refetched = {url.rstrip("/") + path for path, _ in log} & kept
    assert not refetched, refetched


def test_sigterm_marks_the_audit_interrupted_keeps_its_pages_and_exits_143(
    tmp_path: Path,
    model,  # noqa: ANN001
    db: str,
) -> None:
    """A service stop or `kill` sends SIGTERM: handled like Ctrl-C, never left `running`."""
    folder = tmp_path / "site"
    shutil.copytree(SAMPLES / "ledgerloop", folder)
    with slow_site(folder) as url:
        cmd = [sys.executable, "-m", "funnel_audit", "audit", url, "--db", str(db), "--quiet",
               "--concurrency", "1", "--out", str(tmp_path / "o")]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        committed = wait_for_pages(db, proc, 8)
        assert proc.poll() is None and committed >= 8, "the audit should still be running"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.strip().count("\n") == 0 and "interrupted" in err
    status = run_sql(db, "SELECT status FROM audits")[0][0]
    kept = run_sql(db, "SELECT COUNT(*) FROM pages")[0][0]
    assert status == "interrupted" and kept >= committed


def test_a_second_run_of_a_live_audit_stops_at_once(
    tmp_path: Path,
    model,  # noqa: ANN001
    capsys: pytest.CaptureFixture[str],
    db: str,
) -> None:
    """`--resume` while another process still runs the same audit must not attach to it and
    fetch the rest beside it (issue 12, case 18): the target is locked while it is audited."""
    from funnel_audit.cli.main import main

    folder = tmp_path / "site"
    shutil.copytree(SAMPLES / "ledgerloop", folder)
    with slow_site(folder) as url:
        args = ["audit", url, "--db", str(db), "--quiet", "--concurrency", "1"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "funnel_audit", *args, "--out", str(tmp_path / "o1")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        committed = wait_for_pages(db, proc, 4)
        assert proc.poll() is None and committed >= 4, "the first audit should still be running"
        capsys.readouterr()
        code = main([*args, "--resume", "--out", str(tmp_path / "o2")])
        err = capsys.readouterr().err.strip()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert code == 7 and err.count("\n") == 0 and "another run is auditing" in err, err
    assert run_sql(db, "SELECT COUNT(*) FROM audits") == [(1,)]
