"""The command line side of the settings table: click options generated from its rows, and the
values a command runs with (defaults < funnel-audit.toml < FUNNEL_AUDIT_* < flags typed).

Only flags the user actually typed override the file and the environment
(`ctx.get_parameter_source`), so a click default never hides a value set elsewhere.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from funnel_audit.config import ScheduleConfig, find_config, load_config, locate_config
from funnel_audit.settings import (
    SETTINGS,
    Kind,
    Layer,
    Resolved,
    Setting,
    coerce,
    env_layer,
    names_for,
    resolve,
)
from funnel_audit.store.location import Location

if TYPE_CHECKING:  # the report's modules load only when a report is written
    from funnel_audit.report.html import Branding

F = TypeVar("F", bound=Callable[..., Any])

EPILOG = (
    "Each option can also be set in funnel-audit.toml (--config) or as FUNNEL_AUDIT_<NAME>; "
    "an option typed here wins over the environment, which wins over the file. "
    "See the README's Settings section for every key and variable."
)


class FiniteFloatRange(click.FloatRange):
    """A click FloatRange that also refuses inf and nan (click's own lets both through when a
    bound is open, and nan compares false to every bound)."""

    name = "float range"

    def convert(
        self, value: float, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        """The number typed, or a usage error naming the flag when it is not finite."""
        number = float(super().convert(value, param, ctx))
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def _click_type(row: Setting) -> click.ParamType[Any, Any] | None:
    if row.kind is Kind.INT:
        low = None if row.low is None else int(row.low)
        return click.IntRange(low, None if row.high is None else int(row.high))
    if row.kind is Kind.FLOAT:
        return FiniteFloatRange(row.low, row.high)
    if row.kind is Kind.FILE:
        return click.Path(path_type=Path, dir_okay=False)
    if row.kind is Kind.DIR:
        return click.Path(path_type=Path, file_okay=False)
    if row.kind is Kind.PATH:
        return click.Path(path_type=Path)
    return None  # text, checked by `coerce` like a value from the file or the environment


def _option(row: Setting, command: str) -> Callable[[F], F]:
    flag = row.option
    assert flag is not None
    decls = [flag, *([row.short] if row.short else []), row.name]
    help_text = row.help_for(command)
    if row.kind is Kind.FLAG:
        return click.option(
            *decls, is_flag=True, flag_value=not row.default, default=row.default, help=help_text
        )
    shown = row.shown_default(command)
    help_text += f" [default: {shown}]" if shown != "none" else ""
    if row.kind in (Kind.HOSTS, Kind.PATTERNS, Kind.TEAM):
        return click.option(*decls, multiple=True, metavar=row.metavar, help=help_text)
    return click.option(*decls, type=_click_type(row), metavar=row.metavar, help=help_text)


def setting_options(command: str) -> Callable[[F], F]:
    """Decorate a command with the options of its settings, in table order."""

    def decorate(func: F) -> F:
        for name in reversed(names_for(command)):
            func = _option(SETTINGS[name], command)(func)
        return func

    return decorate


def flag_layer(ctx: click.Context, command: str) -> Layer:
    """The settings given on the command line, checked by the same rules as any other source."""
    layer = Layer()
    for name in names_for(command):
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            row = SETTINGS[name]
            flag = row.option or name
            layer.set(name, coerce(row, ctx.params[name], flag), flag)
    return layer


def command_settings(
    ctx: click.Context, command: str, *, target: str | None = None, need_sites: bool = False
) -> tuple[Resolved, ScheduleConfig | None]:
    """Every setting of `command`: defaults < funnel-audit.toml < FUNNEL_AUDIT_* < typed flags.

    The file is `--config`, else `$FUNNEL_AUDIT_CONFIG`, else ./funnel-audit.toml, else
    ~/.config/funnel-audit/funnel-audit.toml; with `need_sites` (run-due, schedule) it must
    exist and list sites. `target` picks the `[[sites]]` entry of an audited site."""
    names = names_for(command)
    flags = flag_layer(ctx, command)
    env = env_layer(names, os.environ)
    explicit = resolve(("config",), env, flags)["config"]
    path = find_config(explicit) if need_sites else locate_config(explicit)
    config = load_config(path, need_sites=need_sites) if path is not None else None
    file = config.layer_for(target) if config is not None else Layer()
    return resolve(names, file, env, flags), config


def db_path(values: Resolved) -> Location:
    """The history the command was given (a SQLite file or a PostgreSQL URL), else the default
    SQLite file. Show it with `store.location.shown`: a URL may hold a password."""
    from funnel_audit.paths import db_path as default_db_path

    given = values["db"]
    return given if isinstance(given, Path | str) else default_db_path()


@contextmanager
def model_cache(values: Resolved) -> Iterator[None]:
    """Where the classifier is cached while the command runs: the model store (and every process
    it starts) reads `FUNNEL_AUDIT_CACHE`, so a value from the file or a flag is put there."""
    var = SETTINGS["cache"].env_var
    assert var is not None
    if not values.given("cache") or values.origin("cache") == var:
        yield
        return
    old = os.environ.get(var)
    os.environ[var] = str(values["cache"])
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = old


def model_source(values: Resolved) -> Callable[[], Any]:
    """The shipped model, or the `model` file (loaded once here, so a bad file stops the command
    with its own message before any work)."""
    from funnel_audit.classify.store import default_model, load_model

    path = values["model"]
    if not isinstance(path, Path):
        return default_model
    load_model(path)
    return functools.partial(load_model, path.resolve())


def report_branding(values: Resolved) -> Branding:
    """The report's branding from a command's settings (`report`, `export`); a bad logo names
    where it came from."""
    from funnel_audit.config import checked
    from funnel_audit.report.html import Branding, logo_data_uri

    return Branding(
        client_name=values["client_name"],
        agency_name=values["agency_name"],
        accent=values["accent"],
        logo_data_uri=checked(values, "logo", logo_data_uri, values["logo"]),
    )
