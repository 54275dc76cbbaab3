"""Re-audit the configured sites that are due, a few at a time, from cron or a systemd timer.

Due-ness is judged from the history database, never from files or memory: a site is due when it
has no complete audit since its last scheduled date, so running `run-due` twice in a period audits
nothing the second time, and a failed audit leaves the site due for the next run. Each site is
audited under its own non-blocking `flock`, so an overlapping cron start skips a site that is
still running instead of auditing it twice. The clock and the model are passed in, so tests can
move through months without waiting.
"""

from __future__ import annotations

import calendar
import contextlib
import os
import shlex
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from funnel_audit.config import Cadence, SiteConfig
from funnel_audit.config import audit_options as config_audit_options
from funnel_audit.errors import FunnelAuditError, InputError, Terminated
from funnel_audit.ports import OPEN_GATE, AuditStore, RequestGate
from funnel_audit.settings import default
from funnel_audit.store.location import Location, is_database_url, password_of, shown
from funnel_audit.store.open import open_store

if TYPE_CHECKING:  # the audit machinery (scikit-learn) loads only when a site is audited
    from funnel_audit.audit import AuditOptions
    from funnel_audit.read.reading import ModelSource

Clock = Callable[[], datetime]
UNIT_NAME = "funnel-audit-run-due"


def local_now() -> datetime:
    """The real clock, timezone-aware in local time (cadence days are local calendar days)."""
    return datetime.now().astimezone()


@dataclass(frozen=True, slots=True)
class SiteRun:
    """What `run-due` did with one site: complete, failed, not-due or running (locked)."""

    name: str
    status: str
    audit_id: int | None = None
    pages: int = 0
    report: str = ""
    error: str = ""
    seconds: float = 0.0
    next_due: date | None = None


def run_line(run: SiteRun) -> str:
    """One site's line as `run-due` prints it: name, result, pages, seconds, report or reason."""
    detail = run.report or run.error
    if run.status == "not-due" and run.next_due:
        detail = f"next due {run.next_due.isoformat()}"
    pages = str(run.pages) if run.status == "complete" else "-"
    return f"{run.name:<24}{run.status:<10}{pages:>6}{run.seconds:>9.1f}  {detail}"


def _scheduled(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def next_due(cadence: Cadence, last: date | None, today: date) -> date:
    """The first day the site is due again after an audit on `last` (today if never audited)."""
    if last is None:
        return today
    if cadence.days is not None:
        return last + timedelta(days=cadence.days)
    day = cadence.day_of_month or 1
    candidate = _scheduled(last.year, last.month, day)
    if candidate <= last:
        year, month = (last.year + 1, 1) if last.month == 12 else (last.year, last.month + 1)
        candidate = _scheduled(year, month, day)
    return candidate


def audit_day(stamp: str, now: datetime) -> date:
    """The calendar day (in the clock's timezone) an audit started on."""
    started = datetime.fromisoformat(stamp)
    if started.tzinfo is not None and now.tzinfo is not None:
        started = started.astimezone(now.tzinfo)
    return started.date()


def last_audit_day(store: AuditStore, site: SiteConfig, now: datetime) -> date | None:
    """The day of the site's last complete audit, or None."""
    last = store.last_complete(site.url)
    return audit_day(last.started_at, now) if last else None


def due_date(store: AuditStore | None, site: SiteConfig, now: datetime) -> date:
    """The day the site is next due (today or earlier: due now)."""
    last = last_audit_day(store, site, now) if store is not None else None
    return next_due(site.cadence, last, now.date())


def audit_options(site: SiteConfig, day: date, parsers: int | None = None) -> AuditOptions:
    """The options of a site's audit on `day`: its settings from the file, its dated folder."""
    return config_audit_options(site.options, site.url, site.output / day.isoformat(), parsers)


def audit_site(
    site: SiteConfig,
    db_path: Location,
    clock: Clock,
    model: ModelSource,
    parsers: int | None = None,
) -> SiteRun:
    """Audit one site if it is still due and not running elsewhere; never raises for the site's
    own failures, so one bad site cannot stop the others (runs in a worker thread or process)."""
    began = time.monotonic()
    try:
        with open_store(db_path) as store, store.site_lock(site.name) as locked:
            if not locked:
                return SiteRun(site.name, "running", error="another run is auditing it")
            return audit_due(store, site, clock, model, parsers, began=began)
    except Exception as exc:  # noqa: BLE001 - one site's failure must not stop the others
        return _failed(site, exc, began)


def audit_due(
    store: AuditStore,
    site: SiteConfig,
    clock: Clock,
    model: ModelSource,
    parsers: int | None = None,
    *,
    began: float | None = None,
    out_dir: Path | None | Literal["site"] = "site",
    resume: bool = False,
    gate: RequestGate = OPEN_GATE,
    retry_on: tuple[type[Exception], ...] = (),
) -> SiteRun:
    """Audit a site whose lock the caller holds, if it is due; never raises for the site's own
    failures. Its files go to the site's dated folder (`out_dir="site"`), to `out_dir`, or
    nowhere (None: the result stays in the history database alone). A distributed worker
    passes `resume` (continue the audit a dead worker left), its shared `gate`, and the errors
    it retries rather than fails the site for (`retry_on`, raised as they are)."""
    from funnel_audit.audit import run_audit

    began = time.monotonic() if began is None else began
    try:
        now = clock()
        due = due_date(store, site, now)
        if due > now.date():
            return SiteRun(site.name, "not-due", next_due=due)
        store.upsert_site(
            site.name, site.url, site.settings(), client_name=site["client_name"], now=now
        )
        opts = audit_options(site, now.date(), parsers)
        if out_dir != "site" or resume:
            opts = replace(opts, out_dir=opts.out_dir if out_dir == "site" else out_dir)
            opts = replace(opts, resume=resume)
        outcome = run_audit(
            opts,
            model=model,
            store=store,
            today=now.date(),
            clock=clock,
            write_outputs=opts.out_dir is not None,
            gate=gate,
        )
        result = outcome.result
        if result.audit_id is not None:
            store.record_findings(result.audit_id, result.gaps, result.calendar)
        report = outcome.files.get("report.html", outcome.out_dir) if outcome.files else ""
        return SiteRun(
            site.name,
            "complete",
            audit_id=result.audit_id,
            pages=len(result.pages),
            report=str(report),
            seconds=round(time.monotonic() - began, 2),
        )
    except retry_on:
        raise
    except Exception as exc:  # noqa: BLE001 - one site's failure must not stop the others
        return _failed(site, exc, began)


def _failed(site: SiteConfig, exc: Exception, began: float) -> SiteRun:
    """A site's audit that failed, with its one-line reason."""
    if isinstance(exc, FunnelAuditError):
        message = str(exc)
    elif isinstance(exc, OSError):
        message = f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
    else:
        message = f"internal error: {type(exc).__name__}: {exc}"
    return SiteRun(
        site.name, "failed", error=message[:500], seconds=round(time.monotonic() - began, 2)
    )


def run_due(
    sites: Sequence[SiteConfig],
    db_path: Location,
    *,
    model: ModelSource,
    workers: int = default("workers"),
    clock: Clock = local_now,
    processes: bool = True,
    on_done: Callable[[SiteRun], None] | None = None,
    parsers: int | None = None,
) -> list[SiteRun]:
    """Audit every due site, `workers` at a time; results in config order. `parsers` per audit
    (None: the machine's CPUs shared between the audits running at once).

    With `processes`, `model` and `clock` must be picklable (module-level functions such as
    `default_model` and `local_now`); threads accept any callable or a loaded model.
    """
    now = clock()
    results: dict[str, SiteRun] = {}
    with contextlib.suppress(FunnelAuditError), open_store(db_path) as store:
        for site in sites:
            due = due_date(store, site, now)
            if due > now.date():
                results[site.name] = SiteRun(site.name, "not-due", next_due=due)
    todo = [s for s in sites if s.name not in results]
    if todo:
        if processes and callable(model):
            with contextlib.suppress(Exception):
                model()  # train and cache once here, not once per worker process
        at_once = min(workers, len(todo))
        pool: Executor = (
            ProcessPoolExecutor(
                at_once, get_context("spawn"), initializer=_worker_start, initargs=(os.getpid(),)
            )
            if processes
            else ThreadPoolExecutor(at_once)
        )
        from funnel_audit.read.reading import default_parsers

        if parsers is None:
            parsers = default_parsers(at_once)  # the audits share the machine's CPUs
        try:
            futures: dict[Future[SiteRun], str] = {
                pool.submit(audit_site, site, db_path, clock, model, parsers): site.name
                for site in todo
            }
            for future in as_completed(futures):
                results[futures[future]] = _outcome(future, futures[future])
                if on_done is not None:
                    on_done(results[futures[future]])
        except BaseException:
            _stop_workers(pool)  # Ctrl-C or SIGTERM: the audits in flight end as interrupted
            raise
        pool.shutdown(wait=True)
    return [results[s.name] for s in sites]


WORKER_GRACE_SECONDS = 20.0


def _worker_start(parent: int) -> None:
    """In each worker process: SIGTERM interrupts its audit (kept as `interrupted`), and a worker
    whose parent has died (killed, even with SIGKILL) interrupts itself and exits: none outlives
    `run-due`."""
    signal.signal(signal.SIGTERM, _raise_terminated)
    threading.Thread(target=_follow_parent, args=(parent,), daemon=True).start()


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def _follow_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(WORKER_GRACE_SECONDS)  # time to mark the audit interrupted, then go regardless
    os._exit(143)


def _stop_workers(pool: Executor) -> None:
    """Cancel the sites not started and send SIGTERM to the worker processes, which mark their
    audits interrupted and exit; do not wait for audits to finish."""
    processes = dict(getattr(pool, "_processes", None) or {})
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.terminate()
    deadline = time.monotonic() + WORKER_GRACE_SECONDS
    for process in processes.values():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.join(max(0.0, deadline - time.monotonic()))


def _outcome(future: Future[SiteRun], name: str) -> SiteRun:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - e.g. a worker process killed by the OS
        return SiteRun(name, "failed", error=f"worker died: {type(exc).__name__}: {exc}")


def run_due_command(
    config: Path, db: Location, workers: int | None = None, python: str | None = None
) -> list[str]:
    """The argv a timer or cron runs: this interpreter, absolute paths, nothing from the env.
    A database URL holding a password is refused: the unit file and the crontab line are
    readable, and the password belongs in ~/.pgpass, which PostgreSQL's client reads."""
    import sys

    if password_of(db):
        raise InputError(
            f"the history database {shown(db)} carries a password, which would be written into "
            "the timer's command line: give the URL without it and put the password in "
            "~/.pgpass (host:port:database:user:password, mode 0600)"
        )

    argv = [
        python or sys.executable,
        "-m",
        "funnel_audit",
        "run-due",
        "--config",
        str(config.resolve()),
        "--db",
        str(db).strip() if is_database_url(db) else str(Path(db).resolve()),
    ]
    if workers is not None:
        argv += ["--workers", str(workers)]
    return argv


def systemd_quote(arg: str) -> str:
    """One argument as a unit file line must spell it: specifiers (%) and variables ($)
    escaped, quoted when it holds blanks, quotes, backslashes or a semicolon."""
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if escaped and not any(c in escaped for c in " \t\"'\\;"):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_path(path: Path) -> str:
    """A path as a unit file's path settings (WorkingDirectory=, EnvironmentFile=) take it:
    specifiers (%) escaped and no quotes, which those settings would keep as part of the path."""
    return str(path).replace("%", "%%")


def systemd_units(argv: Sequence[str], at: str, workdir: Path) -> dict[str, str]:
    """A oneshot service plus a daily, persistent timer (catches up after the machine slept)."""
    service = (
        "[Unit]\nDescription=funnel-audit: re-audit the sites that are due\n\n"
        "[Service]\nType=oneshot\n"
        f"WorkingDirectory={systemd_path(workdir)}\n"
        f"ExecStart={' '.join(systemd_quote(a) for a in argv)}\n"
        "Nice=10\n"
    )
    timer = (
        "[Unit]\nDescription=Daily funnel-audit run-due\n\n"
        f"[Timer]\nOnCalendar=*-*-* {at}:00\nPersistent=true\nRandomizedDelaySec=10min\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    return {f"{UNIT_NAME}.service": service, f"{UNIT_NAME}.timer": timer}


def cron_line(argv: Sequence[str], at: str, log: Path) -> str:
    """A crontab line; `%` is escaped because cron turns it into a newline."""
    hour, minute = (int(p) for p in at.split(":"))
    command = " ".join(shlex.quote(a) for a in argv) + f" >> {shlex.quote(str(log))} 2>&1"
    return f"{minute} {hour} * * * {command.replace('%', chr(92) + '%')}"


def install_systemd(units: dict[str, str], unit_dir: Path) -> list[Path]:
    """Write the unit files; their paths."""
    unit_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in units.items():
        path = unit_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def summary_counts(runs: Sequence[SiteRun]) -> dict[str, Any]:
    """How many sites ended in each state."""
    counts = {status: 0 for status in ("complete", "failed", "not-due", "running")}
    for run in runs:
        counts[run.status] = counts.get(run.status, 0) + 1
    return counts
