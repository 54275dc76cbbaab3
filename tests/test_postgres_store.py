"""The history in PostgreSQL: where a location points (a path or a URL, and how it is shown
without its password), migrations run once when processes open one database together, advisory
site locks held across connections and processes, failures as one line, and the whole result
kept with each audit (on both backends). A real server on 127.0.0.1 (tests/pg_server.py)."""

from __future__ import annotations

import multiprocessing
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel_audit.audit import AuditOptions, run_audit
from funnel_audit.cli.main import main
from funnel_audit.errors import InputError, StoreError
from funnel_audit.report.exports import audit_to_dict
from funnel_audit.store.location import parse_location, redact, scrub, shown
from funnel_audit.store.open import open_store
from funnel_audit.store.schema import MIGRATIONS
from tests.conftest import SAMPLES
from tests.pg_server import PASSWORD, PgServer, run_sql

# --- locations ------------------------------------------------------------------------------

_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), min_size=1, max_size=30)


@given(user=_TEXT, password=_TEXT, port=st.integers(1, 65535), database=_TEXT)
def test_a_password_never_survives_redaction(
    user: str, password: str, port: int, database: str
) -> None:
    user_part, secret = quote(user, safe=""), quote(password, safe="")
    url = f"postgresql://{user_part}:{secret}@db.example:{port}/{quote(database, safe='')}"
    assert (
        redact(url) == f"postgresql://{user_part}:***@db.example:{port}/{quote(database, safe='')}"
    )
    assert shown(url) == redact(url)
    assert parse_location(url, "--db") == url  # a valid URL is kept as the user wrote it
    said = scrub(f"server said: {password} ({secret}) at {url}", url)
    if "*" not in password:  # '***' itself stands in for it
        assert password not in said


def test_redaction_of_the_forms_a_url_takes() -> None:
    assert redact("postgres://u:p%40ss@h/db") == "postgres://u:***@h/db"
    assert redact("postgresql://u:a@b:c@h:5/db") == "postgresql://u:***@h:5/db"  # '@' in it
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"  # no password: as it is
    assert redact("postgresql://h/db?user=u&password=pw&sslmode=x") == (
        "postgresql://h/db?user=u&password=***&sslmode=x"
    )
    assert shown(Path("/srv/h.sqlite3")) == "/srv/h.sqlite3"
    assert scrub("bad\n\tthing pw-9", "postgresql://u:pw-9@h/db") == "bad thing ***"


def test_a_db_value_is_a_path_or_a_checked_url(tmp_path: Path) -> None:
    assert parse_location("h.sqlite3", "db", tmp_path) == tmp_path / "h.sqlite3"
    assert parse_location("~/h.sqlite3", "--db") == Path("~/h.sqlite3").expanduser()
    assert parse_location(" POSTGRES://u:p@h/db ", "--db") == "POSTGRES://u:p@h/db"
    for bad, words in (
        ("mysql://u:hunter22@h/db", "unsupported history database 'mysql://u:***@h/db'"),
        ("postgresql://u:hunter22@h", "names no database"),
        ("postgresql://u:hunter22@h:port/db", "bad database URL"),
        ("postgresql:///db", "names no host"),
        (str(tmp_path), "must be a file, not a folder"),
        ("", "must be a file path or a postgresql:// URL"),
    ):
        with pytest.raises(InputError) as caught:
            parse_location(bad, "--db")
        assert words in str(caught.value) and "hunter22" not in str(caught.value)


# --- one database, several processes -------------------------------------------------------


def _open_once(url: str, barrier: Any) -> None:  # noqa: ANN401 - a multiprocessing barrier
    barrier.wait()
    with open_store(url) as store:
        assert store.schema_version() == len(MIGRATIONS)  # type: ignore[attr-defined]


def test_processes_opening_a_new_database_at_once_migrate_it_once(pg_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_open_once, args=(pg_url, barrier)) for _ in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    versions = [r[0] for r in run_sql(pg_url, "SELECT version FROM schema_migrations")]
    assert sorted(versions) == list(range(1, len(MIGRATIONS) + 1))


def test_a_site_lock_holds_across_connections(pg_server: PgServer, pg_url: str) -> None:
    with open_store(pg_url) as one, open_store(pg_url) as two:
        assert not two.is_locked("harbourline")
        with one.site_lock("harbourline") as got:
            assert got and two.is_locked("harbourline") and one.is_locked("harbourline")
            with two.site_lock("harbourline") as other, one.site_lock("harbourline") as again:
                assert other is False and again is False  # one run per site, even in-process
            with two.site_lock("ledgerloop") as elsewhere:
                assert elsewhere  # another site is not blocked
        assert not two.is_locked("harbourline")
        with two.site_lock("harbourline") as got:
            assert got
    other_db = pg_server.new_database()
    try:
        with open_store(pg_url) as one, open_store(other_db) as two, one.site_lock("s") as got:
            assert got and not two.is_locked("s")  # each database has its own locks
            with two.site_lock("s") as also:
                assert also
    finally:
        pg_server.drop_database(other_db)


def test_a_killed_holder_releases_its_site_lock(pg_url: str) -> None:
    holder = (
        "import sys, time\n"
        "from funnel_audit.store.open import open_store\n"
        "with open_store(sys.argv[1]) as store, store.site_lock('harbourline') as got:\n"
        "    print('locked' if got else 'busy', flush=True)\n"
        "    time.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder, pg_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with open_store(pg_url) as store:
            assert store.is_locked("harbourline")
            with store.site_lock("harbourline") as got:
                assert not got
            proc.kill()
            proc.wait(30)
            deadline = time.monotonic() + 20
            while store.is_locked("harbourline") and time.monotonic() < deadline:
                time.sleep(0.1)
            with store.site_lock("harbourline") as got:
                assert got, "the lock of a killed run was not released"
    finally:
        proc.kill()
        proc.wait(30)


# --- failures are one line without the password --------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_failures_are_one_line_without_the_password(
    pg_server: PgServer, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    refused = f"postgresql://auditor:{PASSWORD}@127.0.0.1:{port}/x"
    wrong = pg_url.replace(PASSWORD, "Wrong-Pa55")
    missing = pg_server.url("no_such_database")
    cases = [
        (refused, f"postgresql://auditor:***@127.0.0.1:{port}/x: connection refused"),
        (wrong, 'password authentication failed for user "funnel"'),
        (missing, 'database "no_such_database" does not exist'),
    ]
    for url, words in cases:
        capsys.readouterr()
        assert main(["--traceback", "history", "--db", url]) == 7
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.startswith("funnel-audit: error:")]
        assert len(lines) == 1 and words in lines[0], err
        assert lines[0].startswith("funnel-audit: error: cannot connect to the history database ")
        assert PASSWORD not in err and "Wrong-Pa55" not in err
    with pytest.raises(StoreError, match="cannot connect") as caught:
        open_store(refused)
    assert PASSWORD not in str(caught.value)


def test_a_lost_server_is_one_line_too(pg_server: PgServer, pg_url: str) -> None:
    store = open_store(pg_url)
    try:
        run_sql(
            pg_server.url("postgres"),
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{pg_url.rsplit('/', 1)[1]}' AND pid <> pg_backend_pid()",
        )
        with pytest.raises(StoreError) as caught:
            store.audits()
        message = str(caught.value)
        assert message.startswith("the history database postgresql://funnel:***@127.0.0.1:")
        assert "\n" not in message and PASSWORD not in message
    finally:
        store.close()


# --- the whole result, kept with the audit (both backends) ---------------------------------


def test_the_result_is_kept_whole_with_each_complete_audit(
    tmp_path: Path, model: Any, db: str
) -> None:
    with open_store(db) as store:
        outcome = run_audit(
            AuditOptions(target=str(SAMPLES / "ledgerloop"), out_dir=tmp_path / "o"),
            model=model,
            store=store,
        )
        audit_id = outcome.result.audit_id
        assert audit_id is not None
        kept = store.load_result(audit_id)
        assert kept is not None and audit_to_dict(kept) == audit_to_dict(outcome.result)
        older = store.start_audit("old", "old", outcome.result.started_at, {}, "v")
        assert store.load_result(older) is None  # an audit from before results were kept
        assert store.load_result(987654) is None
        store.save_result(older, outcome.result)  # saving again replaces it
        store.save_result(older, kept)
        assert store.load_result(older) == kept
    run_sql(db, f"UPDATE audit_results SET format = 'other' WHERE audit_id = {older}")
    with open_store(db) as store, pytest.raises(StoreError, match="damaged audit_results row"):
        store.load_result(older)


def test_pages_come_back_in_the_order_written_past_one_read_chunk(db: str) -> None:
    from datetime import UTC, datetime

    from funnel_audit.models import PageResult, Stage

    def page(url: str) -> PageResult:
        return PageResult(url, 200, None, 1, "text/html", "t", 10, Stage.AWARENESS, 0.9, (), False,
                          "model")  # fmt: skip

    urls = [f"http://big.example/{(n * 7919) % 1200}" for n in range(1200)]  # not in URL order
    with open_store(db) as store:
        audit_id = store.start_audit("big", "big", datetime.now(UTC), {}, "v")
        for start in range(0, len(urls), 300):
            batch = [page(u) for u in urls[start : start + 300]]
            store.add_pages(audit_id, batch, evidence=lambda url: url.encode())
        store.add_pages(audit_id, [page(urls[5])])  # written again: it moves to the end
        order = [p.url for p, _ in store.iter_page_results(audit_id)]
        assert order == [*urls[:5], *urls[6:], urls[5]]
        assert [url for url, _ in store.page_evidence(audit_id)] == [*urls[:5], *urls[6:]]
        assert [p.url for p in store.pages(audit_id)] == sorted(urls)
