"""The finished calendar handed to a team: each entry to a person who has its role and time left
that week, so the plan names who does what and nobody is given more than they can do.

The planner writes a role word as each entry's owner (writer, web, sales, designer); `assign`
replaces it with a person, counting work per ISO week (Monday to Sunday). The foundational pieces
are assigned first, then the ongoing ones, each in date order:

- the entry goes to someone who has its role and has not reached their weekly capacity;
  among them, the one least loaded over the whole plan for their capacity (then this week,
  then the one with fewer roles, then the one listed first), so work is shared in proportion to
  capacity and the same team and calendar always give the same assignment;
- when everyone with the role is full that week, the entry moves to the next week where someone
  has time, on the same weekday; its rationale says so, and a note counts the moves;
- an entry is never dated before an earlier entry of its role (a role's pieces keep their planned
  order, so the UIDs of calendar_files.py, counted per stage and format, name the same pieces),
  and an ongoing entry never before the last foundational one: the foundations still come first;
- when nobody on the team has the role, anyone with time takes it (a generalist), with a note;
- with no team, the calendar is returned as it is and owners stay role words.

`person_for` and `owner_of` answer the same question for a single task (an action of the plan).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from funnel_audit.errors import InputError
from funnel_audit.models import CalendarEntry
from funnel_audit.plan.people import Member
from funnel_audit.plan.planner import CATALOGUE
from funnel_audit.plan.tactics import FOUNDATIONAL

Week = tuple[int, int]  # ISO year and week number


def known_roles() -> tuple[str, ...]:
    """The role words the planner gives as owners, sorted."""
    return tuple(sorted({fmt.owner for formats in CATALOGUE.values() for fmt in formats}))


def check_roles(team: Sequence[Member], where: str) -> None:
    """Every member's roles are roles the planner uses; else InputError, one line naming the
    source, the entry and the known roles."""
    known = known_roles()
    for number, member in enumerate(team, start=1):
        for role in member.roles:
            if role not in known:
                raise InputError(
                    f"{where} entry {number} ({member.name}): unknown role {role!r} "
                    f"(known roles: {', '.join(known)})"
                )


def person_for(team: Sequence[Member], role: str) -> Member | None:
    """Who does a single task of `role`: the first member listed with the role, else the member
    with the most capacity (the first of them), else None when there is no team."""
    for member in team:
        if role in member.roles:
            return member
    return max(team, key=lambda m: m.capacity, default=None)


def owner_of(team: Sequence[Member], role: str) -> tuple[str, str]:
    """The owner and owner email of a task of `role`: a person's name and email, or the role
    word and "" when there is no team."""
    person = person_for(team, role)
    return (person.name, person.email) if person else (role, "")


def week_of(day: date) -> Week:
    """The ISO week a day falls in: capacity is counted per ISO week."""
    iso = day.isocalendar()
    return iso.year, iso.week


def assign(
    entries: Sequence[CalendarEntry], team: Sequence[Member], notes: list[str] | None = None
) -> tuple[CalendarEntry, ...]:
    """The calendar with each entry's owner a person of `team` (see the module docstring),
    in date order; notes on moved entries and roles nobody has go to `notes`."""
    if not team or not entries:
        return tuple(entries)
    load: Counter[tuple[int, Week]] = Counter()  # (member index, week) -> pieces
    total: Counter[int] = Counter()
    last: dict[str, date] = {}  # each role's latest date so far
    foundations_end: date | None = None
    moved: Counter[str] = Counter()
    uncovered: Counter[str] = Counter()
    placed: list[tuple[date, bool, int, CalendarEntry]] = []
    for index, entry in sorted(enumerate(entries), key=lambda p: (_later(p[1]), p[1].date, p[0])):
        role = entry.owner
        pool = [i for i, m in enumerate(team) if role in m.roles]
        if not pool:
            pool = list(range(len(team)))
            uncovered[role] += 1
        bounds = (last.get(role), None if entry.tactic == FOUNDATIONAL else foundations_end)
        when, free = _first_free_day(
            entry.date, max((d for d in bounds if d), default=None), pool, team, load
        )
        week = week_of(when)
        who = min(
            free,
            key=lambda i: (
                total[i] / team[i].capacity,
                load[(i, week)] / team[i].capacity,
                len(team[i].roles),
                i,
            ),
        )
        rationale = entry.rationale
        if role not in team[who].roles:
            rationale = _add(rationale, f"Nobody on the team has the {role} role.")
        if week != week_of(entry.date):
            moved[role] += 1
            full = all(load[(i, week_of(entry.date))] >= team[i].capacity for i in pool)
            why = (
                f"everyone with the {role} role was at capacity that week"
                if full
                else "to come after the foundational pieces"
            )
            rationale = _add(rationale, f"Moved from {entry.date.isoformat()}: {why}.")
        load[(who, week)] += 1
        total[who] += 1
        last[role] = when
        if entry.tactic == FOUNDATIONAL:
            foundations_end = max(when, foundations_end or when)
        person = team[who]
        done = replace(
            entry, date=when, owner=person.name, owner_email=person.email, rationale=rationale
        )
        placed.append((when, _later(entry), index, done))
    placed.sort(key=lambda item: item[:3])
    if notes is not None:
        notes.extend(_notes(moved, uncovered, placed[-1][0]))
    return tuple(item[3] for item in placed)


def _later(entry: CalendarEntry) -> bool:
    """Ongoing entries sort after foundational ones."""
    return entry.tactic != FOUNDATIONAL


def _first_free_day(
    planned: date,
    after: date | None,
    pool: list[int],
    team: Sequence[Member],
    load: Counter[tuple[int, Week]],
) -> tuple[date, list[int]]:
    """The planned day, or the same weekday of the first later week in which someone of `pool`
    has time, never before `after` (the role's previous entry); and who has time then."""
    day = planned
    while True:
        when = max(day, after) if after is not None else day
        week = week_of(when)
        if week == week_of(day):
            free = [i for i in pool if load[(i, week)] < team[i].capacity]
            if free:
                return when, free
        day += timedelta(weeks=1)


def _add(rationale: str, sentence: str) -> str:
    return f"{rationale} {sentence}".strip()


def _notes(moved: Counter[str], uncovered: Counter[str], end: date) -> list[str]:
    """What the assignment changed, in counts and role words (names and emails stay out of
    notes, which the terminal shows too)."""
    out = []
    for role, count in sorted(uncovered.items()):
        out.append(
            f"nobody on the team has the {role} role: {_entries(count)} of {role} work went "
            "to team members with time to spare"
        )
    if moved:
        roles = ", ".join(f"{role} {n}" for role, n in sorted(moved.items()))
        out.append(
            f"{_entries(sum(moved.values()))} moved to a later week so that nobody is given "
            f"more than their weekly capacity and the foundational pieces come first ({roles}); "
            f"the calendar now ends on {end.isoformat()}"
        )
    return out


def _entries(count: int) -> str:
    return f"{count} calendar entr{'y' if count == 1 else 'ies'}"
