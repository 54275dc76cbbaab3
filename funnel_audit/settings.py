"""Every user-facing setting of `audit`, `run-due` and the verbs that share them, in one table.

A row says what a setting is (type, default, bounds, help) and where it can be given: the command
line flag, the key in `funnel-audit.toml` and the environment variable `FUNNEL_AUDIT_<NAME>`.
Every default is written here and nowhere else. Values are taken, lowest to highest, from the
default, the file, the environment and the flags the user actually typed (`resolve`); whatever
the source, a value is checked by the same `coerce`, and a bad one is one line naming its source.

The click options are generated from this table in `cli/options.py`, the file is read in
`config.py`; the kinds of values and their checks are in `setting_kinds.py`. This module
knows neither click nor TOML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from funnel_audit import __version__
from funnel_audit.models import Stage
from funnel_audit.setting_kinds import AUDIT as AUDIT
from funnel_audit.setting_kinds import BEAT as BEAT
from funnel_audit.setting_kinds import DIFF as DIFF
from funnel_audit.setting_kinds import ENV_PREFIX as ENV_PREFIX
from funnel_audit.setting_kinds import EXPORT as EXPORT
from funnel_audit.setting_kinds import HISTORY as HISTORY
from funnel_audit.setting_kinds import INSTALL as INSTALL
from funnel_audit.setting_kinds import PORTFOLIO as PORTFOLIO
from funnel_audit.setting_kinds import REPORT as REPORT
from funnel_audit.setting_kinds import RUN_DUE as RUN_DUE
from funnel_audit.setting_kinds import SHOW as SHOW
from funnel_audit.setting_kinds import SITE as SITE
from funnel_audit.setting_kinds import TOP as TOP
from funnel_audit.setting_kinds import WORKER as WORKER
from funnel_audit.setting_kinds import Kind as Kind
from funnel_audit.setting_kinds import Setting as Setting
from funnel_audit.setting_kinds import coerce as coerce
from funnel_audit.setting_kinds import parse_mix
from funnel_audit.setting_kinds import show as show

DEFAULT_USER_AGENT = f"funnel-audit/{__version__} (+https://github.com/funnel-audit/funnel-audit)"

_MIX = ((Stage.AWARENESS, 0.4), (Stage.CONSIDERATION, 0.3), (Stage.DECISION, 0.2),
        (Stage.CONVERSION, 0.1))  # fmt: skip
_FILE_USERS = (
    AUDIT,
    REPORT,
    RUN_DUE,
    HISTORY,
    DIFF,
    SHOW,
    INSTALL,
    PORTFOLIO,
    EXPORT,
    WORKER,
    BEAT,
)
_RENDER = (AUDIT, REPORT, EXPORT)  # the verbs that write a report
_SITES = "The sites to audit, and settings for them."

# A table reads best as one: ruff format would put every argument on a line of its own.
# fmt: off
TABLE: tuple[Setting, ...] = (
    Setting("config", Kind.FILE, None, "Settings file (funnel-audit.toml).", _FILE_USERS,
            scope=None, metavar="FILE", help_by={RUN_DUE: _SITES, SHOW: _SITES, INSTALL: _SITES,
            PORTFOLIO: "Settings file; its [[sites]] are listed even if never audited, with their "
            "next due date.", WORKER: "Settings file (its top-level db, broker, output_dir...).",
            BEAT: _SITES},
            shown="./funnel-audit.toml, else ~/.config/funnel-audit/funnel-audit.toml"),
    Setting("out", Kind.PATH, None, "Output folder.", _RENDER, scope=None, env=False,
            metavar="DIR", shown="./funnel-audit-report/<site>-<date>/",
            shown_by={REPORT: "the folder holding AUDIT_JSON"}),
    Setting("max_pages", Kind.INT, 500, "Stop after this many pages.", low=1, metavar="N"),
    Setting("max_depth", Kind.INT, 10, "Follow links at most this many clicks from the start "
            "page.", low=0, metavar="N"),
    Setting("concurrency", Kind.INT, 8, "Parallel requests.", low=1, high=64, metavar="N"),
    Setting("delay", Kind.FLOAT, 0.0, "Seconds between requests to one host (a larger "
            "robots.txt Crawl-delay wins).", low=0, high=3600, metavar="SECONDS"),
    Setting("timeout", Kind.FLOAT, 20.0, "Total seconds allowed per request.", low=0.1,
            high=3600, metavar="SECONDS"),
    Setting("user_agent", Kind.TEXT, DEFAULT_USER_AGENT, "User-Agent header to send.",
            metavar="TEXT", shown=DEFAULT_USER_AGENT.replace(__version__, "<version>")),
    Setting("include_subdomains", Kind.FLAG, False, "Also crawl subdomains of the start host."),
    Setting("include", Kind.PATTERNS, (), "Only follow URLs matching this regex (repeatable).",
            metavar="REGEX"),
    Setting("exclude", Kind.PATTERNS, (), "Never follow URLs matching this regex (repeatable).",
            metavar="REGEX"),
    Setting("allow_private", Kind.FLAG, False, "Allow redirects to private or loopback "
            "addresses (implied when the target itself is local)."),
    Setting("ignore_robots", Kind.FLAG, False, "Do not obey robots.txt (only for a site you "
            "own)."),
    Setting("alias_hosts", Kind.HOSTS, (), "Another host name of the site, e.g. the live host "
            "of a staging copy or folder: links to it count as links within the site "
            "(repeatable).", flag="--alias-host", metavar="HOST"),
    Setting("target", Kind.MIX, _MIX, "Target stage mix, or a preset (growth, nurture, "
            "conversion, balanced); left-out stages keep their default.", metavar="MIX"),
    Setting("weeks", Kind.INT, 12, "Weeks the content calendar covers.", low=0, high=104,
            metavar="N"),
    Setting("per_week", Kind.INT, 2, "Calendar entries per week.", low=1, high=14, metavar="N"),
    Setting("start", Kind.DATE, None, "First calendar date.", scope=None, metavar="YYYY-MM-DD",
            shown="next Monday"),
    Setting("team", Kind.TEAM, (), "Someone the calendar is assigned to, as 'NAME <EMAIL> ROLES "
            "CAPACITY', e.g. 'Ana Ruiz <ana@agency.example> writer,designer 2': roles among "
            "writer, web, sales, designer; capacity in pieces a week, 1-50 (repeatable; replaces "
            "the file's [[team]]).", flag="--team-member", scope=TOP, metavar="MEMBER"),
    Setting("labels", Kind.FILE, None, "CSV of url,stage with manual labels that override the "
            "model.", metavar="FILE"),
    Setting("model", Kind.FILE, None, "A model written by `funnel-audit train`.",
            (AUDIT, RUN_DUE, WORKER), scope=TOP, metavar="FILE", shown="the shipped model"),
    Setting("client_name", Kind.TEXT, "", "Client name shown in the report.", _RENDER,
            metavar="TEXT"),
    Setting("agency_name", Kind.TEXT, "", "Agency name shown in the report.", _RENDER,
            metavar="TEXT"),
    Setting("logo", Kind.FILE, None, "Logo image embedded in the report (PNG, JPEG, GIF, WebP "
            "or SVG, at most 1 MB).", _RENDER, metavar="FILE"),
    Setting("accent", Kind.COLOUR, "#1f4e79", "Report accent colour.", _RENDER,
            metavar="#RRGGBB"),
    Setting("templates", Kind.DIR, None, "Folder of templates that override the shipped report "
            "templates.", _RENDER, metavar="DIR"),
    Setting("xlsx", Kind.FLAG, False, "Also write report.xlsx, an Excel workbook.",
            _RENDER),
    Setting("pdf", Kind.FLAG, False, "Also write report.pdf (needs Chromium).", _RENDER,
            scope=None),
    Setting("db", Kind.STORE, None, "History database: a SQLite file, or a PostgreSQL URL "
            "(postgresql://user:password@host:port/database).", (AUDIT, RUN_DUE, HISTORY, DIFF,
            SHOW, INSTALL, PORTFOLIO, EXPORT, WORKER, BEAT), scope=TOP, metavar="PATH|URL",
            shown="history.sqlite3 in the user data folder (~/.local/share/funnel-audit on Linux)"),
    Setting("cache", Kind.DIR, None, "Where the trained classifier is cached.",
            (AUDIT, RUN_DUE, WORKER),
            scope=TOP, metavar="DIR", shown="user cache folder (~/.cache/funnel-audit on Linux)"),
    Setting("resume", Kind.FLAG, False, "Continue the last interrupted audit of TARGET without "
            "refetching its pages.", scope=None, env=False),
    Setting("conditional", Kind.FLAG, True, "Refetch every page instead of sending conditional "
            "requests (ETag / Last-Modified from the last audit).", flag="--no-conditional"),
    Setting("history", Kind.FLAG, True, "Do not record this audit in the history database.",
            flag="--no-history", scope=None),
    Setting("parsers", Kind.INT, None, "Processes that read and classify pages while the crawl "
            "fetches (~70 MB each); 0 reads them in the crawling process (one core, least "
            "memory).", (AUDIT, RUN_DUE, WORKER), scope=TOP, low=0, high=16, metavar="N",
            shown="one per CPU, up to 3 (0 on a single CPU)"),
    Setting("quiet", Kind.FLAG, False, "No progress output; only the summary.", (AUDIT, RUN_DUE),
            scope=None, short="-q", help_by={RUN_DUE: "Print only failures and the final line."}),
    Setting("workers", Kind.INT, 2, "Sites audited at once.", (RUN_DUE, INSTALL), scope=TOP,
            low=1, high=32, metavar="N"),
    Setting("broker", Kind.TEXT, None, "Celery broker of the distributed mode, a Redis URL "
            "(redis://HOST:PORT/N).", (INSTALL, RUN_DUE, WORKER, BEAT), scope=TOP, metavar="URL",
            help_by={INSTALL: "Write systemd units for a Celery worker and beat using this Redis "
                     "broker (redis://HOST:PORT/N) instead of the run-due timer.",
                     RUN_DUE: "Queue each due site on this Redis broker (redis://HOST:PORT/N) "
                     "for the workers, instead of auditing here."}),
    Setting("wait", Kind.FLAG, False, "With --broker: wait for the queued audits, one line per "
            "site as it finishes (exit code 8 if any failed).", (RUN_DUE,), scope=None,
            env=False),
    Setting("worker_concurrency", Kind.INT, None, "Audits one worker runs at once.",
            (INSTALL, WORKER), flag="--concurrency", scope=TOP, low=1, high=64, metavar="N",
            shown="one per CPU"),
    Setting("max_in_flight", Kind.INT, 64, "Requests in flight across all workers together "
            "(a cap they share through the broker; give every worker the same value).",
            (WORKER,), scope=TOP, low=1, high=10000, metavar="N"),
    Setting("busy_host_delay", Kind.FLOAT, 60.0, "Seconds a worker waits before trying again a "
            "site whose host another worker is crawling.", (WORKER,), scope=TOP, low=0.1,
            high=3600, metavar="SECONDS"),
    Setting("beat_at", Kind.TEXT, "03:00", "Time of day (HH:MM, local) beat queues the due "
            "sites, besides once at its start.", (BEAT,), scope=TOP,
            metavar="HH:MM"),
    Setting("output_dir", Kind.DIR, "funnel-audit-reports", "Where `run-due` writes reports: "
            "<output_dir>/<name>/<YYYY-MM-DD>/.", (WORKER,), scope=TOP, metavar="DIR",
            help_by={WORKER: "Also write each audit's files under DIR/<name>/<YYYY-MM-DD>/ "
                     "(without it, results stay in the history database: see `export`)."},
            shown_by={WORKER: "none"}),
    Setting("cadence", Kind.TEXT, "monthly", "How often `run-due` audits a site.", (), env=False),
)
# fmt: on
SETTINGS: dict[str, Setting] = {row.name: row for row in TABLE}


def names_for(command: str) -> tuple[str, ...]:
    """The settings `command` takes on its command line (and so from the file and variables)."""
    return tuple(row.name for row in TABLE if command in row.commands)


def names_in(scope: str) -> tuple[str, ...]:
    """The keys of the file's top level (TOP), or of a `[defaults]` or `[[sites]]` table (SITE)."""
    return tuple(row.name for row in TABLE if row.scope == scope)


def default(name: str) -> Any:  # noqa: ANN401 - each row has its own type
    """The one default of a setting."""
    return SETTINGS[name].default


@dataclass(slots=True)
class Layer:
    """Checked values from one source, and where each came from (for error messages)."""

    values: dict[str, object] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: object, origin: str) -> None:
        """Record one checked value."""
        self.values[name] = value
        self.origins[name] = origin


def merge(*layers: Layer) -> Layer:
    """One layer from several, later ones winning."""
    out = Layer()
    for layer in layers:
        for name, value in layer.values.items():
            out.set(name, value, layer.origins[name])
    return out


@dataclass(frozen=True, slots=True)
class Resolved:
    """The value of every setting a command takes, and its origin: `default`, a file section,
    a variable or a flag."""

    values: dict[str, object]
    origins: dict[str, str]

    def __getitem__(self, name: str) -> Any:  # noqa: ANN401 - each row has its own type
        return self.values[name]

    def origin(self, name: str) -> str:
        """Where the value of `name` came from."""
        return self.origins.get(name, "default")

    def get(self, name: str) -> Any:  # noqa: ANN401 - each row has its own type
        """The value of `name`, or the table's default when this command does not take it."""
        return self.values[name] if name in self.values else SETTINGS[name].default

    def given(self, name: str) -> bool:
        """True when the value did not come from the table's default."""
        return self.origins.get(name, "default") != "default"


def resolve(names: Iterable[str], *layers: Layer) -> Resolved:
    """Defaults, then each layer in turn (file, environment, flags): the last one to set a
    value wins. Layers hold checked values only (`coerce`)."""
    given = merge(*layers)
    names = tuple(names)
    values = {name: given.values.get(name, SETTINGS[name].default) for name in names}
    return Resolved(values, {name: given.origins.get(name, "default") for name in names})


def env_layer(names: Iterable[str], environ: Mapping[str, str]) -> Layer:
    """`FUNNEL_AUDIT_<NAME>` variables of these settings; empty ones count as unset."""
    layer = Layer()
    for name in names:
        var = SETTINGS[name].env_var
        if var and environ.get(var, "").strip():
            layer.set(name, coerce(SETTINGS[name], environ[var], var), var)
    return layer


def parse_target(text: str) -> dict[Stage, float]:
    """A `--target` text (`awareness=0.4,...` or a preset) as a mix; stages left out keep their
    default share."""
    return parse_mix(text, dict(_MIX))
