"""The settings file, `funnel-audit.toml`: settings for every verb, and which sites `run-due`
re-audits, how and how often.

Top-level keys hold the shared settings (`db`, `workers`, `model`, ...), `[defaults]` the settings
of every site and of `audit`, and each `[[sites]]` table one site (`name`, `url`, `output` and any
`[defaults]` key); the keys and their checks are the rows of the settings table
(`funnel_audit/settings.py`). The file is checked in full before anything runs, so a typo in the
twentieth site stops `run-due` with one clear line instead of failing at 3 a.m. halfway through.
Relative paths (folder targets, output folders, the database, label files) are taken relative to
the file, so a cron job started in any directory means the same thing.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from funnel_audit.errors import ConfigError, InputError
from funnel_audit.settings import (
    AUDIT,
    SETTINGS,
    SITE,
    TOP,
    Layer,
    Resolved,
    coerce,
    default,
    merge,
    names_in,
    resolve,
)

if TYPE_CHECKING:  # the audit machinery loads only when an audit runs
    from funnel_audit.audit import AuditOptions

CONFIG_NAME = "funnel-audit.toml"
DEFAULT_KEYS = frozenset(names_in(SITE))
SITE_KEYS = DEFAULT_KEYS | {"name", "url", "output"}
TOP_KEYS = frozenset({*names_in(TOP), "defaults", "sites"})
# top-level settings of a single audit rather than of the run: every [[sites]] entry takes them
EVERY_SITE = frozenset(n for n in names_in(TOP) if SETTINGS[n].commands == (AUDIT,))
T = TypeVar("T")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


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
    """One `[[sites]]` entry: where it is, how often, and its settings (`site["max_pages"]`):
    the table's defaults, then `[defaults]`, then its own keys."""

    name: str
    url: str
    cadence: Cadence
    output: Path
    options: Resolved
    layer: Layer  # what the file itself says for this site, for `audit TARGET` of its url

    def __getitem__(self, name: str) -> Any:  # noqa: ANN401 - each setting has its own type
        return self.options[name]

    def settings(self) -> dict[str, Any]:
        """What the history database keeps about how this site is audited."""
        return {
            "url": self.url,
            "cadence": str(self.cadence),
            "output": str(self.output),
            "target_mix": {s.value: round(v, 4) for s, v in self["target"]},
            **{key: self[key] for key in ("max_pages", "max_depth", "concurrency", "delay")},
        }


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    """The whole file: top-level settings, `[defaults]` and the sites."""

    path: Path
    sites: tuple[SiteConfig, ...]
    top: Layer
    defaults: Layer

    @property
    def db(self) -> Path | None:
        """The file's `db`, if it names one."""
        value = self.top.values.get("db")
        return value if isinstance(value, Path) else None

    @property
    def workers(self) -> int:
        """The file's `workers`, else the default."""
        value = self.top.values.get("workers")
        return value if isinstance(value, int) else int(default("workers"))

    def site(self, name: str) -> SiteConfig:
        """The site called `name`; ConfigError when there is none."""
        for site in self.sites:
            if site.name == name:
                return site
        raise ConfigError(f"{self.path}: no site named {name!r}")

    def layer_for(self, target: str | None = None) -> Layer:
        """The file's settings for an audit of `target`: top level, `[defaults]`, then the
        `[[sites]]` entry whose url is `target`, if there is one."""
        site = [s.layer for s in self.sites if target and same_target(s.url, target)]
        return merge(self.top, self.defaults, *site[:1])


def same_target(a: str, b: str) -> bool:
    """Two spellings of one audit target: URLs up to case of scheme and host and a trailing
    slash, folders up to relative paths."""
    return target_key(a) == target_key(b)


def target_key(target: str) -> tuple[str, ...]:
    """What `same_target` compares, so many targets can be matched through a dict."""
    if "://" not in target:
        return ("folder", str(Path(target).expanduser().resolve()))
    parts = urlsplit(target.strip())
    return (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query)


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
    found = locate_config(explicit)
    if found is None:
        where = _candidates()
        raise ConfigError(
            f"no {CONFIG_NAME} found (looked in {where[0].parent} and "
            f"{where[1].parent}); pass --config FILE"
        )
    return found


def locate_config(explicit: Path | None = None) -> Path | None:
    """The file `find_config` would read, or None when there is none (an explicit one must
    exist): `audit` reads it when there is one."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        return explicit
    return next((path for path in _candidates() if path.is_file()), None)


def _candidates() -> list[Path]:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [Path.cwd() / CONFIG_NAME, Path(base) / "funnel-audit" / CONFIG_NAME]


def load_config(path: Path, *, need_sites: bool = True) -> ScheduleConfig:
    """Parse and check the whole file; any problem is one ConfigError naming file and site.
    `run-due` needs sites; a file holding only settings serves the other verbs."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse_config(data, path.resolve(), need_sites=need_sites)


def parse_config(data: dict[str, Any], path: Path, *, need_sites: bool = True) -> ScheduleConfig:
    """Check a parsed file against the settings table (see `load_config`)."""
    _unknown(data, TOP_KEYS, f"{path}")
    base = path.parent
    top = _layer(data, names_in(TOP), f"{path}: ", base)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: [defaults] must be a table")
    _unknown(defaults, DEFAULT_KEYS, f"{path} [defaults]")
    try:
        check_team(top.values.get("team"), top.origins.get("team", ""))
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    own = _layer(defaults, DEFAULT_KEYS, f"{path} [defaults]: ", base)
    shared = merge(_only(top, EVERY_SITE), own)
    sites_data = data.get("sites", [])
    if not isinstance(sites_data, list) or (need_sites and not sites_data):
        raise ConfigError(f"{path}: no sites; add at least one [[sites]] table with name and url")
    out_root = top.values.get("output_dir") or base / default("output_dir")
    assert isinstance(out_root, Path)
    sites: list[SiteConfig] = []
    for index, raw in enumerate(sites_data, start=1):
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: sites entry {index} must be a table")
        site = _site(raw, shared, base, out_root, f"{path}: site {index}")
        if any(s.name == site.name for s in sites):
            raise ConfigError(f"{path}: two sites are named {site.name!r}; names must be unique")
        sites.append(site)
    return ScheduleConfig(path=path, sites=tuple(sites), top=top, defaults=shared)


def _only(layer: Layer, names: Iterable[str]) -> Layer:
    """The values of `layer` for these settings alone."""
    out = Layer()
    for name in names:
        if name in layer.values:
            out.set(name, layer.values[name], layer.origins[name])
    return out


def _layer(table: dict[str, Any], names: Iterable[str], label: str, base: Path) -> Layer:
    """The settings a table of the file gives, checked like any other source."""
    layer = Layer()
    for key in names:
        if key in table:
            try:
                value = coerce(SETTINGS[key], table[key], f"{label}{key}", base)
            except InputError as exc:
                raise ConfigError(str(exc)) from None
            layer.set(key, value, f"{label}{key}")
    return layer


def _site(raw: dict[str, Any], shared: Layer, base: Path, out_root: Path, where: str) -> SiteConfig:
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
        url = str(coerce(SETTINGS["out"], url, f"{where}: url", base))
    own = merge(shared, _layer(raw, DEFAULT_KEYS, f"{where}: ", base))
    options = resolve(DEFAULT_KEYS | EVERY_SITE, own)
    try:
        cadence = parse_cadence(options["cadence"])
    except ConfigError as exc:
        raise ConfigError(f"{options.origin('cadence')}: {exc}") from None
    output = out_root / name
    if "output" in raw:
        output = Path(str(coerce(SETTINGS["out"], raw["output"], f"{where}: output", base)))
    check_aliases(options)
    return SiteConfig(name, url.strip(), cadence, output, options, own)


def _unknown(table: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})"
        )


def audit_options(
    values: Resolved, target: str, out_dir: Path | None, parsers: int | None = None
) -> AuditOptions:
    """The options of one audit from its resolved settings (the CLI's or a site's): the one place
    where a setting becomes an audit option. Checks that need the audit's own code (alias hosts,
    the logo) name where a bad value came from."""
    from funnel_audit.audit import AuditOptions
    from funnel_audit.crawl.settings import DEFAULT_USER_AGENT, CrawlSettings
    from funnel_audit.report.html import Branding, logo_data_uri

    get = values.get
    check_aliases(values)
    check_team(get("team"), values.origin("team"))
    crawl = CrawlSettings(
        max_pages=get("max_pages"),
        max_depth=get("max_depth"),
        concurrency=get("concurrency"),
        delay=get("delay"),
        timeout=get("timeout"),
        user_agent=get("user_agent") or DEFAULT_USER_AGENT,
        allow_private=get("allow_private"),
        include_subdomains=get("include_subdomains"),
        include=get("include"),
        exclude=get("exclude"),
        respect_robots=not get("ignore_robots"),
    )
    branding = Branding(
        client_name=get("client_name"),
        agency_name=get("agency_name"),
        accent=get("accent"),
        logo_data_uri=checked(values, "logo", logo_data_uri, get("logo")),
    )
    return AuditOptions(
        target=target,
        out_dir=out_dir,
        crawl=crawl,
        target_mix=dict(get("target")),
        weeks=get("weeks"),
        per_week=get("per_week"),
        start=get("start"),
        labels=get("labels"),
        branding=branding,
        template_dir=get("templates"),
        resume=get("resume"),
        conditional=get("conditional"),
        parsers=parsers,
        alias_hosts=get("alias_hosts"),
        xlsx=get("xlsx"),
        team=get("team"),
    )


def check_team(team: object, origin: str) -> None:
    """Every team member's roles are roles the calendar uses (the planner's owners)."""
    if isinstance(team, tuple) and team:
        from funnel_audit.plan.team import check_roles

        check_roles(team, origin)


def check_aliases(values: Resolved) -> None:
    """Every alias host must be a host name (or `host:port`, or a URL with a path prefix)."""
    from funnel_audit.analyse.linkmap import parse_alias

    for host in values.get("alias_hosts"):
        checked(values, "alias_hosts", parse_alias, host)


def checked(values: Resolved, name: str, check: Callable[[Any], T], value: object) -> T:
    """`check(value)`, its error prefixed with the value's source when that is not its flag."""
    try:
        return check(value)
    except InputError as exc:
        origin = values.origin(name)
        if origin.startswith("-"):
            raise
        flag = SETTINGS[name].option or ""
        message = str(exc).replace(f"bad {flag} ", "bad value ")
        raise type(exc)(f"{origin}: {message}") from None
