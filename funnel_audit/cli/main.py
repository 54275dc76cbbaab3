"""The `funnel-audit` command: parse flags, call the library, turn errors into one clear line.

No business logic lives here; every verb is a thin shell over a library function that tests and
other programs can call directly.
"""

from __future__ import annotations

import sqlite3
import traceback
from collections.abc import Sequence

import click

from funnel_audit.cli import audit, history, model, schedule  # noqa: F401 - they register verbs
from funnel_audit.cli.app import EXIT_INTERNAL, EXIT_INTERRUPTED, RunState, cli
from funnel_audit.errors import FunnelAuditError, StoreError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: exit codes are stable (see errors.py); tracebacks only with --traceback."""
    state = RunState()  # the group sets it from --traceback as click parses the command line
    args = None if argv is None else list(argv)
    try:
        cli.main(args=args, prog_name="funnel-audit", standalone_mode=False, obj=state)
    except click.exceptions.Abort:
        click.echo("funnel-audit: interrupted", err=True)
        return EXIT_INTERRUPTED
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
    except KeyboardInterrupt:
        click.echo(
            "funnel-audit: interrupted; pages fetched so far are kept in the history database",
            err=True,
        )
        return EXIT_INTERRUPTED
    except sqlite3.DatabaseError as exc:
        # a history file damaged after it was opened (disk fault, a copy taken without its -wal)
        if state.show_traceback:
            traceback.print_exc()
        why = "".join(c if c.isprintable() else "?" for c in str(exc)[:160])
        click.echo(
            f"funnel-audit: error: the history database failed: {why} (restore it from "
            "a backup, or use --db with another file or --no-history)",
            err=True,
        )
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
