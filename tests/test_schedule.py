"""Scheduled re-audits: config checks, cadence maths, run-due through months, locks, install.
The tests that keep a history run on SQLite and on PostgreSQL (the `db` fixture)."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from funnel_audit.classify.store import save_model
from funnel_audit.cli.main import main
from funnel_audit.config import Cadence, load_config, parse_cadence
from funnel_audit.errors import ConfigError
from funnel_audit.schedule import (
    cron_line,
    next_due,
    run_due,
    run_due_command,
    systemd_units,
)
from funnel_audit.store.open import open_store
from tests.conftest import SAMPLES


def _closed_port_url() -> str:
    """An http URL nothing listens on: connection refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _config(tmp_path: Path, sites: str, top: str = "") -> Path:
    path = tmp_path / "funnel-audit.toml"
    path.write_text(f'output_dir = "reports"\n{top}\n{sites}', encoding="utf-8")
    return path


GOOD_SITES = f"""
[defaults]
max_pages = 60
concurrency = 2

[[sites]]
name = "harbourline"
url = "{SAMPLES / "harbourline-plumbing"}"
client_name = "Harbourline Plumbing"
cadence = "monthly on day 1"
target = {{ awareness = 0.5, conversion = 0.1 }}

[[sites]]
name = "ledgerloop"
url = "{SAMPLES / "ledgerloop"}"
cadence = "every 14 days"
"""


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_config_is_read_with_defaults_and_relative_paths(tmp_path: Path) -> None:
    path = _config(tmp_path, GOOD_SITES + '\noutput = "elsewhere/ll"\n', top="workers = 3")
    config = load_config(path)
    assert config.workers == 3 and [s.name for s in config.sites] == ["harbourline", "ledgerloop"]
    harbour, ledger = config.sites
    assert harbour["max_pages"] == 60 and harbour["concurrency"] == 2 and harbour["client_name"]
    assert dict(harbour["target"])["awareness"] > 0.45
    assert harbour.output == tmp_path / "reports" / "harbourline"
    assert ledger.output == tmp_path / "elsewhere" / "ll"
    assert ledger.cadence == Cadence(day_of_month=None, days=14)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[sites]]\nname = "a"\nurl = "x"\ncolour = "red"', "unknown key(s) colour"),
        ('[[sites]]\nname = "a"\nurl = "x"\ncadence = "weekly"', "bad cadence 'weekly'"),
        ('[[sites]]\nname = "a"\nurl = "x"\n[[sites]]\nname = "a"\nurl = "y"', "two sites"),
        ('[[sites]]\nname = "a"', "url is required"),
        ('[[sites]]\nname = "../a"\nurl = "x"', "name must be"),
        ('[[sites]]\nname = "a"\nurl = "x"\nmax_pages = 0', "max_pages must be a whole number"),
        ('[[sites]]\nname = "a"\nurl = "x"\ntarget = { excluded = 1 }', "bad target entry"),
        ("", "no sites"),
        ("[[sites]\n", "not valid TOML"),
    ],
)
def test_config_mistakes_are_one_clear_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as exc:
        load_config(_config(tmp_path, body))
    assert "\n" not in str(exc.value)


def test_cadence_maths() -> None:
    monthly31 = parse_cadence("Monthly on day 31")
    assert next_due(monthly31, None, date(2026, 2, 3)) == date(2026, 2, 3)
    assert next_due(monthly31, date(2026, 1, 31), date(2026, 2, 3)) == date(2026, 2, 28)
    assert next_due(monthly31, date(2026, 2, 28), date(2026, 3, 1)) == date(2026, 3, 31)
    monthly = parse_cadence("monthly")
    assert next_due(monthly, date(2026, 12, 1), date(2026, 12, 2)) == date(2027, 1, 1)
    assert next_due(monthly, date(2026, 11, 20), date(2026, 11, 30)) == date(2026, 12, 1)
    assert next_due(parse_cadence("every 1 day"), date(2026, 3, 1), date(2026, 3, 1)) == date(
        2026, 3, 2
    )
    assert str(parse_cadence("every  14   DAYS")) == "every 14 days"


def test_run_due_through_the_months(tmp_path: Path, model: Any, db: str) -> None:
    broken = f'\n[[sites]]\nname = "broken"\nurl = "{_closed_port_url()}"\n'
    config = load_config(_config(tmp_path, GOOD_SITES + broken))
    clock = Clock(datetime(2026, 11, 3, 3, 0, tzinfo=UTC))

    def run() -> dict[str, str]:
        runs = run_due(config.sites, db, model=model, workers=3, clock=clock, processes=False)
        errors = [f"{r.name}: {r.error}" for r in runs if r.error and r.name != "broken"]
        assert not errors, errors
        return {r.name: r.status for r in runs}

    # The unreachable site fails; the other two are audited all the same.
    assert run() == {"harbourline": "complete", "ledgerloop": "complete", "broken": "failed"}
    assert (tmp_path / "reports" / "harbourline" / "2026-11-03" / "report.html").is_file()
    # Idempotent: the same day again audits nothing (the failed site is still due).
    assert run() == {"harbourline": "not-due", "ledgerloop": "not-due", "broken": "failed"}
    clock.now = datetime(2026, 11, 17, 3, 0, tzinfo=UTC)  # 14 days on: only ledgerloop
    assert run()["ledgerloop"] == "complete"
    clock.now = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert run()["harbourline"] == "not-due"
    clock.now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # the 1st, and 14 days on again
    assert run() == {"harbourline": "complete", "ledgerloop": "complete", "broken": "failed"}
    with open_store(db) as store:
        done = [a.started_at[:10] for a in store.complete_audits("harbourline")]
        assert done == ["2026-11-03", "2026-12-01"]
        assert len(store.complete_audits("ledgerloop")) == 3
        assert {a.status for a in store.audits("broken")} == {"failed"}
        latest = store.audit(store.complete_audits("harbourline")[-1].id)
        assert latest is not None and latest.gaps and latest.calendar
        assert latest.settings is not None and latest.settings["target_mix"]["awareness"] > 0.45
        assert {s.name for s in store.sites()} == {"harbourline", "ledgerloop", "broken"}


def test_a_site_already_running_is_skipped(tmp_path: Path, model: Any, db: str) -> None:
    config = load_config(_config(tmp_path, GOOD_SITES))
    with open_store(db) as lock_store, lock_store.site_lock("harbourline") as got:
        assert got
        runs = run_due(
            config.sites,
            db,
            model=model,
            processes=False,
            clock=Clock(datetime(2026, 11, 3, tzinfo=UTC)),
        )
    assert [(r.name, r.status) for r in runs] == [
        ("harbourline", "running"),
        ("ledgerloop", "complete"),
    ]
    with open_store(db) as store:
        assert store.audits("harbourline") == []


def test_run_due_command_in_worker_processes(
    tmp_path: Path, model: Any, capsys: pytest.CaptureFixture[str], db: str
) -> None:
    """The real CLI path: spawned worker processes each loading the model, exit 8 on a failure."""
    broken = f'\n[[sites]]\nname = "broken"\nurl = "{_closed_port_url()}"\n'
    path = _config(tmp_path, GOOD_SITES + broken)
    save_model(model, tmp_path / "model.npz")  # workers load it instead of retraining
    args = [
        "run-due",
        "--config",
        str(path),
        "--db",
        str(db),
        "--workers",
        "2",
        "--model",
        str(tmp_path / "model.npz"),
    ]
    assert main(args) == 8
    captured = capsys.readouterr()
    assert "3 site(s): 2 audited, 1 failed, 0 not due" in captured.out
    assert captured.err.strip() == "funnel-audit: error: 1 of 3 site(s) failed: broken"
    assert main(args) == 8
    assert "0 audited, 1 failed, 2 not due" in capsys.readouterr().out
    assert main(["schedule", "show", "--config", str(path), "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    assert "every 14 days" in shown and "due now" in shown and "waiting" in shown


def test_schedule_install_writes_units_or_prints_cron(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, GOOD_SITES)
    db = tmp_path / "h.sqlite3"
    units = tmp_path / "units"
    assert (
        main(
            [
                "schedule",
                "install",
                "--config",
                str(path),
                "--db",
                str(db),
                "--dir",
                str(units),
                "--at",
                "04:30",
            ]
        )
        == 0
    )
    service = (units / "funnel-audit-run-due.service").read_text()
    timer = (units / "funnel-audit-run-due.timer").read_text()
    assert f"run-due --config {path} --db {db}" in service and "Type=oneshot" in service
    assert "OnCalendar=*-*-* 04:30:00" in timer and "Persistent=true" in timer
    capsys.readouterr()
    assert main(["schedule", "install", "--cron", "--config", str(path), "--db", str(db)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("0 3 * * * ") and f"run-due --config {path}" in line
    assert main(["schedule", "install", "--config", str(path), "--at", "25:00"]) == 6


def test_unit_and_cron_quoting_survive_odd_paths(tmp_path: Path) -> None:
    argv = run_due_command(
        Path("/srv/my sites/50%.toml"), Path("/data/h.sqlite3"), python="/usr/bin/python3"
    )
    service = systemd_units(argv, "03:00", Path("/srv/my sites"))["funnel-audit-run-due.service"]
    assert '--config "/srv/my sites/50%%.toml"' in service
    assert "WorkingDirectory=/srv/my sites\n" in service  # a path setting takes no quotes
    assert "'/srv/my sites/50\\%.toml'" in cron_line(argv, "03:00", Path("/tmp/log"))


def test_readme_example_config_is_valid(tmp_path: Path) -> None:
    readme = (SAMPLES.parent / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```toml\n")[1:]]
    example = next(b for b in blocks if "[[sites]]" in b)  # the schedule's, not the team's
    path = tmp_path / "funnel-audit.toml"
    path.write_text(example, encoding="utf-8")
    config = load_config(path)
    assert [s.name for s in config.sites] == ["harbourline", "ledgerloop"]
    assert str(config.sites[0].cadence) == "monthly on day 3"
    assert config.sites[1].output == Path("/srv/reports/ledgerloop")
    assert config.sites[1]["max_pages"] == 300 and config.sites[1]["delay"] == 1.0


@pytest.mark.parametrize(
    "verb",
    [
        ["history"],
        ["diff"],
        ["run-due"],
        ["schedule"],
        ["schedule", "install"],
        ["schedule", "show"],
    ],
)
def test_every_history_verb_has_help(verb: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*verb, "--help"]) == 0
    assert "Usage: funnel-audit" in capsys.readouterr().out


def test_run_due_stopped_with_sigterm_leaves_no_worker_behind(
    tmp_path: Path, model: Any, db: str
) -> None:
    """SIGTERM to `run-due` interrupts the audits in its worker processes (kept as
    `interrupted`), the workers exit, and so does run-due with 143 (issue 12, case 16)."""
    import signal
    import subprocess
    import sys

    from tests.live_runs import children, slow_site, still_alive, wait_for_pages
    from tests.pg_server import run_sql

    with slow_site(SAMPLES / "ledgerloop", delay=0.3) as url:
        sites = f'[[sites]]\nname = "slow"\nurl = "{url}"\nconcurrency = 1\n'
        cmd = [sys.executable, "-m", "funnel_audit", "run-due", "--config",
               str(_config(tmp_path, sites)), "--db", str(db), "--workers", "1"]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        committed = wait_for_pages(db, proc, 4)
        assert proc.poll() is None and committed >= 4, "the audit should still be running"
        workers = children(proc.pid)
        assert workers
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert not still_alive(workers, 30), "a worker outlived run-due"
    assert proc.returncode == 143
    assert run_sql(db, "SELECT status FROM audits") == [("interrupted",)]
