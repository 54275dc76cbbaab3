"""A team through the real CLI: `[[team]]` in funnel-audit.toml, `--team-member` and
FUNNEL_AUDIT_TEAM; the calendar's owners, tasks.csv's Assignee Email and calendar.ics on a sample
site; UIDs that do not change with the owner; bad members stopped by one line (exit 6)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest

from funnel_audit.cli.main import main
from funnel_audit.config import load_config
from funnel_audit.plan.people import Member
from funnel_audit.plan.team import known_roles
from tests.conftest import SAMPLES

SITE = SAMPLES / "harbourline-plumbing"
START = "2027-01-04"  # a Monday, so two runs plan the same dates
TEAM = """
[[team]]
name = "Ana Ruiz"
email = "ana@agency.example"
roles = ["writer", "designer"]
capacity = 1      # pieces a week

[[team]]
name = "Sam Cole"
email = "sam@agency.example"
roles = ["web"]
capacity = 1
"""
EMAILS = {"Ana Ruiz": "ana@agency.example", "Sam Cole": "sam@agency.example"}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder whose ./funnel-audit.toml the audit finds."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FUNNEL_AUDIT_TEAM", raising=False)
    return tmp_path


def _audit(out: Path, *args: str) -> dict[str, Any]:
    code = main(["audit", str(SITE), "--out", str(out), "--no-history", "--start", START, *args])
    assert code == 0
    data: dict[str, Any] = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    return data


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _events(path: Path) -> dict[str, tuple[str, str]]:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return {str(e["UID"]): (str(e["SUMMARY"]), str(e["DESCRIPTION"])) for e in cal.walk("VEVENT")}


def test_a_team_in_the_file_owns_the_calendar_within_capacity(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alone = _audit(workdir / "alone", "-q")
    roles = {e["owner"] for e in alone["calendar"]}
    assert roles <= set(known_roles())  # no team: role words, as before
    assert all(e["owner_email"] == "" for e in alone["calendar"])
    assert {r["Assignee Email"] for r in _rows(workdir / "alone" / "tasks.csv")} == {""}
    capsys.readouterr()

    (workdir / "funnel-audit.toml").write_text(TEAM, encoding="utf-8")
    data = _audit(workdir / "team")
    terminal = capsys.readouterr()
    assert "@agency.example" not in terminal.out + terminal.err  # emails never reach the terminal
    out = workdir / "team"
    calendar = _rows(out / "calendar.csv")
    assert len(calendar) == len(alone["calendar"]) > 0  # no entry lost
    assert {r["Owner"] for r in calendar} <= set(EMAILS)
    per_week = Counter(
        (r["Owner"], datetime.strptime(r["Start Date"], "%m/%d/%Y").date().isocalendar()[:2])
        for r in calendar
    )
    assert max(per_week.values()) == 1  # capacity 1 each: never more in any ISO week
    tasks = _rows(out / "tasks.csv")
    assert [(t["Name"], t["Assignee Email"]) for t in tasks] == [
        (r["Working Title"], EMAILS[r["Owner"]]) for r in calendar
    ]
    assert {e["owner_email"] for e in data["calendar"]} <= set(EMAILS.values())

    # the planned roles decide who: writer and designer work is Ana's, web work Sam's
    planned = Counter(e["owner"] for e in alone["calendar"])
    got = Counter(e["owner"] for e in data["calendar"])
    if not planned["sales"]:
        assert got == {
            "Ana Ruiz": planned["writer"] + planned["designer"],
            "Sam Cole": planned["web"],
        }
    else:
        assert any("nobody on the team has the sales role" in n for n in data["notes"])
    busiest = Counter(
        date.fromisoformat(e["date"]).isocalendar()[:2]
        for e in alone["calendar"]
        if e["owner"] in ("writer", "designer")
    )
    if max(busiest.values(), default=0) > 1:
        assert any("moved to a later week" in n for n in data["notes"])
        assert any("Moved from" in r["Rationale"] for r in calendar)

    # the same pieces keep their UIDs whoever owns them; the owner's name is in each event
    before, after = _events(workdir / "alone" / "calendar.ics"), _events(out / "calendar.ics")
    assert {uid: s for uid, (s, _) in before.items()} == {uid: s for uid, (s, _) in after.items()}
    assert all(any(f"Owner: {n}" in d for n in EMAILS) for _, d in after.values())
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Ana Ruiz" in html and "Sam Cole" in html


def test_flags_replace_the_files_team_and_the_variable_sits_between(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "funnel-audit.toml").write_text(TEAM, encoding="utf-8")
    everyone = "writer,web,sales,designer"
    monkeypatch.setenv("FUNNEL_AUDIT_TEAM", f"Vi Tran <vi@agency.example> {everyone} 2")
    data = _audit(workdir / "env", "-q", "--weeks", "2")
    assert {e["owner"] for e in data["calendar"]} == {"Vi Tran"}
    data = _audit(
        workdir / "flag",
        "-q",
        "--weeks",
        "2",
        "--team-member",
        f"Bo Li <bo@agency.example> {everyone} 1",
        "--team-member",
        f"Cy Park <cy@agency.example> {everyone} 1",
    )
    assert {e["owner"] for e in data["calendar"]} == {"Bo Li", "Cy Park"}
    per_week = Counter(
        (e["owner"], date.fromisoformat(e["date"]).isocalendar()[:2]) for e in data["calendar"]
    )
    assert max(per_week.values()) == 1  # capacity 1 each, whatever the number of pieces


def test_every_site_of_run_due_gets_the_files_team(workdir: Path) -> None:
    path = workdir / "funnel-audit.toml"
    path.write_text(f'{TEAM}\n[[sites]]\nname = "hl"\nurl = "{SITE}"\n', encoding="utf-8")
    (site,) = load_config(path).sites
    assert site["team"] == (
        Member("Ana Ruiz", "ana@agency.example", ("writer", "designer"), 1),
        Member("Sam Cole", "sam@agency.example", ("web",), 1),
    )
    assert site.options.origin("team") == f"{path}: team"


def test_the_readme_team_example_is_valid(tmp_path: Path) -> None:
    readme = (SAMPLES.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Assigning the plan to a team\n", 1)[1]
    path = tmp_path / "funnel-audit.toml"
    path.write_text(section.split("```toml\n", 1)[1].split("```", 1)[0], encoding="utf-8")
    team = load_config(path, need_sites=False).top.values["team"]
    assert [(m.name, m.roles, m.capacity) for m in team] == [
        ("Ana Ruiz", ("writer", "designer"), 2),
        ("Sam Cole", ("web", "sales"), 1),
    ]


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


MEMBER = '[[team]]\nname = "Ana"\nemail = "ana@agency.example"\nroles = ["writer"]\ncapacity = 1\n'


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (MEMBER.replace("ana@agency.example", "ana@agency"), "team entry 1 (Ana): email must be"),
        (MEMBER.replace("capacity = 1", "capacity = 0"), "team entry 1 (Ana): capacity must be"),
        (MEMBER.replace('"writer"', '"seo"'), "team entry 1 (Ana): unknown role 'seo' (known"),
        (MEMBER + 'password = "hunter2"\n', "team entry 1: unknown key(s) password"),
        (MEMBER + MEMBER, "team entry 2: two team members are named 'Ana'"),
        ('team = "Ana"\n', "team entry 1: write a member as NAME <EMAIL>"),
        ("[defaults]\n" + MEMBER.replace("[[team]]", "[[defaults.team]]"), "unknown key(s) team"),
    ],
)
def test_a_bad_member_in_the_file_is_one_line_exit_6(
    workdir: Path, capsys: pytest.CaptureFixture[str], body: str, needle: str
) -> None:
    path = workdir / "funnel-audit.toml"
    path.write_text(body, encoding="utf-8")
    assert main(["audit", str(SITE), "--no-history", "-q"]) == 6
    line = _one_error_line(capsys)
    assert line.startswith(f"funnel-audit: error: {path}") and needle in line, line
    assert "ana@agency" not in line and "hunter2" not in line
    # run-due checks the whole file before it audits anything
    path.write_text(f'{body}\n[[sites]]\nname = "hl"\nurl = "{SITE}"\n', encoding="utf-8")
    if "[defaults]" not in body:
        assert main(["run-due", "--config", str(path)]) == 6
        assert needle in _one_error_line(capsys)


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["--team-member", "Ana <ana@agency.example> seo 1"], "",
         "funnel-audit: error: --team-member entry 1 (Ana): unknown role 'seo' (known roles: "),
        (["--team-member", "Ana <ana@x.io> writer 1", "--team-member", "Bo bo@x.io web 1"],
         "", "funnel-audit: error: --team-member entry 2: write a member as"),
        ([], "Ana <ana@agency.example> writer 1; Bo <bo@x.io> web 99",
         "funnel-audit: error: FUNNEL_AUDIT_TEAM entry 2 (Bo): capacity must be a whole number"),
    ],
)  # fmt: skip
def test_a_bad_member_on_the_command_line_or_in_the_variable_is_one_line_exit_6(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    env: str,
    needle: str,
) -> None:
    if env:
        monkeypatch.setenv("FUNNEL_AUDIT_TEAM", env)
    assert main(["audit", str(SITE), "--no-history", "-q", *args]) == 6
    assert _one_error_line(capsys).startswith(needle)


def test_help_shows_the_syntax_and_every_role(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--team-member MEMBER" in text and "NAME <EMAIL> ROLES CAPACITY" in text
    for role in known_roles():
        assert role in text.split("--team-member MEMBER", 1)[1].split("--labels", 1)[0], role
