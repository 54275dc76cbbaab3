"""Dates a page names in its title or address: when an event was held, or a campaign ran.

An event page says when it happens ("Webinar: March 14, 2024", "/events/2023/05/14/meetup/",
"14th March 2024", "May 19-21, 2026"), and a past date means the event is over whatever the page's
`lastmod` says. Only dates that exist are returned (no 30 February), each with its precision: a
lone year covers the whole year and a month its whole month, so "Summit 2026" is not over until
the year is. A day and month without a year ("April 9") is left out: it cannot be placed.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote, urlsplit

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MON = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"((?:19|20)\d\d)"
_TO = r"(?: (?:to |and |until )?" + _DAY + ")?"
# on the raw text: numbers joined by one separator, year first
_ISO = re.compile(r"(?<![0-9])" + _YEAR + r"([-/.])(\d{1,2})\2(\d{1,2})(?![0-9])")
_YEAR_MONTH_PATH = re.compile(r"(?<![0-9])" + _YEAR + r"/(\d{1,2})(?=/|$)")
# on the text reduced to lower-case words and numbers separated by single spaces
_MONTH_DAY_YEAR = re.compile(rf"(?<!\S){_MON} {_DAY}{_TO} {_YEAR}(?!\S)")
_DAY_MONTH_YEAR = re.compile(rf"(?<!\S){_DAY}{_TO} (?:of )?{_MON} {_YEAR}(?!\S)")
_MONTH_YEAR = re.compile(rf"(?<!\S){_MON} (?:of )?{_YEAR}(?!\S)")
_LONE_YEAR = re.compile(rf"(?<!\S){_YEAR}(?!\S)")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
MAX_CHARS = 2_000  # a title or address longer than this is read up to here


@dataclass(frozen=True, slots=True)
class NamedDate:
    """A date as precise as the text gives it: `first` to `last` (one day, a month or a year)."""

    first: date
    last: date


def find_dates(text: str) -> tuple[NamedDate, ...]:
    """Every real date `text` names, in the order found; never raises."""
    raw = text[:MAX_CHARS].lower()
    found: list[tuple[int, NamedDate]] = []
    raw = _take(raw, _ISO, found, lambda m: _day(m[1], m[3], m[4], None))
    raw = _take(raw, _YEAR_MONTH_PATH, found, lambda m: _month(m[1], m[2]))
    words = _NOT_WORD.sub(" ", raw)
    words = _take(
        words, _MONTH_DAY_YEAR, found, lambda m: _day(m[4], str(_MONTHS[m[1]]), m[2], m[3])
    )
    words = _take(
        words, _DAY_MONTH_YEAR, found, lambda m: _day(m[4], str(_MONTHS[m[3]]), m[1], m[2])
    )
    words = _take(words, _MONTH_YEAR, found, lambda m: _month(m[2], str(_MONTHS[m[1]])))
    _take(words, _LONE_YEAR, found, lambda m: NamedDate(date(int(m[1]), 1, 1), _year_end(m[1])))
    return tuple(named for _, named in sorted(found, key=lambda item: item[0]))


def page_dates(url: str, title: str) -> tuple[NamedDate, ...]:
    """The dates a page's title and address path name (`/2023/05/14/`, `march-14-2024`)."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        path = ""
    return find_dates(title) + find_dates(path.replace("_", " "))


def _take(
    text: str,
    pattern: re.Pattern[str],
    found: list[tuple[int, NamedDate]],
    make: Callable[[re.Match[str]], NamedDate | None],
) -> str:
    """`text` with each match of `pattern` blanked out (so a date is read once, at its most
    precise), adding the real ones to `found` with their position."""
    out = text
    for match in pattern.finditer(text):
        named = make(match)
        if named is not None:
            found.append((match.start(), named))
        out = out[: match.start()] + " " * (match.end() - match.start()) + out[match.end() :]
    return out


def _day(year: str, month: str, day: str, until: str | None) -> NamedDate | None:
    try:
        first = date(int(year), int(month), int(day))
    except ValueError:
        return None
    last = first
    if until:
        try:
            last = max(first, date(first.year, first.month, int(until)))
        except ValueError:
            return None
    return NamedDate(first, last)


def _month(year: str, month: str) -> NamedDate | None:
    y, m = int(year), int(month)
    if not 1 <= m <= 12:
        return None
    return NamedDate(date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]))


def _year_end(year: str) -> date:
    return date(int(year), 12, 31)


def latest_precise(dates: tuple[NamedDate, ...]) -> NamedDate | None:
    """The latest of the most precise dates named: a day in the title beats the bare year in
    the address ("Fun Run, 14 May 2023" at /fun-run-2023 is 14 May, not 31 December)."""
    if not dates:
        return None
    finest = min((d.last - d.first).days for d in dates)
    return max((d for d in dates if (d.last - d.first).days == finest), key=lambda d: d.last)


def spoken(when: NamedDate) -> str:
    """A date in words as precise as it was given: "on 14 May 2023", "in May 2023", "in 2023"."""
    span = (when.last - when.first).days
    if span == 0:
        return f"on {when.first.day} {when.first:%B %Y}"
    if when.first.day == 1 and span < 31 and when.first.month == when.last.month:
        return f"in {when.first:%B %Y}"
    if when.first.month == 1 and when.first.day == 1 and when.last.month == 12 and span >= 364:
        return f"in {when.first.year}"
    return f"between {when.first.day} {when.first:%B %Y} and {when.last.day} {when.last:%B %Y}"
