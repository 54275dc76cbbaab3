"""The distributed mode's verbs: `funnel-audit worker`, `funnel-audit beat`, and the queueing
half of `run-due --broker` (its command is in `cli/schedule.py`). Thin shells over `jobs/`."""

from __future__ import annotations

import re

import click
from click.core import ParameterSource

from funnel_audit.cli.app import cli
from funnel_audit.cli.options import (
    EPILOG,
    command_settings,
    db_path,
    model_cache,
    model_source,
    setting_options,
)
from funnel_audit.config import ScheduleConfig, find_config, load_config
from funnel_audit.errors import (
    BrokerError,
    InputError,
    ScheduledRunFailed,
    StoreUnavailable,
    WorkerStopped,
)
from funnel_audit.jobs.units import check_broker
from funnel_audit.schedule import SiteRun, local_now, run_line, summary_counts
from funnel_audit.settings import BEAT, WORKER, Resolved
from funnel_audit.store.location import Location, redact, shown
from funnel_audit.store.open import open_store
from funnel_audit.store.reconnect import Reconnecting
from funnel_audit.store.records import JobRecord

_LOCAL_ONLY = (("--workers", "workers"), ("--parsers", "parsers"), ("--model", "model"),
               ("--cache", "cache"))  # fmt: skip


def _broker(values: Resolved, verb: str) -> str:
    """The checked broker URL, and a database that was given (every machine must share it)."""
    if values["broker"] is None:
        raise InputError(
            f"{verb} needs --broker (or FUNNEL_AUDIT_BROKER, or broker in the config file): "
            "the Redis server of the queue, e.g. redis://10.0.0.5:6379/0"
        )
    broker = check_broker(str(values["broker"]), values.origin("broker"))
    if not values.given("db"):
        raise InputError(
            f"{verb} needs --db (or FUNNEL_AUDIT_DB, or db in the config file): the history "
            "every worker shares, e.g. postgresql://user:password@host:5432/funnel"
        )
    from funnel_audit.jobs.app import check_reachable

    check_reachable(broker)
    open_store(db_path(values)).close()  # reachable, and migrated once, before any work
    return broker


def queue_sites(ctx: click.Context, values: Resolved, config: ScheduleConfig, db: Location) -> None:
    """`run-due --broker`: queue each due site, one line per site; with --wait, one more line
    per site as its audit ends, and exit code 8 if any failed."""
    from funnel_audit.jobs.app import make_app
    from funnel_audit.jobs.messages import broker_watch
    from funnel_audit.jobs.queue import job_run, queue_due, wait_for

    for flag, name in _LOCAL_ONLY:
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            raise InputError(
                f"{flag} is for audits run here; with --broker the workers audit the sites "
                "(give it to `funnel-audit worker`)"
            )
    broker = _broker(values, "run-due --broker")
    quiet = values["quiet"]
    with open_store(db) as store, broker_watch(broker) as (messages, alive):
        results = queue_due(config, store, make_app(broker), local_now, messages, alive)
        if not quiet:
            click.echo(f"{'site':<24}{'result':<18}job / reason")
            for item in results:
                click.echo(f"{item.name:<24}{item.status:<18}{item.detail}")
        live = sum(1 for r in results if r.status.startswith("already-"))
        fresh = sum(1 for r in results if r.status == "queued")
        click.echo(
            f"{len(results)} site(s): {fresh} queued, {live} already queued or running, "
            f"{len(results) - fresh - live} not due (broker {redact(broker)}, "
            f"history {shown(db)})"
        )
    unsent = [r for r in results if r.unsent]
    if unsent:
        raise BrokerError(
            f"{unsent[0].unsent}; {len(unsent)} job(s) are in the history database but not "
            "sent: the workers send them once the broker is back"
        )
    if not values["wait"]:
        return
    ids = [r.job_id for r in results if r.job_id is not None]
    if not quiet and ids:
        click.echo(f"{'site':<24}{'result':<10}{'pages':>6}{'seconds':>9}  report / reason")

    def outage(exc: StoreUnavailable) -> None:
        click.echo(f"warning: {exc}; waiting for it to come back", err=True)

    ended: dict[int, SiteRun] = {}
    with Reconnecting(db, on_outage=outage) as history:

        def report(job: JobRecord) -> None:
            run = ended[job.id] = history.read(lambda store: job_run(store, job))
            if not quiet or run.status == "failed":
                click.echo(run_line(run))

        runs = [ended[job.id] for job in wait_for(history, ids, report)]
    counts = summary_counts(runs)
    click.echo(
        f"{len(runs)} site(s) waited for: {counts['complete']} audited, {counts['failed']} failed"
    )
    failed = [r.name for r in runs if r.status == "failed"]
    if failed:
        raise ScheduledRunFailed(
            f"{len(failed)} of {len(runs)} site(s) failed: {', '.join(failed)}"
        )


@cli.command("worker", epilog=EPILOG)
@setting_options(WORKER)
@click.pass_context
def worker_cmd(ctx: click.Context, /, **_: object) -> None:
    """Run a Celery worker that audits the sites queued by `run-due --broker` or `beat`.

    Each task audits one site (--concurrency at once, default one per CPU); the results go to
    the history database (--db, shared by every machine), and the files also under
    --output-dir when it is given. A worker killed mid-audit loses nothing: another worker
    resumes its audit. Stop it with SIGTERM (or Ctrl-C): the audits in flight finish first.
    """
    import os

    from funnel_audit.jobs.runner import WorkerContext
    from funnel_audit.jobs.worker import node_name, run_worker
    from funnel_audit.read.reading import default_parsers

    values, _config = command_settings(ctx, WORKER)
    broker = _broker(values, "worker")
    db = db_path(values)
    concurrency = values["worker_concurrency"] or len(os.sched_getaffinity(0)) or 1
    output_dir = values["output_dir"] if values.given("output_dir") else None
    with model_cache(values):
        context = WorkerContext(
            db=db,
            broker=broker,
            model=model_source(values),
            # the audits running at once share the CPUs for their parser processes
            parsers=values["parsers"] if values.given("parsers") else default_parsers(concurrency),
            output_dir=output_dir.resolve() if output_dir is not None else None,
            max_in_flight=values["max_in_flight"],
            busy_host_delay=values["busy_host_delay"],
            name=node_name(),
        )
        click.echo(
            f"funnel-audit worker {context.name}: {concurrency} audit(s) at once, broker "
            f"{redact(broker)}, history {shown(db)}, at most {context.max_in_flight} requests "
            "in flight across all workers"
            + (f", reports under {context.output_dir}" if context.output_dir else "")
        )
        code = run_worker(context, concurrency)
    if code:
        raise WorkerStopped(
            f"the worker stopped on an error (Celery's exit code {code}; its log says which); "
            "start it again"
        )


@cli.command("beat", epilog=EPILOG)
@setting_options(BEAT)
@click.pass_context
def beat_cmd(ctx: click.Context, /, **_: object) -> None:
    """Run Celery beat: queue the due sites for the workers now, then daily at --beat-at.

    What it queues is what `run-due --broker` would: each due site once (a site already queued
    or running is skipped). Run it on one machine; a second one would queue nothing twice, but
    there is no need. The config file is read again for each run.
    """
    from funnel_audit.jobs.app import password_of_url
    from funnel_audit.jobs.beat import run_beat

    values, config = command_settings(ctx, BEAT, need_sites=True)
    assert config is not None
    broker = _broker(values, "beat")
    at = str(values["beat_at"]).strip()
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", at):
        raise InputError(f"{values.origin('beat_at')}: bad time {at!r}: use HH:MM, e.g. 03:00")
    hour, minute = (int(part) for part in at.split(":"))
    path = config.path
    click.echo(
        f"funnel-audit beat: queueing the due sites of {path} now and daily at "
        f"{hour:02d}:{minute:02d}, broker {redact(broker)}, history {shown(db_path(values))}"
    )
    run_beat(
        lambda: load_config(find_config(path)),
        db_path(values),
        broker,
        (hour, minute),
        (password_of_url(broker),),
    )
