"""Every user-facing setting of `audit`, `run-due` and the verbs that share them, in one table.

A row says what a setting is (type, default, bounds, help) and where it can be given: the command
line flag, the key in `funnel-audit.toml` and the environment variable `FUNNEL_AUDIT_<NAME>`.
Every default is written here and nowhere else. Values are taken, lowest to highest, from the
default, the file, the environment and the flags the user actually typed (`resolve`); whatever
the source, a value is checked by the same `coerce`, and a bad one is one line naming its source.

The click options are generated from this table in `cli/options.py`, the file is read in
`config.py`; this module knows neither click nor TOML.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from funnel_audit import __version__
from funnel_audit.errors import InputError
from funnel_audit.models import Stage
from funnel_audit.plan.presets import PRESET_HELP, expand
from funnel_audit.plan.start import calendar_start

ENV_PREFIX = "FUNNEL_AUDIT_"
DEFAULT_USER_AGENT = f"funnel-audit/{__version__} (+https://github.com/funnel-audit/funnel-audit)"
AUDIT, REPORT, RUN_DUE = "audit", "report", "run-due"
HISTORY, DIFF, SHOW, INSTALL = "history", "diff", "schedule show", "schedule install"
SITE, TOP = "site", "top"  # where a key may stand in the file: [defaults]/[[sites]], or top level
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}")


class Kind(enum.Enum):
    """What a setting's value is, which decides how text, TOML and flags are checked."""

    INT = "a whole number"
    FLOAT = "a number"
    TEXT = "text"
    FLAG = "true or false"
    PATH = "a path"
    FILE = "a file"
    DIR = "a folder"
    HOSTS = "host names"
    PATTERNS = "regular expressions"
    MIX = "a stage mix"
    DATE = "a date"
    COLOUR = "a colour"


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the table. `commands` get a `flag` on their command line; `scope` says where
    the key may stand in `funnel-audit.toml` (None: not in the file); `env` whether
    `FUNNEL_AUDIT_<NAME>` sets it. `shown` is the documented default when the real one is worked
    out at run time (None here)."""

    name: str
    kind: Kind
    default: object
    help: str
    commands: tuple[str, ...] = (AUDIT,)
    flag: str | None = None
    scope: str | None = SITE
    env: bool = True
    low: float | None = None
    high: float | None = None
    shown: str | None = None
    metavar: str | None = None
    short: str | None = None
    help_by: Mapping[str, str] = field(default_factory=dict)
    shown_by: Mapping[str, str] = field(default_factory=dict)

    @property
    def option(self) -> str | None:
        """The command line flag, or None when the setting has none."""
        if not self.commands:
            return None
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def key(self) -> str | None:
        """The key in funnel-audit.toml, or None when the file cannot set it."""
        return self.name if self.scope else None

    @property
    def env_var(self) -> str | None:
        """`FUNNEL_AUDIT_<NAME>`, or None when the environment cannot set it."""
        return ENV_PREFIX + self.name.upper() if self.env else None

    def help_for(self, command: str) -> str:
        """The help line of this setting's flag on `command`."""
        return self.help_by.get(command, self.help)

    def shown_default(self, command: str | None = None) -> str:
        """The default as the README and --help show it (a flag's default is `off`: not given)."""
        if command is not None and command in self.shown_by:
            return self.shown_by[command]
        if self.kind is Kind.FLAG:
            return "off"
        if self.shown is not None:
            return self.shown
        return show(self, self.default)


def show(row: Setting, value: object) -> str:
    """A value as a user would type it."""
    if value is None or value == "" or value == ():
        return "none"
    if row.kind is Kind.MIX and isinstance(value, tuple):
        return ",".join(f"{stage}={share:g}" for stage, share in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


_MIX = ((Stage.AWARENESS, 0.4), (Stage.CONSIDERATION, 0.3), (Stage.DECISION, 0.2),
        (Stage.CONVERSION, 0.1))  # fmt: skip
_FILE_USERS = (AUDIT, REPORT, RUN_DUE, HISTORY, DIFF, SHOW, INSTALL)
_SITES = "The sites to audit, and settings for them."

# A table reads best as one: ruff format would put every argument on a line of its own.
# fmt: off
TABLE: tuple[Setting, ...] = (
    Setting("config", Kind.FILE, None, "Settings file (funnel-audit.toml).", _FILE_USERS,
            scope=None, metavar="FILE", help_by={RUN_DUE: _SITES, SHOW: _SITES, INSTALL: _SITES},
            shown="./funnel-audit.toml, else ~/.config/funnel-audit/funnel-audit.toml"),
    Setting("out", Kind.PATH, None, "Output folder.", (AUDIT, REPORT), scope=None, env=False,
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
    Setting("labels", Kind.FILE, None, "CSV of url,stage with manual labels that override the "
            "model.", metavar="FILE"),
    Setting("model", Kind.FILE, None, "A model written by `funnel-audit train`.",
            (AUDIT, RUN_DUE), scope=TOP, metavar="FILE", shown="the shipped model"),
    Setting("client_name", Kind.TEXT, "", "Client name shown in the report.", (AUDIT, REPORT),
            metavar="TEXT"),
    Setting("agency_name", Kind.TEXT, "", "Agency name shown in the report.", (AUDIT, REPORT),
            metavar="TEXT"),
    Setting("logo", Kind.FILE, None, "Logo image embedded in the report (PNG, JPEG, GIF, WebP "
            "or SVG, at most 1 MB).", (AUDIT, REPORT), metavar="FILE"),
    Setting("accent", Kind.COLOUR, "#1f4e79", "Report accent colour.", (AUDIT, REPORT),
            metavar="#RRGGBB"),
    Setting("templates", Kind.DIR, None, "Folder of templates that override the shipped report "
            "templates.", (AUDIT, REPORT), metavar="DIR"),
    Setting("xlsx", Kind.FLAG, False, "Also write audit.xlsx, an Excel workbook.", (AUDIT, REPORT)),
    Setting("db", Kind.FILE, None, "History database.", (AUDIT, RUN_DUE, HISTORY, DIFF, SHOW,
            INSTALL), scope=TOP, metavar="PATH",
            shown="history.sqlite3 in the user data folder (~/.local/share/funnel-audit on Linux)"),
    Setting("cache", Kind.DIR, None, "Where the trained classifier is cached.", (AUDIT, RUN_DUE),
            scope=TOP, metavar="DIR", shown="user cache folder (~/.cache/funnel-audit on Linux)"),
    Setting("resume", Kind.FLAG, False, "Continue the last interrupted audit of TARGET without "
            "refetching its pages.", scope=None, env=False),
    Setting("conditional", Kind.FLAG, True, "Refetch every page instead of sending conditional "
            "requests (ETag / Last-Modified from the last audit).", flag="--no-conditional"),
    Setting("history", Kind.FLAG, True, "Do not record this audit in the history database.",
            flag="--no-history", scope=None),
    Setting("parsers", Kind.INT, None, "Processes that read and classify pages while the crawl "
            "fetches (~70 MB each); 0 reads them in the crawling process (one core, least "
            "memory).", (AUDIT, RUN_DUE), scope=TOP, low=0, high=16, metavar="N",
            shown="one per CPU, up to 3 (0 on a single CPU)"),
    Setting("quiet", Kind.FLAG, False, "No progress output; only the summary.", (AUDIT, RUN_DUE),
            scope=None, short="-q", help_by={RUN_DUE: "Print only failures and the final line."}),
    Setting("workers", Kind.INT, 2, "Sites audited at once.", (RUN_DUE, INSTALL), scope=TOP,
            low=1, high=32, metavar="N"),
    Setting("output_dir", Kind.DIR, "funnel-audit-reports", "Where `run-due` writes reports: "
            "<output_dir>/<name>/<YYYY-MM-DD>/.", (), scope=TOP, env=False),
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


def coerce(row: Setting, raw: object, where: str, base: Path | None = None) -> object:
    """Check one value from any source and convert it to the setting's type. `where` names the
    source in the error (a flag, a variable or a file key); text comes from flags and variables,
    TOML values keep their own types. Relative paths are taken relative to `base` (the file's
    folder) when given. Raises InputError, one line."""
    kind = row.kind
    if kind is Kind.INT or kind is Kind.FLOAT:
        return _number(row, raw, where)
    if kind is Kind.FLAG:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE + _FALSE:
            return raw.strip().lower() in _TRUE
        raise InputError(f"{where} must be true or false (or 1/0, yes/no, on/off), got {raw!r}")
    if kind in (Kind.PATH, Kind.FILE, Kind.DIR):
        if not isinstance(raw, str | Path) or not str(raw).strip():
            raise InputError(f"{where} must be a path, got {raw!r}")
        path = Path(str(raw).strip()).expanduser()
        return path if path.is_absolute() or base is None else (base / path).resolve()
    if kind in (Kind.HOSTS, Kind.PATTERNS):
        return _words(row, raw, where)
    if kind is Kind.MIX:
        return _mix(raw, where)
    if kind is Kind.DATE:
        return calendar_start(raw, where)
    text = _text(raw, where)
    if kind is Kind.COLOUR and not _COLOUR.fullmatch(text):
        raise InputError(f"{where}: bad colour {text!r}: use a hex colour such as #1f4e79")
    return text


def _number(row: Setting, raw: object, where: str) -> int | float:
    whole = row.kind is Kind.INT
    value: int | float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str):
        try:
            value = int(raw.strip()) if whole else float(raw.strip())
        except ValueError:
            value = None
    if whole and isinstance(value, float):
        value = None
    low, high = row.low, row.high
    if (
        value is None
        or not math.isfinite(value)
        or (low is not None and value < low)
        or (high is not None and value > high)
    ):
        what = row.kind.value
        if low is not None and high is not None:
            what += f" between {low:g} and {high:g}"
        elif low is not None:
            what += f" >= {low:g}"
        raise InputError(f"{where} must be {what}, got {raw!r}")
    return int(value) if whole else float(value)


def _text(raw: object, where: str) -> str:
    if not isinstance(raw, str) or any(not c.isprintable() for c in raw):
        raise InputError(f"{where} must be one line of text, got {raw!r}")
    return raw


def _words(row: Setting, raw: object, where: str) -> tuple[str, ...]:
    """A list: a TOML array, repeated flags, or words separated by spaces (a variable)."""
    items = raw.split() if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise InputError(f"{where} must be a list of {row.kind.value}, got {raw!r}")
    words = tuple(_text(item, where).strip() for item in items)
    if row.kind is Kind.PATTERNS:
        for pattern in words:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InputError(f"{where}: bad regex {pattern!r}: {exc}") from None
    return tuple(w for w in words if w)


def _mix(raw: object, where: str) -> tuple[tuple[Stage, float], ...]:
    """A TOML table `{awareness = 0.4, ...}` or the text `awareness=0.4,...`."""
    if isinstance(raw, dict):
        raw = ",".join(f"{k}={v}" for k, v in raw.items())
    if not isinstance(raw, str):
        raise InputError(f"{where} must be a stage mix like awareness=0.4,decision=0.2")
    try:
        return tuple(parse_target(raw).items())
    except InputError as exc:
        raise InputError(f"{where}: {str(exc).replace('--target', 'target')}") from None


def parse_target(text: str) -> dict[Stage, float]:
    """`awareness=0.4,consideration=0.3,...` or a preset (plan/presets.py): stages left out keep
    their default share, then the mix is rescaled to sum to 1 so a partial override stays valid."""
    mix, usage = dict(_MIX), f"use stage=share, e.g. awareness=0.4,decision=0.2, or {PRESET_HELP}"
    for part in (p.strip() for p in expand(text).split(",") if p.strip()):
        name, sep, value = part.partition("=")
        try:
            stage, share = Stage(name.strip().lower()), float(value)
        except ValueError:
            raise InputError(f"bad --target entry {part!r}: {usage}") from None
        if not sep or stage is Stage.EXCLUDED or not 0 <= share <= 1 or math.isnan(share):
            why = "stage must be a funnel stage and share between 0 and 1"
            raise InputError(f"bad --target entry {part!r}: {why}")
        mix[stage] = share
    total = sum(mix.values())
    if total <= 0:
        raise InputError("--target shares must not all be zero")
    return {s: mix[s] / total for s in Stage.funnel()}
