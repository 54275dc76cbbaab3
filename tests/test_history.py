"""The history on both backends (SQLite and PostgreSQL, the `db` fixture): migrations, audits and
pages, interrupted runs never shown as complete. The WAL and unopenable-file checks are about a
SQLite file and run on SQLite alone."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from funnel_audit.audit import AuditOptions, run_audit
from funnel_audit.errors import StoreError
from funnel_audit.store.history import MIGRATIONS, HistoryStore
from funnel_audit.store.open import open_store
from tests.conftest import SAMPLES
from tests.pg_server import run_sql


def test_migrations_are_recorded_once(db: str) -> None:
    with open_store(db) as store:
        assert store.schema_version() == len(MIGRATIONS)
    with open_store(db) as store:
        assert store.schema_version() == len(MIGRATIONS)
    versions = [r[0] for r in run_sql(db, "SELECT version FROM schema_migrations")]
    assert sorted(versions) == list(range(1, len(MIGRATIONS) + 1))


def test_a_sqlite_history_is_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    HistoryStore(db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_unopenable_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot open history database"):
        HistoryStore(tmp_path / "file" / "h.sqlite3")


def test_audit_is_stored_with_pages(tmp_path: Path, model, db: str) -> None:  # noqa: ANN001
    clock = iter([datetime(2026, 11, 1, 9, 0, tzinfo=UTC), datetime(2026, 11, 1, 9, 5, tzinfo=UTC)])
    with open_store(db) as store:
        outcome = run_audit(
            AuditOptions(target=str(SAMPLES / "ledgerloop"), out_dir=tmp_path / "out"),
            model=model,
            store=store,
            clock=lambda: next(clock),
        )
        audits = store.audits("ledgerloop")
        assert len(audits) == 1 and audits[0].status == "complete"
        assert audits[0].started_at.startswith("2026-11-01T09:00")
        pages = store.pages(audits[0].id)
    assert len(pages) == len(outcome.result.pages)
    assert {p.stage for p in pages} >= {"awareness", "consideration", "decision"}


def test_interrupted_audit_is_marked_and_keeps_pages(
    tmp_path: Path,
    model,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    db: str,
) -> None:
    import funnel_audit.site_pages as pages_mod

    real_add = pages_mod.SitePages.add
    seen = {"n": 0}

    def interrupting_add(self, item):  # type: ignore[no-untyped-def]
        seen["n"] += 1
        if seen["n"] == 20:
            raise KeyboardInterrupt
        return real_add(self, item)

    monkeypatch.setattr(pages_mod.SitePages, "add", interrupting_add)
    with open_store(db) as store, pytest.raises(KeyboardInterrupt):
        run_audit(
            AuditOptions(target=str(SAMPLES / "harbourline-plumbing"), out_dir=tmp_path / "o"),
            model=model,
            store=store,
        )
    with open_store(db) as store:
        audit = store.audits()[0]
        assert audit.status == "interrupted"
        assert len(store.pages(audit.id)) == 19


def test_second_audit_report_shows_changes_since_the_last(
    tmp_path: Path,
    model,  # noqa: ANN001
    db: str,
) -> None:
    from bs4 import BeautifulSoup

    with open_store(db) as store:
        for name in ("one", "two"):
            outcome = run_audit(
                AuditOptions(target=str(SAMPLES / "ledgerloop"), out_dir=tmp_path / name),
                model=model,
                store=store,
            )
    soup = BeautifulSoup(
        (outcome.out_dir / "report.html").read_text(encoding="utf-8"), "html.parser"
    )
    section = soup.find(id="changes")
    assert section is not None
    assert "Trend across audits" in section.get_text()
    chart = section.find("svg")
    assert chart is not None and chart.find("title") is not None
    assert len(chart.find_all("polyline")) == 4
    assert len(section.find_all("table")[1].find("tbody").find_all("tr")) == 2


def test_report_lists_planned_entries_that_were_published(
    tmp_path: Path,
    model,  # noqa: ANN001
    db: str,
) -> None:
    import json
    import shutil

    from bs4 import BeautifulSoup

    site = tmp_path / "ledgerloop"
    shutil.copytree(SAMPLES / "ledgerloop", site)
    with open_store(db) as store:
        first = run_audit(
            AuditOptions(target=str(site), out_dir=tmp_path / "one"), model=model, store=store
        )
    plan = json.loads((first.out_dir / "audit.json").read_text(encoding="utf-8"))["calendar"]
    entry = next(e for e in plan if e["stage"] == "decision")
    keyword = (entry["keywords"] or [entry["target_topic"]])[0]
    (site / "customers" / "harbour-freight.html").write_text(
        f"""<!doctype html><html><head>
<title>Case study: {keyword} at Harbour Freight | Ledgerloop</title></head><body><main>
<h1>Customer story: Harbour Freight cut invoice processing time by 62%</h1>
<p>Harbour Freight's finance team chose Ledgerloop after comparing three vendors. Within four
months of going live they processed invoices 62% faster, captured every early-payment discount
and saved $48,000 a year. "The rollout took three weeks and paid for itself in a quarter," says
their finance director. Results: 62% faster approvals, zero duplicate payments, 4.8/5 rating.</p>
<a class="btn" href="../demo.html">Book a demo</a></main></body></html>""",
        encoding="utf-8",
    )
    with open_store(db) as store:
        second = run_audit(
            AuditOptions(target=str(site), out_dir=tmp_path / "two"), model=model, store=store
        )
    new = next(p for p in second.result.pages if "harbour-freight" in p.url)
    assert new.stage is not None and new.stage.value == "decision"
    soup = BeautifulSoup(
        (second.out_dir / "report.html").read_text(encoding="utf-8"), "html.parser"
    )
    changes = soup.find(id="changes").get_text(" ")
    assert "Planned content now published" in changes
    assert "harbour-freight" in changes and entry["working_title"] in changes
