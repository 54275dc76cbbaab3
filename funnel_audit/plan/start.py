"""Dates a user gives (the calendar's `start`): parsed, and bounded before any work is done, so a
far-off date never overflows the calendar after a whole crawl."""

from __future__ import annotations

from datetime import date

from funnel_audit.errors import InputError

MAX_YEARS_AWAY = 5  # a calendar starting further from today than this is a typing mistake


def calendar_start(raw: object, where: str, today: date | None = None) -> date:
    """A start date from a flag, a variable or the config file, within MAX_YEARS_AWAY years of
    today. Raises InputError, one line naming `where`."""
    if isinstance(raw, date):
        value = raw
    else:
        try:
            value = date.fromisoformat(str(raw).strip())
        except ValueError:
            raise InputError(f"{where}: bad date {raw!r}: use YYYY-MM-DD") from None
    now = today or date.today()
    if abs((value - now).days) > 366 * MAX_YEARS_AWAY:
        raise InputError(
            f"{where}: date {value.isoformat()} is more than {MAX_YEARS_AWAY} years from today"
        )
    return value
