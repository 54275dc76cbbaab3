"""The `funnel-audit` command: parse flags, call the library, turn errors into one clear line.

No business logic lives here; every verb is a thin shell over a library function that tests and
other programs can call directly.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

import click

from funnel_audit.cli import (  # noqa: F401 - they register verbs
    audit,
    export,
    history,
    jobs,
    model,
    portfolio,
    schedule,
)
from funnel_audit.cli.app import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    RunState,
    cli,
)
from funnel_audit.errors import FunnelAuditError, StoreError, Terminated


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises `Terminated` while a command runs (only the main thread may set it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: exit codes are stable (see errors.py); tracebacks only with --traceback."""
    state = RunState()  # the group sets it from --traceback as click parses the command line
    args = None if argv is None else list(argv)
    try:
        with _sigterm_interrupts():
            done = cli.main(args=args, prog_name="funnel-audit", standalone_mode=False, obj=state)
        if isinstance(done, int) and not isinstance(done, bool) and done:
            return done  # click returns, not raises, the code of an `Exit` in this mode
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C (and our SIGTERM) into Abort; the pages read so far are committed
        click.echo("funnel-audit: interrupted", err=True)
        return EXIT_TERMINATED if isinstance(exc.__cause__, Terminated) else EXIT_INTERRUPTED
    except click.UsageError as exc:
        # one line like every other error, with where to look (click would print a usage block)
        where = exc.ctx.command_path if exc.ctx is not None else "funnel-audit"
        message = " ".join(exc.format_message().split())
        click.echo(f"funnel-audit: error: {message} (see `{where} --help`)", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except FunnelAuditError as exc:
        if state.show_traceback:
            traceback.print_exc()
        click.echo(f"funnel-audit: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        click.echo(
            "funnel-audit: interrupted; pages fetched so far are kept in the history database",
            err=True,
        )
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except sqlite3.DatabaseError as exc:
        if state.show_traceback:
            traceback.print_exc()
        click.echo(f"funnel-audit: error: {_database_failure(exc)}", err=True)
        return StoreError.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence must catch everything
        if state.show_traceback:
            traceback.print_exc()
        click.echo(
            f"funnel-audit: internal error: {type(exc).__name__}: {exc} "
            "(run with --traceback for details)",
            err=True,
        )
        return EXIT_INTERNAL
    return 0


def _database_failure(exc: sqlite3.DatabaseError) -> str:
    """What went wrong with the history database, in words that fit the cause: a full disk or a
    read-only file is not a damaged database, and restoring a backup would not help."""
    why = "".join(c if c.isprintable() else "?" for c in str(exc)[:160])
    lowered = why.lower()
    if "disk is full" in lowered or "no space" in lowered:
        return (
            "no space left for the history database (the disk is full); pages committed so far "
            "are kept: free some space and run again with --resume, or use --db elsewhere"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return (
            "the history database is read-only (its file or folder cannot be written); "
            "use --db with a writable file, or --no-history"
        )
    # a history file damaged after it was opened (disk fault, a copy taken without its -wal)
    return (
        f"the history database failed: {why} (restore it from a backup, or use --db with "
        "another file or --no-history)"
    )
