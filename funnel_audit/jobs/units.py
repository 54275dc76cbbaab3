"""The systemd user units of the distributed mode: a Celery worker and Celery beat.

`schedule install --systemd --broker URL` writes them. Their command lines use this interpreter
and absolute paths, like the `run-due` timer's. A URL that carries a password (the history
database's or the broker's) is never written into a unit, which any local user may read and
`systemctl show` prints: it goes into an EnvironmentFile beside the units, mode 0600, as the
variable the CLI reads (`FUNNEL_AUDIT_DB`, `FUNNEL_AUDIT_BROKER`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from funnel_audit.errors import InputError
from funnel_audit.report.staging import write_file_atomically
from funnel_audit.schedule import systemd_path, systemd_quote
from funnel_audit.store.location import Location, is_database_url, redact

WORKER_UNIT = "funnel-audit-worker.service"
BEAT_UNIT = "funnel-audit-beat.service"
ENV_FILE = "funnel-audit.env"
BROKER_SCHEMES = ("redis", "rediss")
# SIGTERM to Celery's main process is its warm shutdown: no new tasks, the audits in flight run
# to the end. This long for them; past it the rest is killed, and the unacknowledged task (acks
# late) is delivered again and resumed from its committed pages.
STOP_TIMEOUT = "15min"
SECRET_MODE = 0o600
UNIT_MODE = 0o644
_ENV_UNSAFE = frozenset(" \t\"'\\$`")


@dataclass(frozen=True, slots=True)
class UnitFile:
    """One file to write: its text and its mode."""

    name: str
    text: str
    mode: int = UNIT_MODE


def check_broker(raw: str, where: str = "--broker") -> str:
    """A Redis broker URL (`redis://[:password@]HOST[:PORT][/N]`, or `rediss://` for TLS),
    checked; errors are one line that never repeats a password."""
    text = raw.strip()
    shown = redact(text)
    hint = "use redis://HOST:PORT/N (or rediss:// for TLS), e.g. redis://10.0.0.5:6379/0"
    if not text or not text.isprintable():
        raise InputError(f"{where} must be a Redis URL: {hint}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InputError(f"{where}: bad broker URL {shown!r}: {hint}") from None
    if parts.scheme.lower() not in BROKER_SCHEMES or not parts.hostname:
        raise InputError(f"{where}: unsupported broker {shown!r}: {hint}")
    if port == 0:
        raise InputError(f"{where}: bad port in {shown!r}: {hint}")
    number = parts.path.strip("/")
    if number and not (number.isdigit() and len(number) <= 5):
        raise InputError(f"{where}: the database number in {shown!r} must be a number: {hint}")
    return text


def has_password(url: str) -> bool:
    """Whether a URL carries a password (in its user part or as a `password=` parameter)."""
    return redact(url) != url


def env_value(url: str) -> str:
    """A URL as an EnvironmentFile value systemd reads back unchanged: characters it would take
    as quoting, escapes or variables are percent-encoded, which every URL parser decodes."""
    return "".join(quote(c, safe="") if c in _ENV_UNSAFE else c for c in url)


def worker_command(
    python: str, db: str | None, broker: str | None, concurrency: int | None
) -> list[str]:
    """`funnel-audit worker`; a None db or broker comes from the environment file instead."""
    argv = [python, "-m", "funnel_audit", "worker"]
    argv += ["--broker", broker] if broker else []
    argv += ["--db", db] if db else []
    argv += ["--concurrency", str(concurrency)] if concurrency is not None else []
    return argv


def beat_command(python: str, config: Path, db: str | None, broker: str | None) -> list[str]:
    """`funnel-audit beat`; a None db or broker comes from the environment file instead
    (beat reads which sites are due from the database the workers share)."""
    argv = [python, "-m", "funnel_audit", "beat", "--config", str(config)]
    argv += ["--broker", broker] if broker else []
    return argv + (["--db", db] if db else [])


def _service(description: str, argv: Sequence[str], workdir: Path, env: Path | None) -> str:
    lines = [
        "[Unit]",
        f"Description={description}",
        "",
        "[Service]",
        "Type=simple",
        f"WorkingDirectory={systemd_path(workdir)}",
    ]
    if env is not None:
        lines.append(f"EnvironmentFile={systemd_path(env)}")
    lines += [
        f"ExecStart={' '.join(systemd_quote(a) for a in argv)}",
        "Restart=on-failure",
        "RestartSec=10s",
    ]
    return "\n".join(lines) + "\n"


def distributed_units(
    config: Path,
    db: Location,
    broker: str,
    unit_dir: Path,
    concurrency: int | None = None,
    python: str | None = None,
) -> list[UnitFile]:
    """The worker and beat services, and the environment file when a URL holds a password."""
    python = python or sys.executable
    db_text = db if isinstance(db, str) and is_database_url(db) else str(Path(db).resolve())
    secrets = {}
    if has_password(db_text):
        secrets["FUNNEL_AUDIT_DB"] = db_text
    if has_password(broker):
        secrets["FUNNEL_AUDIT_BROKER"] = broker
    env = unit_dir.resolve() / ENV_FILE if secrets else None
    inline_db = None if "FUNNEL_AUDIT_DB" in secrets else db_text
    inline_broker = None if "FUNNEL_AUDIT_BROKER" in secrets else broker
    workdir = config.parent.resolve()
    worker = _service(
        "funnel-audit: Celery worker auditing queued sites",
        worker_command(python, inline_db, inline_broker, concurrency),
        workdir,
        env,
    )
    worker += (
        "Nice=10\n"
        "# warm shutdown: SIGTERM to the main process only, audits in flight run to the end\n"
        "KillSignal=SIGTERM\nKillMode=mixed\n"
        f"TimeoutStopSec={STOP_TIMEOUT}\n\n[Install]\nWantedBy=default.target\n"
    )
    beat = _service(
        "funnel-audit: Celery beat queueing the sites that are due",
        beat_command(python, config.resolve(), inline_db, inline_broker),
        workdir,
        env,
    )
    beat += "\n[Install]\nWantedBy=default.target\n"
    files = [UnitFile(WORKER_UNIT, worker), UnitFile(BEAT_UNIT, beat)]
    if secrets:
        body = "".join(f"{name}={env_value(value)}\n" for name, value in secrets.items())
        header = f"# funnel-audit: secrets for {WORKER_UNIT} and {BEAT_UNIT} (keep mode 0600)\n"
        files.append(UnitFile(ENV_FILE, header + body, SECRET_MODE))
    return files


def enable_line() -> str:
    """What to run once the units are written."""
    return (
        f"systemctl --user daemon-reload && systemctl --user enable --now {WORKER_UNIT} {BEAT_UNIT}"
    )


def write_units(files: Sequence[UnitFile], unit_dir: Path) -> tuple[list[Path], Path | None]:
    """Write each file atomically with its mode (the secrets file is 0600 from its first byte);
    an environment file an earlier install left is removed when no URL needs one now. Returns
    the paths written and the stale file removed, if any. Raises OSError."""
    written = []
    for unit in files:
        path = unit_dir / unit.name
        write_file_atomically(path, unit.text, unit.mode)
        written.append(path)
    stale = unit_dir / ENV_FILE
    if all(unit.name != ENV_FILE for unit in files) and stale.is_file():
        stale.unlink()
        return written, stale
    return written, None
