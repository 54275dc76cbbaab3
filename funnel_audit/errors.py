"""Domain exceptions: only what stops a whole run is raised; per-page failures are data.

Each class carries the process exit code the CLI maps it to. Messages are one line with a hint.
"""

from __future__ import annotations


class FunnelAuditError(Exception):
    """Base of every error funnel-audit raises on purpose."""

    exit_code = 1


class TargetError(FunnelAuditError):
    """The audit target is unusable: an invalid URL or a missing folder."""

    exit_code = 2


class CrawlError(FunnelAuditError):
    """The crawl cannot go on: start unreachable, start not HTML, nothing crawled."""

    exit_code = 3


class OutputError(FunnelAuditError):
    """The output directory cannot be written."""

    exit_code = 4


class ModelError(FunnelAuditError):
    """The classifier cannot be built, loaded or used."""

    exit_code = 5


class InputError(FunnelAuditError):
    """A file or option the user gave is malformed (labels CSV, target mix, config)."""

    exit_code = 6


class StoreError(FunnelAuditError):
    """The audit history database cannot be opened or written."""

    exit_code = 7


class StoreUnavailable(StoreError):
    """The history database's server cannot be reached for now (down, restarting, the
    connection lost): a distributed worker waits and tries again instead of failing the job."""


class LookupFailed(FunnelAuditError):
    """A site or audit asked for on the command line is not in the history database."""

    exit_code = 2


class ConfigError(InputError):
    """The schedule config file (funnel-audit.toml) is missing or malformed."""


class ScheduledRunFailed(FunnelAuditError):
    """`run-due` finished, but at least one site's audit failed (the others still ran)."""

    exit_code = 8


class BrokerError(FunnelAuditError):
    """The distributed mode's broker (Redis) cannot be reached, or refuses the login."""

    exit_code = 9


class WorkerStopped(FunnelAuditError):
    """`funnel-audit worker` stopped on an error of Celery's own (one it could not recover
    from, such as a broker connection it failed to restore): not 0, so a service manager
    starts it again."""

    exit_code = 10


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service stop, `kill`, a scheduler's timeout), handled like Ctrl-C: the audit
    is marked interrupted, every page already read is kept, and the exit code is 143."""
