"""The click group every verb registers on, and what the whole run shares.

Each verb lives in its own module (`audit.py`, `history.py`, `model.py`, `schedule.py`); `main.py`
imports them all and turns errors into one clear line and a documented exit code. The options of
the verbs come from the settings table (`options.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import click

from funnel_audit import __version__

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as shells report a terminated command
EXIT_INTERNAL = 70


@dataclass
class RunState:
    """What the group's own flags set for the whole run, kept in the click context object: click
    parses the command line once, and `main` reads this when something fails."""

    show_traceback: bool = False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="funnel-audit")
@click.option(
    "--traceback",
    "show_traceback",
    is_flag=True,
    help="Show the full Python traceback when something fails.",
)
@click.pass_context
def cli(ctx: click.Context, show_traceback: bool) -> None:
    """Audit a website's content against the buyer's funnel.

    Crawl a site (or read a static-site folder), label every page awareness / consideration /
    decision / conversion (or excluded), find the thin stages and plan content to fill them.
    """
    ctx.ensure_object(RunState).show_traceback = show_traceback
