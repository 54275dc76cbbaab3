"""The vocabulary of the settings table (`settings.py`): the commands and file scopes a row names,
the kinds of values, the row record itself, and the one check (`coerce`) every value passes,
whether it comes from a flag, a variable or `funnel-audit.toml`.

Kept apart from the table so the table stays one screenful of rows and the resolution of sources;
this module knows neither click nor TOML, nor any row.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from funnel_audit.errors import InputError
from funnel_audit.models import Stage
from funnel_audit.plan.people import parse_team
from funnel_audit.plan.presets import PRESET_HELP, expand
from funnel_audit.plan.start import calendar_start

ENV_PREFIX = "FUNNEL_AUDIT_"
AUDIT, REPORT, RUN_DUE = "audit", "report", "run-due"
HISTORY, DIFF, SHOW, INSTALL = "history", "diff", "schedule show", "schedule install"
EXPORT = "export"
PORTFOLIO = "portfolio"
WORKER, BEAT = "worker", "beat"
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
    STORE = "a history database (a file, or a postgresql:// URL)"
    DIR = "a folder"
    HOSTS = "host names"
    PATTERNS = "regular expressions"
    MIX = "a stage mix"
    DATE = "a date"
    COLOUR = "a colour"
    TEAM = "team members"


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
    if kind is Kind.STORE:
        from funnel_audit.store.location import parse_location

        return parse_location(raw, where, base)
    if kind in (Kind.PATH, Kind.FILE, Kind.DIR):
        if not isinstance(raw, str | Path) or not str(raw).strip():
            raise InputError(f"{where} must be a path, got {raw!r}")
        path = Path(str(raw).strip()).expanduser()
        return path if path.is_absolute() or base is None else (base / path).resolve()
    if kind in (Kind.HOSTS, Kind.PATTERNS):
        return _words(row, raw, where)
    if kind is Kind.MIX:
        return _mix(raw, where, row.default)
    if kind is Kind.DATE:
        return calendar_start(raw, where)
    if kind is Kind.TEAM:
        return parse_team(raw, where)
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


def _mix(raw: object, where: str, default: object) -> tuple[tuple[Stage, float], ...]:
    """A TOML table `{awareness = 0.4, ...}` or the text `awareness=0.4,...`; stages left out
    keep their share in the row's `default`."""
    base = dict(default) if isinstance(default, tuple) else {}
    if isinstance(raw, dict):
        raw = ",".join(f"{k}={v}" for k, v in raw.items())
    if not isinstance(raw, str):
        raise InputError(f"{where} must be a stage mix like awareness=0.4,decision=0.2")
    try:
        return tuple(parse_mix(raw, base).items())
    except InputError as exc:
        raise InputError(f"{where}: {str(exc).replace('--target', 'target')}") from None


def parse_mix(text: str, base: Mapping[Stage, float]) -> dict[Stage, float]:
    """`awareness=0.4,consideration=0.3,...` or a preset (plan/presets.py): stages left out keep
    their share in `base` (the default mix), then the mix is rescaled to sum to 1 so a partial
    override stays valid."""
    mix, usage = dict(base), f"use stage=share, e.g. awareness=0.4,decision=0.2, or {PRESET_HELP}"
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
