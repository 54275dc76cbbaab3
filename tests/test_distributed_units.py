"""`schedule install --systemd --broker URL`: the worker and beat units of the distributed mode,
written through the CLI into a real folder; passwords only in the 0600 environment file."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from funnel_audit.cli.main import main
from tests.conftest import SAMPLES

DB_PASSWORD = "S3cr$t'x"
BROKER_PASSWORD = "R3d\\s pw"
PG_URL = f"postgresql://funnel:{DB_PASSWORD}@db.example:5432/funnel"
SECRET_BROKER = f"redis://:{BROKER_PASSWORD}@10.0.0.5:6379/1"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "my sites" / "funnel-audit.toml"
    path.parent.mkdir()
    path.write_text(
        f'[[sites]]\nname = "ledgerloop"\nurl = "{SAMPLES / "ledgerloop"}"\n', encoding="utf-8"
    )
    return path


def _install(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["schedule", "install", "--systemd", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _exec_start(unit: str) -> str:
    return next(line for line in unit.splitlines() if line.startswith("ExecStart="))


def test_worker_and_beat_units_without_secrets(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = tmp_path / "units"
    db = tmp_path / "history.sqlite3"
    code, out, err = _install(
        capsys,
        "--broker",
        "redis://127.0.0.1:6379/0",
        "--db",
        str(db),
        "--config",
        str(config),
        "--concurrency",
        "3",
        "--dir",
        str(units),
    )
    assert code == 0, err
    assert sorted(p.name for p in units.iterdir()) == [
        "funnel-audit-beat.service",
        "funnel-audit-worker.service",
    ]
    worker = (units / "funnel-audit-worker.service").read_text(encoding="utf-8")
    beat = (units / "funnel-audit-beat.service").read_text(encoding="utf-8")
    python = sys.executable
    assert _exec_start(worker) == (
        f"ExecStart={python} -m funnel_audit worker --broker redis://127.0.0.1:6379/0 "
        f"--db {db.resolve()} --concurrency 3"
    )
    assert _exec_start(beat) == (
        f'ExecStart={python} -m funnel_audit beat --config "{config.resolve()}" '
        f"--broker redis://127.0.0.1:6379/0 --db {db.resolve()}"
    )
    for unit in (worker, beat):
        assert "Restart=on-failure" in unit and "EnvironmentFile" not in unit
        assert f"WorkingDirectory={config.parent.resolve()}\n" in unit
        assert "WantedBy=default.target" in unit
    assert "KillMode=mixed" in worker and "TimeoutStopSec=15min" in worker
    assert "KillSignal=SIGTERM" in worker
    assert (
        "systemctl --user daemon-reload && systemctl --user enable --now "
        "funnel-audit-worker.service funnel-audit-beat.service"
    ) in out
    for unit in ("funnel-audit-worker.service", "funnel-audit-beat.service"):
        assert stat.S_IMODE((units / unit).stat().st_mode) == 0o644


def test_passwords_go_to_a_0600_environment_file_only(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = tmp_path / "units"
    code, out, err = _install(
        capsys,
        "--broker",
        SECRET_BROKER,
        "--db",
        PG_URL,
        "--config",
        str(config),
        "--dir",
        str(units),
    )
    assert code == 0, err
    env = units / "funnel-audit.env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    for name in ("funnel-audit-worker.service", "funnel-audit-beat.service"):
        unit = (units / name).read_text(encoding="utf-8")
        for secret in (DB_PASSWORD, BROKER_PASSWORD, "S3cr", "R3d"):
            assert secret not in unit
        assert f"EnvironmentFile={env.resolve()}" in unit
        assert "--db" not in _exec_start(unit) and "--broker" not in _exec_start(unit)
    assert "S3cr" not in out + err and "R3d" not in out + err
    values = dict(
        line.split("=", 1)
        for line in env.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    # what systemd reads back is the URL itself: the characters it would take as quotes,
    # escapes, blanks or variables are percent-encoded, which URL parsers decode
    assert unquote(values["FUNNEL_AUDIT_DB"]) == PG_URL
    assert unquote(values["FUNNEL_AUDIT_BROKER"]) == SECRET_BROKER
    assert not any(c in v for v in values.values() for c in " \t\"'\\$`")
    assert not list(units.glob(".*.tmp")), "no temporary file left behind"

    # only the database is secret: the broker goes back on the command line
    code, _out, err = _install(
        capsys,
        "--broker",
        "redis://10.0.0.5:6379/1",
        "--db",
        PG_URL,
        "--config",
        str(config),
        "--dir",
        str(units),
    )
    worker = (units / "funnel-audit-worker.service").read_text(encoding="utf-8")
    assert code == 0 and "--broker redis://10.0.0.5:6379/1" in _exec_start(worker)
    assert "FUNNEL_AUDIT_BROKER" not in env.read_text(encoding="utf-8")

    # no secret at all: the old environment file goes, and no unit names it
    code, out, _err = _install(
        capsys,
        "--broker",
        "redis://10.0.0.5:6379/1",
        "--db",
        "postgresql://funnel@db.example/funnel",
        "--config",
        str(config),
        "--dir",
        str(units),
    )
    assert code == 0 and not env.exists() and f"removed {env}" in out
    worker = (units / "funnel-audit-worker.service").read_text(encoding="utf-8")
    assert "EnvironmentFile" not in worker
    assert "--db postgresql://funnel@db.example/funnel" in _exec_start(worker)


def test_settings_from_the_environment_and_the_file(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config.write_text(
        f'broker = "{SECRET_BROKER.replace(chr(92), chr(92) * 2)}"\nworker_concurrency = 5\n'
        + config.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    monkeypatch.setenv("FUNNEL_AUDIT_DB", PG_URL)
    units = tmp_path / "units"
    code, _out, err = _install(capsys, "--config", str(config), "--dir", str(units))
    assert code == 0, err
    worker = (units / "funnel-audit-worker.service").read_text(encoding="utf-8")
    assert _exec_start(worker).endswith("-m funnel_audit worker --concurrency 5")
    env = (units / "funnel-audit.env").read_text(encoding="utf-8")
    assert "FUNNEL_AUDIT_DB=" in env and "FUNNEL_AUDIT_BROKER=" in env


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_units(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = tmp_path / "units"
    code, _out, err = _install(
        capsys,
        "--broker",
        SECRET_BROKER,
        "--db",
        PG_URL,
        "--config",
        str(config),
        "--concurrency",
        "2",
        "--dir",
        str(units),
    )
    assert code == 0, err
    timer = tmp_path / "timer"  # and the run-due timer's units, from a folder with a space
    assert (
        _install(
            capsys,
            "--db",
            str(tmp_path / "h.sqlite3"),
            "--config",
            str(config),
            "--dir",
            str(timer),
        )[0]
        == 0
    )
    paths = [str(p) for p in (*units.glob("*.service"), *timer.iterdir())]
    assert len(paths) == 4
    done = subprocess.run(
        ["systemd-analyze", "verify", *paths],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )
    complaints = [
        line
        for line in done.stderr.splitlines()
        if "funnel-audit-" in line or str(tmp_path) in line
    ]
    assert done.returncode == 0 and complaints == [], done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--broker", "http://127.0.0.1:6379/0"], "unsupported broker"),
        (["--broker", "redis://127.0.0.1:port/0"], "bad broker URL"),
        (["--broker", "redis://:hunter2@127.0.0.1:notaport/0"], "bad broker URL"),
        (["--broker", "redis://127.0.0.1:6379/zero"], "must be a number"),
        (["--broker", "redis:///0"], "unsupported broker"),
        (["--broker", "redis://127.0.0.1:6379/0", "--at", "04:00"], "--at is for the run-due"),
        (["--broker", "redis://127.0.0.1:6379/0", "--workers", "3"], "--workers is for"),
        (["--broker", "redis://127.0.0.1:6379/0", "--cron"], "drop --cron"),
        (["--broker", "redis://127.0.0.1:6379/0", "--concurrency", "0"], "--concurrency"),
    ],
)
def test_bad_input_is_one_line(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    units = tmp_path / "units"
    capsys.readouterr()
    code = main(
        [
            "schedule",
            "install",
            *args,
            "--db",
            str(tmp_path / "h.sqlite3"),
            "--config",
            str(config),
            "--dir",
            str(units),
        ]
    )
    err = capsys.readouterr().err
    assert code in (2, 6) and len(err.strip().splitlines()) == 1 and message in err, err
    assert "hunter2" not in err
    assert not units.exists(), "nothing is written after a refusal"


def test_a_broker_needs_a_shared_database_and_a_writable_folder(
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FUNNEL_AUDIT_DB", raising=False)
    code, _out, err = _install(
        capsys,
        "--broker",
        "redis://127.0.0.1:6379/0",
        "--config",
        str(config),
        "--dir",
        str(tmp_path / "u"),
    )
    assert code == 6 and "--broker needs --db" in err and len(err.strip().splitlines()) == 1
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    code, _out, err = _install(
        capsys,
        "--broker",
        "redis://127.0.0.1:6379/0",
        "--db",
        PG_URL,
        "--config",
        str(config),
        "--dir",
        str(blocker / "units"),
    )
    assert code == 6 and "cannot write systemd units" in err and "S3cr" not in err


def test_without_a_broker_the_run_due_timer_is_unchanged(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = tmp_path / "units"
    code, _out, err = _install(
        capsys, "--db", str(tmp_path / "h.sqlite3"), "--config", str(config), "--dir", str(units)
    )
    assert code == 0, err
    assert sorted(p.name for p in units.iterdir()) == [
        "funnel-audit-run-due.service",
        "funnel-audit-run-due.timer",
    ]
