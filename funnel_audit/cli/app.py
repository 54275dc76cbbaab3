"""The click group every verb registers on, and the flags and checks verbs share.

Each verb lives in its own module (`audit.py`, `history.py`, `model.py`, `schedule.py`); `main.py`
imports them all and turns errors into one clear line and a documented exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from funnel_audit import __version__
from funnel_audit.errors import InputError

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70
_state = {"traceback": False}


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"bad date {value!r}: use YYYY-MM-DD") from None


def _accent(value: str) -> str:
    import re

    if not re.fullmatch(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", value):
        raise InputError(f"bad --accent {value!r}: use a hex colour such as #1f4e79")
    return value


def branding_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The report-branding flags shared by `audit` and `report`."""
    for option in reversed(
        (
            click.option("--client-name", default="", help="Client name shown in the report."),
            click.option("--agency-name", default="", help="Agency name shown in the report."),
            click.option(
                "--logo", type=click.Path(path_type=Path), help="Logo image embedded in the report."
            ),
            click.option(
                "--accent", default="#1f4e79", show_default=True, help="Report accent colour."
            ),
            click.option(
                "--templates",
                "template_dir",
                type=click.Path(path_type=Path, file_okay=False),
                help="Folder of templates that override the shipped report templates.",
            ),
        )
    ):
        f = option(f)
    return f


F = TypeVar("F", bound=Callable[..., Any])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="funnel-audit")
@click.option(
    "--traceback",
    "show_traceback",
    is_flag=True,
    help="Show the full Python traceback when something fails.",
)
def cli(show_traceback: bool) -> None:
    """Audit a website's content against the buyer's funnel.

    Crawl a site (or read a static-site folder), label every page awareness / consideration /
    decision / conversion (or excluded), find the thin stages and plan content to fill them.
    """
    _state["traceback"] = show_traceback


def db_option(func: F) -> F:
    """The one `--db` flag every history verb shares."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="History database [default: $FUNNEL_AUDIT_DB or "
        "~/.local/share/funnel-audit/history.sqlite3].",
    )(func)
