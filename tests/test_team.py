"""Assigning the calendar to a team: within each person's weekly capacity, fairly, the same way
every time, with entries moved (not piled up) when a role is full, and role words without a team.
Members as the user writes them: a table, a flag's text, a variable; bad ones are one line."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel_audit.errors import InputError
from funnel_audit.models import CalendarEntry, Stage
from funnel_audit.plan.people import Member, is_email, parse_team
from funnel_audit.plan.team import (
    assign,
    check_roles,
    known_roles,
    owner_of,
    person_for,
    week_of,
)

MONDAY = date(2027, 1, 4)
ANA = Member("Ana Ruiz", "ana@agency.example", ("writer",), 2)
BO = Member("Bo Li", "bo@agency.example", ("writer", "designer"), 1)
SAM = Member("Sam Cole", "sam@agency.example", ("web",), 1)


def entry(
    day: date, role: str = "writer", n: int = 0, tactic: str = "ongoing", fmt: str = "guide"
) -> CalendarEntry:
    return CalendarEntry(
        date=day,
        stage=Stage.AWARENESS,
        format=fmt,
        working_title=f"piece {n}",
        target_topic="boilers",
        keywords=(),
        cta="",
        link_from=(),
        link_to=(),
        owner=role,
        kpi="",
        gap="",
        rationale="Builds out the topic.",
        tactic=tactic,
    )


def weekly(weeks: int, per_week: int, role: str = "writer") -> list[CalendarEntry]:
    """A calendar like the planner's: `per_week` entries a week on Mon, Wed, Fri..."""
    offsets = (0, 2, 4, 1, 3)
    return [
        entry(MONDAY + timedelta(weeks=w, days=offsets[i]), role, w * per_week + i)
        for w in range(weeks)
        for i in range(per_week)
    ]


def loads(entries: tuple[CalendarEntry, ...]) -> Counter[tuple[str, tuple[int, int]]]:
    return Counter((e.owner, week_of(e.date)) for e in entries)


def test_without_a_team_owners_stay_role_words() -> None:
    plan = weekly(3, 2)
    notes: list[str] = []
    assert assign(plan, (), notes) == tuple(plan)
    assert {e.owner for e in plan} == {"writer"} and notes == []
    assert owner_of((), "web") == ("web", "")


def test_owners_become_people_with_their_emails() -> None:
    done = assign(weekly(2, 2), (ANA,))
    assert {(e.owner, e.owner_email) for e in done} == {("Ana Ruiz", "ana@agency.example")}


def test_capacity_is_never_exceeded_and_extra_entries_move_a_week_on() -> None:
    plan = [entry(MONDAY + timedelta(days=d), n=d) for d in (0, 1, 2, 3)]  # 4 in one week
    notes: list[str] = []
    done = assign(plan, (Member("Ana Ruiz", "ana@x.example", ("writer",), 1),), notes)
    assert [e.date for e in done] == [
        MONDAY + timedelta(weeks=w, days=d) for w, d in enumerate(range(4))
    ]
    assert max(loads(done).values()) == 1
    moved = [e for e in done if "Moved from" in e.rationale]
    assert len(moved) == 3
    assert (
        "Moved from 2027-01-05: everyone with the writer role was at capacity" in moved[0].rationale
    )
    assert any("3 calendar entries moved to a later week" in n for n in notes)
    assert any("ends on 2027-01-28" in n for n in notes)
    assert not any("@" in n for n in notes)  # emails never go into notes


def test_the_load_is_shared_in_proportion_to_capacity() -> None:
    team = (Member("A", "a@x.example", ("writer",), 3), Member("B", "b@x.example", ("writer",), 1))
    done = assign(weekly(12, 2), team)
    counts = Counter(e.owner for e in done)
    assert counts == {"A": 18, "B": 6}
    assert all(e.date.isoweekday() in (1, 3) for e in done)  # nobody was full: no moves
    # two writers of equal capacity take turns
    even = assign(weekly(6, 2), (ANA, Member("Cy", "cy@x.example", ("writer",), 2)))
    assert Counter(e.owner for e in even) == {"Ana Ruiz": 6, "Cy": 6}


def test_the_same_team_and_calendar_give_the_same_assignment() -> None:
    plan = weekly(8, 3) + weekly(8, 1, "web")
    team = (ANA, BO, SAM)
    first = assign(plan, team)
    assert assign(list(plan), team) == first


def test_a_role_nobody_has_goes_to_whoever_has_time() -> None:
    notes: list[str] = []
    done = assign(weekly(2, 2, "sales"), (ANA, SAM), notes)
    assert {e.owner for e in done} <= {"Ana Ruiz", "Sam Cole"}
    assert all("Nobody on the team has the sales role." in e.rationale for e in done)
    assert notes[0].startswith("nobody on the team has the sales role: 4 calendar entries")
    assert max(Counter((e.owner, week_of(e.date)) for e in done).values()) <= 2


def test_a_role_somebody_has_goes_only_to_them() -> None:
    done = assign(weekly(4, 1, "designer"), (ANA, BO))
    assert {e.owner for e in done} == {"Bo Li"}


def test_foundations_keep_coming_first_and_roles_keep_their_order() -> None:
    found = [entry(MONDAY + timedelta(days=d), "writer", d, "foundational") for d in (0, 1, 2)]
    ongoing = [
        entry(MONDAY + timedelta(days=3), "web", 10),
        entry(MONDAY + timedelta(days=4), "writer", 11),
    ]
    team = (Member("Ana Ruiz", "ana@x.example", ("writer",), 1), SAM)
    done = assign([*found, *ongoing], team)
    last_foundation = max(e.date for e in done if e.tactic == "foundational")
    assert all(e.date >= last_foundation for e in done if e.tactic == "ongoing")
    assert [e.tactic for e in done][:3] == ["foundational"] * 3
    web = next(e for e in done if e.owner == "Sam Cole")
    assert "to come after the foundational pieces" in web.rationale
    writer_titles = [e.working_title for e in done if e.owner == "Ana Ruiz"]
    assert writer_titles == ["piece 0", "piece 1", "piece 2", "piece 11"]


def test_person_for_a_single_task() -> None:
    team = (ANA, BO, SAM)
    assert person_for(team, "designer") == BO
    assert person_for(team, "writer") == ANA  # the first listed with the role
    assert person_for(team, "sales") == ANA  # nobody has it: the most capacity, first listed
    assert owner_of(team, "web") == ("Sam Cole", "sam@agency.example")
    assert person_for((), "web") is None


# --- the property: nobody over capacity, no entry lost --------------------------------------

ROLES = ("writer", "web", "sales", "designer")
members = st.builds(
    lambda n, roles, cap: Member(f"P{n}", f"p{n}@x.example", tuple(roles), cap),
    st.integers(0, 9),
    st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True),
    st.integers(1, 3),
)
teams = st.lists(members, min_size=1, max_size=4, unique_by=lambda m: m.name)
entries = st.lists(
    st.tuples(
        st.integers(0, 40), st.sampled_from(ROLES), st.sampled_from(("foundational", "ongoing"))
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(teams, entries)
def test_nobody_exceeds_capacity_in_any_week_and_no_entry_is_lost(
    team: list[Member], raw: list[tuple[int, str, str]]
) -> None:
    plan = [
        entry(MONDAY + timedelta(days=d), role, n, tactic)
        for n, (d, role, tactic) in enumerate(raw)
    ]
    done = assign(plan, team)
    assert sorted(e.working_title for e in done) == sorted(e.working_title for e in plan)
    capacity = {m.name: m.capacity for m in team}
    for (owner, _week), count in loads(done).items():
        assert count <= capacity[owner]
    before = {e.working_title: e for e in plan}
    for e in done:
        was = before[e.working_title]
        assert e.date >= was.date and e.owner_email.endswith("@x.example")
        holders = [m.name for m in team if was.owner in m.roles]
        assert not holders or e.owner in holders
    assert [e.date for e in done] == sorted(e.date for e in done)
    found = [e.date for e in done if e.tactic == "foundational"]
    ongoing = [e.date for e in done if e.tactic == "ongoing"]
    assert not found or not ongoing or max(found) <= min(ongoing)


# --- members as the user writes them -------------------------------------------------------


def test_a_member_from_a_table_a_flag_or_a_variable() -> None:
    table = {"name": "Ana  Ruiz", "email": "ana@agency.example", "roles": ["Writer"], "capacity": 2}
    assert parse_team([table], "f: team") == (
        Member("Ana Ruiz", "ana@agency.example", ("writer",), 2),
    )
    flags = ("Ana Ruiz <ana@agency.example> writer,designer 2", "Bo <bo@b.example> web, sales 1")
    assert parse_team(flags, "--team-member") == (
        Member("Ana Ruiz", "ana@agency.example", ("writer", "designer"), 2),
        Member("Bo", "bo@b.example", ("web", "sales"), 1),
    )
    variable = "Ana Ruiz <ana@agency.example> writer 2; Bo <bo@b.example> web 1;"
    assert [m.name for m in parse_team(variable, "FUNNEL_AUDIT_TEAM")] == ["Ana Ruiz", "Bo"]


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (["Ana <ana@x> writer 1"], "--team-member entry 1 (Ana): email must be one address"),
        (["Ana <ana@@x.example> writer 1"], "email must be one address"),
        (["Ana <ana x@x.example> writer 1"], "email must be one address"),
        (
            ["Ana <ana@x.example> writer 0"],
            "capacity must be a whole number of pieces a week between 1 and 50, got '0'",
        ),
        (["Ana <ana@x.example> writer 51"], "between 1 and 50"),
        (["Ana <ana@x.example> writer"], "--team-member entry 1: write a member as NAME <EMAIL>"),
        (["Ana ana@x.example writer 2"], "write a member as"),
        (["<ana@x.example> writer 2"], "entry 1: the name is missing"),
        (["Ana <ana@x.example> wr!ter 2"], "bad role 'wr!ter'"),
        (
            ["A <a@x.example> web 1", "a <b@x.example> web 1"],
            "entry 2: two team members are named 'a'",
        ),
        (["A <a@x.example> web 1", "B <A@X.example> web 1"], "entry 2 (B): the same email as 'A'"),
        (
            [
                {
                    "name": "A",
                    "email": "a@x.example",
                    "roles": ["web"],
                    "capacity": 1,
                    "password": "x",
                }
            ],
            "unknown key(s) password",
        ),
        ([{"name": "A", "email": "a@x.example", "roles": ["web"]}], "entry 1: missing capacity"),
        (
            [{"name": "A", "email": "a@x.example", "roles": [], "capacity": 1}],
            "roles must be a list",
        ),
        (
            [{"name": "A", "email": "a@x.example", "roles": ["web"], "capacity": 1.5}],
            "capacity must",
        ),
        (
            [{"name": "A", "email": "a@x.example", "roles": ["web"], "capacity": True}],
            "capacity must",
        ),
        (
            [{"name": "A\nB", "email": "a@x.example", "roles": ["web"], "capacity": 1}],
            "one line of text",
        ),
        ([3], "entry 1 must be a table"),
        ({"name": "A"}, "must be a list of team members"),
    ],
)
def test_a_bad_member_is_one_line_naming_its_entry(raw: object, needle: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_team(raw, "--team-member")
    message = str(caught.value)
    assert needle in message and "\n" not in message, message
    for item in raw if isinstance(raw, list) else ():
        email = item.get("email") if isinstance(item, dict) else str(item).partition("<")[2]
        address = str(email).partition(">")[0]
        assert not address or address not in message  # an email is never echoed


def test_roles_are_the_planners_and_an_unknown_one_lists_them() -> None:
    assert set(known_roles()) >= {"writer", "web", "sales", "designer"}
    check_roles((ANA, BO, SAM), "--team-member")
    odd = Member("Sam Cole", "sam@x.example", ("web", "seo"), 1)
    with pytest.raises(InputError) as caught:
        check_roles((ANA, odd), "f.toml: team")
    assert str(caught.value) == (
        "f.toml: team entry 2 (Sam Cole): unknown role 'seo' (known roles: "
        + ", ".join(known_roles())
        + ")"
    )


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("ana@agency.example", True),
        ("a.b+c@mail.co.uk", True),
        ("ana@agency", False),
        ("ana@@agency.example", False),
        ("@agency.example", False),
        ("ana@.example", False),
        ("ana@agency.", False),
        ("an a@agency.example", False),
        ("ana@agency.example\x00", False),
        ("<ana@agency.example>", False),
    ],
)
def test_emails_are_checked_simply(text: str, ok: bool) -> None:
    assert is_email(text) is ok
