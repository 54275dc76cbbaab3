"""History migrations, concurrent writers, and diffs between audits (pure and through the CLI);
the store's tests run on both backends (the `db` fixture: SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from funnel_audit.analyse.diff import diff_audits, diff_gaps, pick_pair, stage_mix
from funnel_audit.audit import AuditOptions, run_audit
from funnel_audit.cli.main import main
from funnel_audit.errors import LookupFailed
from funnel_audit.models import PageResult, Stage
from funnel_audit.ports import AuditStore
from funnel_audit.store.history import MIGRATIONS
from funnel_audit.store.open import open_store
from funnel_audit.store.records import AuditRecord, StoredPage
from funnel_audit.store.schema import POSTGRES, SQLITE, statements
from tests.conftest import SAMPLES
from tests.pg_server import run_sql

HOST = "http://harbourline-plumbing.local"
PRICING_PAGE = """<!doctype html><html><head><title>Frozen pipe repair prices | Harbourline</title>
</head><body><main><h1>Frozen and burst pipe repair: fixed prices</h1>
<p>Our prices for frozen pipe and burst pipe repairs, fixed before we start. No call-out fee.</p>
<table><tr><th>Job</th><th>Price</th></tr>
<tr><td>Thaw a frozen pipe</td><td>£95</td></tr><tr><td>Repair a burst pipe</td><td>£145</td></tr>
<tr><td>Replace a section of pipe</td><td>£210</td></tr></table>
<h2>Compare our packages</h2><p>Standard, priority and winter-cover plans. Every price includes
VAT and our 12-month workmanship guarantee. Pay by card or spread the cost with 0% finance.</p>
<h2>What customers say</h2><p>"Fair price, fixed fast" - five-star review.</p>
<a class="btn" href="../quote.html">Get a fixed-price quote</a>
<a class="btn" href="../book.html">Book now</a></main></body></html>"""
NEW_POST = """<!doctype html><html><head>
<title>How to find a hidden water leak | Harbourline</title>
</head><body><main><article><h1>How to find a hidden water leak</h1>
<p>A hidden leak wastes water and can damage floors and ceilings long before you see it. Here is
how to check for one yourself in ten minutes.</p><h2>Read your water meter</h2><p>Turn off every
tap, note the meter reading, wait an hour without using water and read it again. If the number has
moved, water is escaping somewhere.</p><h2>Look for the signs</h2><p>Damp patches, peeling paint,
a musty smell, warped skirting boards and mould in corners are common signs of a slow leak.</p>
<h2>Check the usual suspects</h2><p>Toilet cisterns, the seals around baths and showers, and pipe
joints under sinks are where most leaks start. A few drops of food colouring in the cistern will
show whether it leaks into the bowl.</p></article></main></body></html>"""


def _gap(kind: str, stage: str | None, topic: str = "", message: str = "m") -> dict[str, Any]:
    return {"kind": kind, "stage": stage, "topic": topic, "severity": 2, "message": message}


def _page(url: str, stage: str | None, content_hash: str = "h") -> StoredPage:
    return StoredPage(url, 200, None, "", 300, stage, 0.9, (), "model", content_hash, "")


def _record(
    audit_id: int, status: str = "complete", started_at: str = "", gaps: list[Any] | None = None
) -> AuditRecord:
    return AuditRecord(audit_id, "s", "t", started_at, None, status, "v", gaps=gaps)


def test_migration_2_upgrades_a_version_1_database(db: str) -> None:
    dialect = POSTGRES if db.startswith("postgresql://") else SQLITE
    for statement in [
        *statements(1, dialect),
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
        "INSERT INTO schema_migrations VALUES (1, '2026-01-01')",
        "INSERT INTO audits (site, target, started_at, status, settings, model_version) "
        "VALUES ('a', 'a', '2026-01-01T00:00:00', 'complete', '{}', 'v1')",
    ]:
        run_sql(db, statement)
    with open_store(db) as store:
        assert store.schema_version() == len(MIGRATIONS) >= 2
        old = store.audit(1)
        assert old is not None and old.gaps is None and old.calendar is None
        store.upsert_site("alpha", "a", {"cadence": "monthly"})
        store.upsert_site("alpha", "a", {"cadence": "every 7 days"})
        assert [a.id for a in store.audits("alpha")] == [1]
        assert store.sites()[0].settings == {"cadence": "every 7 days"}


def _write_audits(db: str, site: str, count: int, barrier: Any) -> None:
    """One process's share of the concurrency test: many short write transactions."""
    barrier.wait()
    with open_store(db) as store:
        for n in range(count):
            audit_id = store.start_audit(site, site, datetime.now(UTC), {}, "v")
            for batch in range(4):
                store.add_pages(
                    audit_id,
                    [
                        PageResult(
                            url=f"http://{site}/{batch}/{i}",
                            status=200,
                            error=None,
                            depth=1,
                            content_type="text/html",
                            title="t",
                            word_count=100,
                            stage=Stage.AWARENESS,
                            confidence=0.9,
                            reasons=(),
                            needs_review=False,
                            label_source="model",
                        )
                        for i in range(25)
                    ],
                )
            store.record_findings(audit_id, [], [])
            store.finish_audit(audit_id, datetime.now(UTC), "complete", summary={"n": n})


def test_two_processes_write_audits_of_different_sites_at_once(db: str) -> None:
    # the history is fresh: both processes also race to run the migrations
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(target=_write_audits, args=(str(db), site, 15, barrier))
        for site in ("alpha.example", "beta.example")
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    with open_store(db) as store:
        for site in ("alpha.example", "beta.example"):
            audits = store.audits(site)
            assert len(audits) == 15 and {a.status for a in audits} == {"complete"}
            assert all(len(store.pages(a.id)) == 100 for a in audits)


def test_gaps_match_by_kind_stage_and_topic_not_wording() -> None:
    old = [_gap("thin_stage", "awareness", message="2 pages"), _gap("no_decision", None, "boilers")]
    new = [_gap("thin_stage", "awareness", message="3 pages"), _gap("stranded", "awareness")]
    opened, closed = diff_gaps(old, new)
    assert [(g.kind, g.stage) for g in opened] == [("stranded", "awareness")]
    assert [(g.kind, g.topic) for g in closed] == [("no_decision", "boilers")]


def test_diff_pages_and_mix_drift_are_pure() -> None:
    old = _record(1, started_at="2026-11-01", gaps=None)
    new = _record(2, started_at="2026-12-01", gaps=[])
    before = [
        _page("http://x/blog/index.html", "awareness"),
        _page("http://x/a", "decision"),
        _page("http://x/gone", "conversion"),
        _page("http://x/same", "awareness", "h1"),
    ]
    after = [
        _page("http://x/blog/", "awareness"),
        _page("http://x/a", "conversion"),
        _page("http://x/new", None),
        _page("http://x/same", "awareness", "h2"),
    ]
    d = diff_audits(old, before, new, after)
    assert [(p.url, p.stage) for p in d.added] == [("http://x/new", "unreadable")]
    assert [p.url for p in d.removed] == ["http://x/gone"]
    assert [(c.url, c.old_stage, c.new_stage) for c in d.stage_changed] == [
        ("http://x/a", "decision", "conversion")
    ]
    assert d.content_changed == ("http://x/same",)
    assert d.gaps_opened is None and d.gaps_closed is None  # old audit kept no gaps
    drift = {s.stage: s for s in d.drift}
    assert drift["conversion"].old_pages == 1 and drift["conversion"].new_pages == 1
    assert drift["decision"].delta_share == -0.25
    assert stage_mix(after)["awareness"] == (2, round(2 / 3, 4))
    json.dumps(d.to_dict())


def test_pick_pair_defaults_to_last_two_complete_and_explains_errors() -> None:
    audits = [_record(1), _record(2, "failed"), _record(3), _record(4, "running")]
    assert [a.id for a in pick_pair(audits, "s")] == [1, 3]
    assert [a.id for a in pick_pair(audits, "s", 2)] == [2, 3]
    assert [a.id for a in pick_pair(audits, "s", 3, 1)] == [3, 1]
    with pytest.raises(LookupFailed, match="not an audit of 's'"):
        pick_pair(audits, "s", 9)
    with pytest.raises(LookupFailed, match="1 complete audit"):
        pick_pair(audits[:2], "s")
    with pytest.raises(LookupFailed, match="no audits of 's'"):
        pick_pair([], "s")


def _audit(site: Path, store: AuditStore, model: Any, when: datetime, out: Path) -> int:
    outcome = run_audit(
        AuditOptions(target=str(site), out_dir=out), model=model, store=store, clock=lambda: when
    )
    assert outcome.result.audit_id is not None
    store.record_findings(outcome.result.audit_id, outcome.result.gaps, outcome.result.calendar)
    return outcome.result.audit_id


def test_reaudit_after_the_site_changes_shows_exactly_those_changes(
    tmp_path: Path, model: Any, capsys: pytest.CaptureFixture[str], db: str
) -> None:
    site = tmp_path / "harbourline-plumbing"
    shutil.copytree(SAMPLES / "harbourline-plumbing", site)
    with open_store(db) as store:
        first = _audit(site, store, model, datetime(2026, 11, 2, 9, tzinfo=UTC), tmp_path / "o1")
        (site / "advice" / "hidden-leaks.html").write_text(NEW_POST, encoding="utf-8")
        (site / "areas" / "saltmarsh.html").unlink()
        (site / "advice" / "frozen-pipes.html").write_text(PRICING_PAGE, encoding="utf-8")
        second = _audit(site, store, model, datetime(2026, 12, 1, 9, tzinfo=UTC), tmp_path / "o2")
        d = diff_audits(
            store.audit(first) or {},
            store.pages(first),
            store.audit(second) or {},
            store.pages(second),
        )
    assert [(p.url, p.stage) for p in d.added] == [
        (f"{HOST}/advice/hidden-leaks.html", "awareness")
    ]
    assert [(p.url, p.stage) for p in d.removed] == [
        (f"{HOST}/areas/saltmarsh.html", "consideration")
    ]
    assert [(c.url, c.old_stage, c.new_stage) for c in d.stage_changed] == [
        (f"{HOST}/advice/frozen-pipes.html", "awareness", "decision")
    ]
    assert d.content_changed == ()
    assert d.gaps_opened is not None and d.gaps_closed is not None
    drift = {s.stage: (s.old_pages, s.new_pages) for s in d.drift}
    assert drift["decision"][1] == drift["decision"][0] + 1
    assert drift["consideration"][1] == drift["consideration"][0] - 1

    assert main(["diff", "harbourline-plumbing", "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["old"]["id"], data["new"]["id"]) == (first, second)
    assert [c["new_stage"] for c in data["stage_changed"]] == ["decision"]
    assert main(["diff", "harbourline-plumbing", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "+ http://harbourline-plumbing.local/advice/hidden-leaks.html  [awareness]" in text
    assert (
        "~ http://harbourline-plumbing.local/advice/frozen-pipes.html  awareness -> decision"
        in text
    )
    assert main(["history", str(site), "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and "2026-11-02 09:00  complete" in lines[1]
    assert main(["history", "--db", str(db), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["pages"] for r in rows] == [34, 34]  # one page added, one removed


def test_history_and_diff_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], db: str
) -> None:
    assert main(["history", "--db", str(tmp_path / "none.sqlite3")]) == 2
    assert not (tmp_path / "none.sqlite3").exists()  # reading never creates a database
    open_store(db).close()
    assert main(["history", "nosuch.example", "--db", str(db)]) == 2
    assert main(["diff", "nosuch.example", "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("funnel-audit: error: ") for line in err)
