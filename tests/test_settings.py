"""One settings table: the README documents it as it is, every default is written once, and a
value comes from defaults < funnel-audit.toml < FUNNEL_AUDIT_* < flags typed, through the real
CLI, with bad values from each source stopped by one line that names the source."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest

from funnel_audit.cli import app
from funnel_audit.cli.main import cli, main
from funnel_audit.cli.options import model_cache
from funnel_audit.config import load_config
from funnel_audit.settings import (
    BEAT,
    DIFF,
    HISTORY,
    INSTALL,
    PORTFOLIO,
    RUN_DUE,
    SETTINGS,
    SHOW,
    SITE,
    TABLE,
    TOP,
    WORKER,
    Kind,
    Layer,
    names_for,
    resolve,
)
from tests.conftest import ROOT, SAMPLES

LEDGERLOOP = SAMPLES / "ledgerloop"
README = (ROOT / "README.md").read_text(encoding="utf-8")
FLAG = re.compile(r"--[a-z][a-z-]*")
NOT_SETTINGS = {"--json", "--html", "--systemd", "--cron", "--at", "--dir"}  # verbs' own switches


# --- the README and the table --------------------------------------------------------------


def _commands_section() -> str:
    return README.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]


def _option_tables() -> dict[str, dict[str, str]]:
    """verb -> {flag: documented default} from each `| option | default | meaning |` table."""
    tables: dict[str, dict[str, str]] = {}
    verb = ""
    header = False
    for line in _commands_section().splitlines():
        if match := re.match(r"### `funnel-audit ([a-z-]+)", line):
            verb, header = match.group(1), False
        elif line.startswith("| option | default | meaning |"):
            header = True
            tables.setdefault(verb, {})
        elif header and line.startswith("| `"):
            first, default = (c.strip() for c in line.strip("|").split(" | ")[:2])
            for flag in FLAG.findall(first):
                tables[verb][flag] = " ".join(default.replace("`", "").split())
        elif not line.startswith("|"):
            header = False
    return tables


def test_readme_option_tables_are_the_settings_table() -> None:
    tables = _option_tables()
    assert set(tables) == {"audit", "report", "export"}
    for verb, documented in tables.items():
        rows = {SETTINGS[name].option: SETTINGS[name] for name in names_for(verb)}
        missing = sorted(set(rows) - set(documented))
        assert not missing, f"README's {verb} table lacks {missing}"
        unknown = sorted(set(documented) - set(rows))
        assert not unknown, f"README's {verb} table documents options not in the table: {unknown}"
        for flag, default in documented.items():
            assert default == rows[flag].shown_default(verb), (verb, flag)


@pytest.mark.parametrize("verb", [RUN_DUE, HISTORY, DIFF, SHOW, INSTALL, PORTFOLIO, WORKER, BEAT])
def test_readme_verb_lines_name_each_verbs_options(verb: str) -> None:
    line = next(li for li in README.splitlines() if li.startswith(f"| `funnel-audit {verb} "))
    usage = line.split("`")[1]
    documented = set(FLAG.findall(usage)) - NOT_SETTINGS
    assert documented == {SETTINGS[name].option for name in names_for(verb)}


def _keys_table() -> str:
    lines = ["| key | in the file | variable | option | default |", "|---|---|---|---|---|"]
    for row in TABLE:
        if row.key is None and row.env_var is None:
            continue
        where = {TOP: "top level", SITE: "`[defaults]`, `[[sites]]`"}.get(row.scope or "", "–")
        default = str(row.default).lower() if row.kind is Kind.FLAG else row.shown_default()
        cells = [
            f"`{row.key}`" if row.key else "–",
            where,
            f"`{row.env_var}`" if row.env_var else "–",
            f"`{row.option}`" if row.option else "–",
            default,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_readme_lists_every_file_key_and_variable() -> None:
    block = README.split("<!-- settings-keys -->\n", 1)[1].split("\n<!-- /settings-keys -->", 1)[0]
    assert block == _keys_table()
    for word in ("FUNNEL_AUDIT_<KEY>", "funnel-audit.toml", "$FUNNEL_AUDIT_CONFIG"):
        assert word in _commands_section()


def test_every_option_of_every_verb_comes_from_the_table() -> None:
    for verb in ("audit", "report", "export", "run-due", "history", "diff", "portfolio", "worker",
                 "beat"):  # fmt: skip
        command = cli.commands[verb]
        assert isinstance(command, click.Command)
        flags = {o for p in command.params for o in p.opts if o.startswith("--")}
        assert flags - NOT_SETTINGS - {"--help"} == {SETTINGS[n].option for n in names_for(verb)}, (
            verb
        )


def test_every_default_is_written_once_and_the_others_agree() -> None:
    """Defaults still written outside the settings table (in modules this change did not own)
    must agree with it until they read it."""
    from funnel_audit.analyse.gaps import DEFAULT_TARGET
    from funnel_audit.audit import AuditOptions
    from funnel_audit.crawl.settings import CrawlSettings
    from funnel_audit.plan.planner import DEFAULT_PER_WEEK, DEFAULT_WEEKS
    from funnel_audit.report.html import Branding

    crawl = CrawlSettings()
    for name in ("max_pages", "max_depth", "concurrency", "delay", "timeout", "user_agent"):
        assert getattr(crawl, name) == SETTINGS[name].default, name
    assert crawl.respect_robots is not SETTINGS["ignore_robots"].default
    assert dict(SETTINGS["target"].default) == DEFAULT_TARGET
    assert (
        SETTINGS["weeks"].default,
        SETTINGS["per_week"].default,
    ) == (DEFAULT_WEEKS, DEFAULT_PER_WEEK)
    assert Branding().accent == SETTINGS["accent"].default
    options = AuditOptions(target="x")
    assert options.conditional is SETTINGS["conditional"].default
    assert options.resume is SETTINGS["resume"].default


def test_a_site_in_the_file_gets_the_same_defaults_as_audit(tmp_path: Path) -> None:
    path = tmp_path / "funnel-audit.toml"
    path.write_text(f'[[sites]]\nname = "a"\nurl = "{LEDGERLOOP}"\n', encoding="utf-8")
    site = load_config(path).sites[0]
    for name in ("max_pages", "max_depth", "concurrency", "delay", "target", "weeks", "accent"):
        assert site[name] == SETTINGS[name].default, name


# --- precedence through the real CLI -----------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with no settings from the developer's machine: its own config home,
    no FUNNEL_AUDIT_* variables but the session's model cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for var in list(os.environ):
        if var.startswith("FUNNEL_AUDIT_") and var != "FUNNEL_AUDIT_CACHE":
            monkeypatch.delenv(var)
    return tmp_path


FILE = f"""
db = "from-file.sqlite3"

[defaults]
max_pages = 6
weeks = 3
per_week = 1
client_name = "File Client"
alias_hosts = ["www.ledgerloop.example"]

[[sites]]
name = "ledgerloop"
url = "{LEDGERLOOP}"
agency_name = "Site Agency"
concurrency = 3
"""


def _audit(out: Path, *args: str) -> dict[str, object]:
    assert main(["audit", str(LEDGERLOOP), "--out", str(out), "--quiet", *args]) == 0
    data = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    settings = data["settings"]
    settings["pages"] = len(data["pages"])
    settings["report"] = (out / "report.html").read_text(encoding="utf-8")
    return settings


def test_defaults_then_file_then_environment_then_flags(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "funnel-audit.toml").write_text(FILE, encoding="utf-8")

    # the file found in the working folder, as run-due finds it: top level, [defaults], and
    # the [[sites]] entry of the audited folder
    got = _audit(workdir / "a")
    assert got["max_pages"] == got["pages"] == 6
    assert (got["weeks"], got["per_week"], got["concurrency"]) == (3, 1, 3)
    assert got["alias_hosts"] == ["www.ledgerloop.example"]
    assert "File Client" in str(got["report"]) and "Site Agency" in str(got["report"])
    assert (workdir / "from-file.sqlite3").is_file()
    assert got["delay"] == SETTINGS["delay"].default  # untouched: the table's default

    # the environment wins over the file
    monkeypatch.setenv("FUNNEL_AUDIT_MAX_PAGES", "5")
    monkeypatch.setenv("FUNNEL_AUDIT_WEEKS", "2")
    monkeypatch.setenv("FUNNEL_AUDIT_ALIAS_HOSTS", "live.ledgerloop.example shop.example")
    monkeypatch.setenv("FUNNEL_AUDIT_DB", str(workdir / "from-env.sqlite3"))
    got = _audit(workdir / "b")
    assert got["max_pages"] == got["pages"] == 5
    assert (got["weeks"], got["per_week"]) == (2, 1)
    assert got["alias_hosts"] == ["live.ledgerloop.example", "shop.example"]
    assert (workdir / "from-env.sqlite3").is_file()

    # flags typed win; a flag typed at its default value still wins; one left out hides nothing
    got = _audit(workdir / "c", "--max-pages", "4", "--per-week", "2", "--db", "flag.sqlite3")
    assert got["max_pages"] == got["pages"] == 4
    assert (got["weeks"], got["per_week"]) == (2, 2)
    assert (workdir / "flag.sqlite3").is_file()

    # a switch from the environment is not undone by its flag's default (history is on)
    monkeypatch.setenv("FUNNEL_AUDIT_HISTORY", "0")
    _audit(workdir / "d", "--db", "not-written.sqlite3")
    assert not (workdir / "not-written.sqlite3").exists()
    capsys.readouterr()


def test_config_named_with_a_flag_or_a_variable(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "funnel-audit.toml").write_text("[defaults]\nmax_pages = 6\n", encoding="utf-8")
    elsewhere = workdir / "conf" / "mine.toml"
    elsewhere.parent.mkdir()
    elsewhere.write_text("[defaults]\nmax_pages = 3\nweeks = 1\n", encoding="utf-8")
    other = workdir / "other.toml"
    other.write_text("[defaults]\nmax_pages = 2\n", encoding="utf-8")
    monkeypatch.setenv("FUNNEL_AUDIT_CONFIG", str(elsewhere))
    got = _audit(workdir / "a", "--no-history")
    assert (got["pages"], got["weeks"]) == (3, 1)
    got = _audit(workdir / "b", "--no-history", "--config", str(other))
    assert (got["pages"], got["weeks"]) == (2, SETTINGS["weeks"].default)


def test_run_due_takes_site_settings_from_the_file_alone(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, model: object
) -> None:
    """A variable in the shell that starts run-due does not change a scheduled site, but the
    run's own settings (the database) follow the same order as everywhere."""
    from funnel_audit.classify.store import save_model
    from funnel_audit.store.history import HistoryStore

    save_model(model, workdir / "model.npz")
    config = workdir / "funnel-audit.toml"
    config.write_text(
        f'db = "file.sqlite3"\nmodel = "model.npz"\noutput_dir = "reports"\n'
        f'[[sites]]\nname = "ll"\nurl = "{LEDGERLOOP}"\nmax_pages = 3\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("FUNNEL_AUDIT_MAX_PAGES", "9")
    monkeypatch.setenv("FUNNEL_AUDIT_WORKERS", "1")
    monkeypatch.setenv("FUNNEL_AUDIT_PARSERS", "0")
    assert main(["run-due", "--quiet"]) == 0
    with HistoryStore(workdir / "file.sqlite3") as store:
        (audit,) = store.complete_audits("ll")
        assert len(store.pages(audit.id)) == 3
    day = datetime.now(UTC).astimezone().date().isoformat()
    assert (workdir / "reports" / "ll" / day / "report.html").is_file()


def test_the_model_cache_from_a_flag_or_the_file_is_passed_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FUNNEL_AUDIT_CACHE", "/from/env")
    flags = Layer()
    flags.set("cache", tmp_path, "--cache")
    with model_cache(resolve(["cache"], flags)):
        assert os.environ["FUNNEL_AUDIT_CACHE"] == str(tmp_path)
    assert os.environ["FUNNEL_AUDIT_CACHE"] == "/from/env"


# --- bad values from each source --------------------------------------------------------


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ("[defaults]\nconcurrency = 0", ["[defaults]: concurrency", "between 1 and 64, got 0"]),
        ('[defaults]\ndelay = "slow"', ["[defaults]: delay must be a number"]),
        ('[defaults]\nalias_hosts = ["exa mple.com"]', ["[defaults]: alias_hosts", "bad value"]),
        ("[defaults]\ninclude = ['(']", ["[defaults]: include", "bad regex"]),
        ("[defaults]\ntarget = { sideways = 1 }", ["[defaults]: target", "bad target entry"]),
        ('[defaults]\naccent = "red"', ["[defaults]: accent", "bad colour 'red'"]),
        ("[defaults]\nignore_robots = 1", ["[defaults]: ignore_robots must be true or false"]),
        ("workers = 0", ["funnel-audit.toml: workers must be a whole number between 1 and 32"]),
        ("[defaults]\nmax_pagse = 5", ["[defaults]: unknown key(s) max_pagse"]),
        ("resume = true", ["unknown key(s) resume"]),
        ("[defaults\n", ["is not valid TOML"]),
    ],
)
def test_a_bad_value_in_the_file_is_one_line_naming_it(
    workdir: Path, capsys: pytest.CaptureFixture[str], body: str, needles: list[str]
) -> None:
    (workdir / "funnel-audit.toml").write_text(body, encoding="utf-8")
    assert main(["audit", str(LEDGERLOOP), "--no-history", "--quiet"]) == 6
    line = _one_error_line(capsys)
    assert line.startswith("funnel-audit: error: ") and str(workdir / "funnel-audit.toml") in line
    for needle in needles:
        assert needle in line, line


@pytest.mark.parametrize(
    ("var", "value", "needle"),
    [
        ("FUNNEL_AUDIT_MAX_PAGES", "lots", "must be a whole number >= 1, got 'lots'"),
        ("FUNNEL_AUDIT_CONCURRENCY", "65", "must be a whole number between 1 and 64"),
        ("FUNNEL_AUDIT_TIMEOUT", "nan", "must be a number between 0.1 and 3600"),
        ("FUNNEL_AUDIT_IGNORE_ROBOTS", "maybe", "must be true or false"),
        ("FUNNEL_AUDIT_TARGET", "awareness=lots", "bad target entry"),
        ("FUNNEL_AUDIT_START", "next week", "bad date 'next week'"),
        ("FUNNEL_AUDIT_ALIAS_HOSTS", "http://", "bad value"),
        ("FUNNEL_AUDIT_USER_AGENT", "bot\r\nX-Evil: 1", "must be one line of text"),
    ],
)
def test_a_bad_variable_is_one_line_naming_it(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    var: str,
    value: str,
    needle: str,
) -> None:
    monkeypatch.setenv(var, value)
    assert main(["audit", str(LEDGERLOOP), "--no-history", "--quiet"]) == 6
    line = _one_error_line(capsys)
    assert line.startswith(f"funnel-audit: error: {var}") and needle in line, line


def test_a_bad_variable_of_run_due_and_history_too(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "funnel-audit.toml").write_text(
        f'[[sites]]\nname = "ll"\nurl = "{LEDGERLOOP}"\n', encoding="utf-8"
    )
    monkeypatch.setenv("FUNNEL_AUDIT_WORKERS", "0")
    assert main(["run-due"]) == 6
    assert "FUNNEL_AUDIT_WORKERS must be a whole number between 1 and 32" in _one_error_line(capsys)
    monkeypatch.setenv("FUNNEL_AUDIT_DB", "")  # empty: unset, so the file's or the default
    monkeypatch.setenv("FUNNEL_AUDIT_CONFIG", str(workdir / "missing.toml"))
    assert main(["history"]) == 6
    assert "config file not found" in _one_error_line(capsys)


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--max-pages", "0"], 2, "'--max-pages': 0 is not in the range x>=1"),
        (["--delay", "3601"], 2, "'--delay'"),
        (["--target", "awareness=lots"], 6, "--target: bad target entry"),
        (["--accent", "red"], 6, "--accent: bad colour 'red'"),
        (["--start", "2026-13-01"], 6, "--start: bad date"),
        (["--include", "("], 6, "--include: bad regex"),
        (["--alias-host", "http://"], 6, "bad --alias-host"),
        (["--config", "missing.toml"], 6, "config file not found: missing.toml"),
    ],
)
def test_a_bad_flag_names_the_flag(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, needle: str
) -> None:
    assert main(["audit", str(LEDGERLOOP), "--no-history", "--quiet", *args]) == code
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err, err


# --- the command line is parsed once ------------------------------------------------------


def test_traceback_is_read_by_click_once(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert not hasattr(app, "_state")
    missing = str(workdir / "nope")
    # a value that happens to read "--traceback" is a value, not the flag
    assert main(["audit", missing, "--no-history", "--client-name", "--traceback"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main(["--traceback", "audit", missing, "--no-history"]) == 2
    assert "Traceback" in capsys.readouterr().err
