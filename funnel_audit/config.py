"""The schedule config file, `funnel-audit.toml`: which sites to re-audit, how, and how often.

Read with tomllib and checked in full before anything runs, so a typo in the twentieth site stops
`run-due` with one clear line instead of failing at 3 a.m. halfway through. Relative paths (folder
targets, output folders, the database) are taken relative to the config file, so a cron job
started in any directory means the same thing.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from funnel_audit.analyse.gaps import DEFAULT_TARGET, parse_target
from funnel_audit.errors import ConfigError, InputError
from funnel_audit.models import Stage

CONFIG_NAME = "funnel-audit.toml"
DEFAULT_CADENCE = "monthly"
DEFAULT_OUTPUT_DIR = "funnel-audit-reports"
SITE_KEYS = frozenset(
    {
        "name",
        "url",
        "client_name",
        "agency_name",
        "target",
        "max_pages",
        "max_depth",
        "concurrency",
        "delay",
        "cadence",
        "output",
    }
)
DEFAULT_KEYS = SITE_KEYS - {"name", "url", "output"}
TOP_KEYS = frozenset({"db", "workers", "output_dir", "defaults", "sites"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
_INTS = {"max_pages": (500, 1), "max_depth": (10, 0), "concurrency": (4, 1)}


@dataclass(frozen=True, slots=True)
class Cadence:
    """`monthly` on a day of the month (29-31 mean the month's last day when it is shorter),
    or every `days` days."""

    day_of_month: int | None = 1
    days: int | None = None

    def __str__(self) -> str:
        if self.days is not None:
            return f"every {self.days} day{'s' if self.days != 1 else ''}"
        return f"monthly on day {self.day_of_month}"


@dataclass(frozen=True, slots=True)
class SiteConfig:
    name: str
    url: str
    cadence: Cadence
    output: Path
    client_name: str = ""
    agency_name: str = ""
    target_mix: tuple[tuple[Stage, float], ...] = tuple(DEFAULT_TARGET.items())
    max_pages: int = 500
    max_depth: int = 10
    concurrency: int = 4
    delay: float = 0.0

    def settings(self) -> dict[str, Any]:
        """What the history database keeps about how this site is audited."""
        return {
            "url": self.url,
            "cadence": str(self.cadence),
            "output": str(self.output),
            "target_mix": {s.value: round(v, 4) for s, v in self.target_mix},
            "max_pages": self.max_pages,
            "max_depth": self.max_depth,
            "concurrency": self.concurrency,
            "delay": self.delay,
        }


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    path: Path
    sites: tuple[SiteConfig, ...]
    db: Path | None = None
    workers: int = 2

    def site(self, name: str) -> SiteConfig:
        for site in self.sites:
            if site.name == name:
                return site
        raise ConfigError(f"{self.path}: no site named {name!r}")


def parse_cadence(text: str) -> Cadence:
    """`monthly`, `monthly on day 15` or `every 14 days` (case and spacing do not matter)."""
    spec = " ".join(str(text).lower().split())
    if spec == "monthly":
        return Cadence(day_of_month=1)
    if match := re.fullmatch(r"monthly on day (\d{1,2})", spec):
        day = int(match.group(1))
        if 1 <= day <= 31:
            return Cadence(day_of_month=day)
    if match := re.fullmatch(r"every (\d{1,4}) days?", spec):
        days = int(match.group(1))
        if days >= 1:
            return Cadence(day_of_month=None, days=days)
    raise ConfigError(
        f'bad cadence {text!r}: use "monthly", "monthly on day N" (1-31) or "every N days"'
    )


def find_config(explicit: Path | None = None) -> Path:
    """--config, else ./funnel-audit.toml, else $XDG_CONFIG_HOME/funnel-audit/funnel-audit.toml."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return explicit
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    candidates = [Path.cwd() / CONFIG_NAME, Path(base) / "funnel-audit" / CONFIG_NAME]
    for path in candidates:
        if path.is_file():
            return path
    raise ConfigError(
        f"no {CONFIG_NAME} found (looked in {candidates[0].parent} and "
        f"{candidates[1].parent}); pass --config FILE"
    )


def load_config(path: Path) -> ScheduleConfig:
    """Parse and check the whole file; any problem is one ConfigError naming file and site."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse_config(data, path.resolve())


def parse_config(data: dict[str, Any], path: Path) -> ScheduleConfig:
    _unknown(data, TOP_KEYS, f"{path}")
    base = path.parent
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: [defaults] must be a table")
    _unknown(defaults, DEFAULT_KEYS, f"{path} [defaults]")
    sites_data = data.get("sites", [])
    if not isinstance(sites_data, list) or not sites_data:
        raise ConfigError(f"{path}: no sites; add at least one [[sites]] table with name and url")
    out_root = _path(base, data.get("output_dir", DEFAULT_OUTPUT_DIR), f"{path}: output_dir")
    sites: list[SiteConfig] = []
    for index, raw in enumerate(sites_data, start=1):
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: sites entry {index} must be a table")
        site = _site({**defaults, **raw}, base, out_root, f"{path}: site {index}")
        if any(s.name == site.name for s in sites):
            raise ConfigError(f"{path}: two sites are named {site.name!r}; names must be unique")
        sites.append(site)
    workers = _int(data.get("workers", 2), 1, f"{path}: workers")
    db = _path(base, data["db"], f"{path}: db") if "db" in data else None
    return ScheduleConfig(path=path, sites=tuple(sites), db=db, workers=workers)


def _site(raw: dict[str, Any], base: Path, out_root: Path, where: str) -> SiteConfig:
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(
            f"{where}: name must be letters, digits, '.', '_' or '-' (max 80), got {name!r}"
        )
    where = f"{where} ({name})"
    _unknown(raw, SITE_KEYS, where)
    url = raw.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{where}: url is required (an http(s) URL or a site folder)")
    if "://" not in url:
        url = str(_path(base, url, f"{where}: url"))
    ints = {
        key: _int(raw.get(key, default), low, f"{where}: {key}")
        for key, (default, low) in _INTS.items()
    }
    delay = raw.get("delay", 0.0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 3600:
        raise ConfigError(f"{where}: delay must be seconds between 0 and 3600, got {delay!r}")
    output = _path(base, raw["output"], f"{where}: output") if "output" in raw else out_root / name
    return SiteConfig(
        name=name,
        url=url.strip(),
        cadence=parse_cadence(raw.get("cadence", DEFAULT_CADENCE)),
        output=output,
        client_name=_str(raw, "client_name", where),
        agency_name=_str(raw, "agency_name", where),
        target_mix=tuple(_mix(raw.get("target"), where).items()),
        delay=float(delay),
        **ints,
    )


def _mix(value: Any, where: str) -> dict[Stage, float]:
    """A table `{awareness = 0.4, ...}` or the CLI's `awareness=0.4,...` string."""
    if value is None:
        return dict(DEFAULT_TARGET)
    if isinstance(value, dict):
        value = ",".join(f"{k}={v}" for k, v in value.items())
    if not isinstance(value, str):
        raise ConfigError(f"{where}: target must be a table like {{awareness = 0.4}}")
    try:
        return parse_target(value)
    except InputError as exc:
        raise ConfigError(f"{where}: {str(exc).replace('--target', 'target')}") from exc


def _unknown(table: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})"
        )


def _int(value: Any, low: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{where} must be a whole number >= {low}, got {value!r}")
    return value


def _str(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string")
    return value


def _path(base: Path, value: Any, where: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a path")
    path = Path(value.strip()).expanduser()
    return path if path.is_absolute() else (base / path).resolve()
