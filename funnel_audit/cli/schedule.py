"""`funnel-audit run-due` and `funnel-audit schedule install|show`: thin shells over schedule.py.

Registered on the click group in `app.py` (`main.py` imports it). Their options come from the
settings table and are resolved like every verb's: --db, else $FUNNEL_AUDIT_DB, else `db` in the
config file, else the default history database.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import click
from click.core import ParameterSource

from funnel_audit.cli.app import cli
from funnel_audit.cli.jobs import queue_sites
from funnel_audit.cli.options import (
    EPILOG,
    command_settings,
    db_path,
    model_cache,
    model_source,
    setting_options,
)
from funnel_audit.config import ScheduleConfig
from funnel_audit.errors import InputError, ScheduledRunFailed
from funnel_audit.jobs.units import (
    ENV_FILE,
    check_broker,
    distributed_units,
    enable_line,
    write_units,
)
from funnel_audit.schedule import (
    SiteRun,
    cron_line,
    due_date,
    install_systemd,
    last_audit_day,
    local_now,
    run_due,
    run_due_command,
    run_line,
    summary_counts,
    systemd_units,
)
from funnel_audit.settings import INSTALL, RUN_DUE, SHOW, Resolved
from funnel_audit.store.location import Location, shown
from funnel_audit.store.open import exists, open_store


def _settings(ctx: click.Context, command: str) -> tuple[Resolved, ScheduleConfig, Location]:
    values, config = command_settings(ctx, command, need_sites=True)
    assert config is not None  # need_sites: found and listing sites, or ConfigError
    return values, config, db_path(values)


@cli.command("run-due", epilog=EPILOG)
@setting_options(RUN_DUE)
@click.pass_context
def run_due_cmd(ctx: click.Context, /, **_: object) -> None:
    """Audit every site in the config file that is due, a few at a time.

    A site is due when it has no complete audit since its last scheduled date, so running this
    twice in a period audits nothing the second time. A site still being audited by another run
    is skipped. One failing site never stops the others; the exit code is 8 if any failed. Each
    site's settings come from the file alone; the options here are the run's own.
    """
    values, config, db = _settings(ctx, RUN_DUE)
    if values["broker"] is not None:
        queue_sites(ctx, values, config, db)
        return
    quiet = values["quiet"]

    def report(run: SiteRun) -> None:
        if not quiet or run.status == "failed":
            click.echo(run_line(run))

    with model_cache(values):
        model = model_source(values)  # a bad model file stops here, once, not in every worker
        if not quiet:
            click.echo(f"{'site':<24}{'result':<10}{'pages':>6}{'seconds':>9}  report / reason")
        runs = run_due(
            config.sites,
            db,
            model=model,
            workers=values["workers"],
            parsers=values["parsers"],
            on_done=report,
        )
    for run in runs:
        if run.status in ("not-due", "running"):
            report(run)
    counts = summary_counts(runs)
    click.echo(
        f"{len(runs)} site(s): {counts['complete']} audited, {counts['failed']} failed, "
        f"{counts['not-due']} not due, {counts['running']} already running"
    )
    failed = [r.name for r in runs if r.status == "failed"]
    if failed:
        raise ScheduledRunFailed(
            f"{len(failed)} of {len(runs)} site(s) failed: {', '.join(failed)}"
        )


@cli.group("schedule")
def schedule() -> None:
    """Run `run-due` daily from a systemd user timer or cron, and see what is due when."""


@schedule.command("show")
@setting_options(SHOW)
@click.pass_context
def show(ctx: click.Context, /, **_: object) -> None:
    """List each configured site with its cadence, last complete audit and next due date."""
    _values, config, db = _settings(ctx, SHOW)
    now = local_now()
    store = open_store(db) if exists(db) else None
    click.echo(f"config: {config.path}\nhistory: {shown(db)}")
    click.echo(f"{'site':<24}{'cadence':<20}{'last audit':<12}{'next due':<12}state")
    try:
        for site in config.sites:
            last = last_audit_day(store, site, now) if store is not None else None
            due = due_date(store, site, now)
            state = "due now" if due <= now.date() else "waiting"
            if store is not None and store.is_locked(site.name):
                state = "running"
            click.echo(
                f"{site.name:<24}{str(site.cadence):<20}"
                f"{last.isoformat() if last else 'never':<12}{due.isoformat():<12}{state}"
            )
    finally:
        if store is not None:
            store.close()


@schedule.command("install")
@click.option(
    "--systemd",
    "mode",
    flag_value="systemd",
    default=True,
    help="Write a systemd user service + timer (the default).",
)
@click.option("--cron", "mode", flag_value="cron", help="Print a crontab line instead.")
@setting_options(INSTALL)
@click.option(
    "--at", "at", default="03:00", show_default=True, help="Time of day (HH:MM, local) to run."
)
@click.option(
    "--dir",
    "unit_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write the systemd units [default: ~/.config/systemd/user].",
)
@click.pass_context
def install(ctx: click.Context, /, mode: str, at: str, unit_dir: Path | None, **_: object) -> None:
    """Run `run-due` daily: write a systemd user timer, or print the crontab line.

    The command uses this Python interpreter and absolute paths to the config file and the
    history database, so it does not depend on the working directory or environment. With
    --broker, write instead the units of the distributed mode: a Celery worker
    (funnel-audit-worker.service) and beat (funnel-audit-beat.service); a database or broker URL
    holding a password goes into funnel-audit.env beside them (mode 0600), never into a unit.
    """
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", at):
        raise InputError(f"bad --at {at!r}: use HH:MM, e.g. 03:00")
    values, config, db = _settings(ctx, INSTALL)
    if values["broker"] is not None:
        _install_distributed(ctx, values, config, mode, unit_dir)
        return
    workers = values["workers"] if values.origin("workers") == "--workers" else None
    argv = run_due_command(config.path, db, workers)  # the file's own `workers` stays live
    if mode == "cron":
        click.echo(cron_line(argv, at, config.path.parent / "funnel-audit-run-due.log"))
        click.echo("# add it with `crontab -e`", err=True)
        return
    target = unit_dir or _user_unit_dir()
    try:
        written = install_systemd(systemd_units(argv, at, config.path.parent), target)
    except OSError as exc:
        raise InputError(f"cannot write systemd units to {target}: {exc.strerror or exc}") from exc
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(
        "enable it with: systemctl --user daemon-reload && "
        "systemctl --user enable --now funnel-audit-run-due.timer"
    )
    click.echo("(to run while you are logged out: loginctl enable-linger $USER)")


def _user_unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def _install_distributed(
    ctx: click.Context,
    values: Resolved,
    config: ScheduleConfig,
    mode: str,
    unit_dir: Path | None,
) -> None:
    """`schedule install --systemd --broker URL`: the worker and beat units."""
    if mode == "cron":
        raise InputError("--broker writes systemd units (a worker and beat); drop --cron")
    for flag, name in (("--at", "at"), ("--workers", "workers")):
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            raise InputError(
                f"{flag} is for the run-due timer; with --broker, beat queues the due sites "
                "and each worker takes --concurrency audits at once"
            )
    broker = check_broker(str(values["broker"]), values.origin("broker"))
    if not values.given("db"):
        raise InputError(
            "--broker needs --db (or FUNNEL_AUDIT_DB, or db in the config file): the history "
            "every worker shares, e.g. postgresql://user:password@host:5432/funnel"
        )
    target = unit_dir or _user_unit_dir()
    files = distributed_units(
        config.path, values["db"], broker, target, values["worker_concurrency"]
    )
    try:
        written, removed = write_units(files, target)
    except OSError as exc:
        raise InputError(f"cannot write systemd units to {target}: {exc.strerror or exc}") from exc
    for path in written:
        click.echo(
            f"wrote {path}" + (" (mode 0600: it holds a password)" if path.name == ENV_FILE else "")
        )
    if removed is not None:
        click.echo(f"removed {removed} (no URL holds a password now)")
    click.echo(f"enable them with: {enable_line()}")
    click.echo(
        "(run beat on one machine only; to keep them running while you are logged out: "
        "loginctl enable-linger $USER)"
    )
