"""The team a content plan is assigned to, as the user gives it: people with a name, an email,
the roles they cover and how many pieces a week they can take.

A member comes from a `[[team]]` table of `funnel-audit.toml`, a `--team-member` flag
(`NAME <EMAIL> ROLE[,ROLE...] CAPACITY`) or `FUNNEL_AUDIT_TEAM` (the same, `;` between members).
Nothing else about a person is kept: no passwords, tokens or account ids, which is why a table
with any other key is refused. Emails are personal data: they go to the files the consultant
writes (tasks.csv, calendar.csv, audit.json) and never into an error, a note or the terminal.
Whether a role is one the planner uses is checked in `team.py`, which knows the planner.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from funnel_audit.errors import InputError

MAX_CAPACITY = 50  # pieces a week: more is a typo, not a person
MAX_MEMBERS = 200
MAX_NAME = 80
MAX_EMAIL = 254
TEXT_SYNTAX = "NAME <EMAIL> ROLE[,ROLE...] CAPACITY"
TABLE_KEYS = ("name", "email", "roles", "capacity")
_TEXT = re.compile(r"(?P<name>[^<>]*)<(?P<email>[^<>]*)>(?P<roles>.*?)(?P<capacity>\S+)")
_ROLE = re.compile(r"[a-z][a-z0-9-]{0,39}")
_NOT_IN_EMAIL = set(" <>()[]\\,;:\"'")


@dataclass(frozen=True, slots=True)
class Member:
    """One person on the team: who, where to reach them, what they do, pieces a week."""

    name: str
    email: str
    roles: tuple[str, ...]
    capacity: int


def parse_team(raw: object, where: str) -> tuple[Member, ...]:
    """The team from any source: a TOML array of tables, repeated flags (a list of texts), or one
    text with members separated by `;` (a variable). Raises InputError, one line naming `where`
    and the entry (`team entry 2 (Ana Ruiz): ...`)."""
    items: object = [p for p in raw.split(";") if p.strip()] if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise InputError(f"{where} must be a list of team members ({TEXT_SYNTAX})")
    if len(items) > MAX_MEMBERS:
        raise InputError(f"{where}: at most {MAX_MEMBERS} team members, got {len(items)}")
    members: list[Member] = []
    for number, item in enumerate(items, start=1):
        entry = f"{where} entry {number}"
        if isinstance(item, Mapping):
            member = _from_table(item, entry)
        elif isinstance(item, str):
            member = _from_text(item, entry)
        else:
            raise InputError(f"{entry} must be a table with {', '.join(TABLE_KEYS)}")
        for other in members:
            if other.name.casefold() == member.name.casefold():
                raise InputError(f"{entry}: two team members are named {member.name!r}")
            if other.email.casefold() == member.email.casefold():
                raise InputError(f"{entry} ({member.name}): the same email as {other.name!r}")
        members.append(member)
    return tuple(members)


def _from_text(text: str, entry: str) -> Member:
    match = _TEXT.fullmatch(text.strip())
    if match is None or not match.group("roles").strip():
        raise InputError(
            f"{entry}: write a member as {TEXT_SYNTAX}, "
            "e.g. 'Ana Ruiz <ana@example.com> writer,designer 2'"
        )
    roles = [r for r in re.split(r"[,\s]+", match.group("roles")) if r]
    return _member(match.group("name"), match.group("email"), roles, match.group("capacity"), entry)


def _from_table(table: Mapping[object, object], entry: str) -> Member:
    extra = sorted(str(k) for k in table if k not in TABLE_KEYS)
    if extra:
        raise InputError(
            f"{entry}: unknown key(s) {', '.join(extra)} (a team member has only "
            f"{', '.join(TABLE_KEYS)}; never put passwords or tokens here)"
        )
    missing = [k for k in TABLE_KEYS if k not in table]
    if missing:
        raise InputError(f"{entry}: missing {', '.join(missing)}")
    roles = table["roles"]
    if isinstance(roles, str):
        roles = [roles]
    return _member(table["name"], table["email"], roles, table["capacity"], entry)


def _member(name: object, email: object, roles: object, capacity: object, entry: str) -> Member:
    """Every field checked; the email is never echoed back."""
    if not isinstance(name, str) or not _printable(name):
        raise InputError(f"{entry}: name must be one line of text")
    if not name.strip():
        raise InputError(f"{entry}: the name is missing")
    name = " ".join(name.split())
    if len(name) > MAX_NAME or set(name) & set("<>;"):
        raise InputError(f"{entry}: name must be at most {MAX_NAME} characters, without < > or ;")
    entry = f"{entry} ({name})"
    if not isinstance(email, str) or not is_email(email.strip()):
        raise InputError(
            f"{entry}: email must be one address like name@example.com "
            "(one @, a dot in the domain, no spaces)"
        )
    if not isinstance(roles, list | tuple) or not roles:
        raise InputError(f'{entry}: roles must be a list of role words, e.g. ["writer"]')
    words: list[str] = []
    for role in roles:
        word = role.strip().lower() if isinstance(role, str) else ""
        if not _ROLE.fullmatch(word):
            raise InputError(f"{entry}: bad role {str(role)[:40]!r}: use words such as writer")
        if word not in words:
            words.append(word)
    return Member(name, email.strip(), tuple(words), _capacity(capacity, entry))


def _capacity(raw: object, entry: str) -> int:
    value: object = raw
    if isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAPACITY:
        raise InputError(
            f"{entry}: capacity must be a whole number of pieces a week between 1 and "
            f"{MAX_CAPACITY}, got {str(raw)[:20]!r}"
        )
    return value


def is_email(text: str) -> bool:
    """A simple check that catches typos, not RFC 5322: one @, something before it, a dot inside
    the domain, no spaces, control characters or brackets."""
    if not text or len(text) > MAX_EMAIL or not _printable(text) or set(text) & _NOT_IN_EMAIL:
        return False
    local, at, domain = text.partition("@")
    if not at or not local or "@" in domain:
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and all(labels)


def _printable(text: str) -> bool:
    return all(c.isprintable() for c in text)
