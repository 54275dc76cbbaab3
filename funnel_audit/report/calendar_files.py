"""The content calendar as files other tools import: calendar.csv (Google Calendar), tasks.csv
(Asana) and calendar.ics (any calendar app, written with the `icalendar` library).

Every event's UID names the planned piece by what it is (site, stage, format: "the 2nd decision
case study for this site"), never by its date, position or title, so re-importing the calendar of a
re-audit updates the events already imported instead of adding a second copy of each. The topic is
left out on purpose: topic names are found afresh by each audit's clustering, and one added page
can rename a topic ("bank" became "invoice volume" on the ledgerloop sample) or rotate formats over
topics, which changed half the UIDs; the event keeps its UID and its topic is updated instead.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar

from funnel_audit import __version__
from funnel_audit.models import AuditResult, CalendarEntry
from funnel_audit.report.exports import write_csv

CALENDAR_COLUMNS = (
    "Subject",
    "Start Date",
    "All Day Event",
    "Description",
    "Stage",
    "Format",
    "Working Title",
    "Target Topic",
    "Keywords",
    "CTA",
    "Link From",
    "Link To",
    "Owner",
    "KPI",
    "Gap",
    "Rationale",
)
# Asana's CSV import: these headers map to the task's name, assignee, due date, section, notes
TASK_COLUMNS = ("Name", "Assignee Email", "Due Date", "Section/Column", "Description")


def _description(e: CalendarEntry) -> str:
    lines = [
        f"Stage: {e.stage.value}",
        f"Format: {e.format}",
        f"Topic: {e.target_topic}",
        f"Keywords: {', '.join(e.keywords)}",
        f"CTA: {e.cta}",
        f"Link from: {' '.join(e.link_from) or '-'}",
        f"Link to: {' '.join(e.link_to) or '-'}",
        f"Owner: {e.owner}",
        f"KPI: {e.kpi}",
        f"Closes gap: {e.gap or '-'}",
        f"Why: {e.rationale}",
    ]
    return "\n".join(lines)


def write_calendar_csv(entries: Sequence[CalendarEntry], path: Path) -> None:
    """Columns named as Google Calendar's CSV import expects, plus planning columns after them."""
    write_csv(
        path,
        CALENDAR_COLUMNS,
        (
            [
                f"[{e.stage.value}] {e.working_title}",
                e.date.strftime("%m/%d/%Y"),
                "True",
                _description(e),
                e.stage.value,
                e.format,
                e.working_title,
                e.target_topic,
                ", ".join(e.keywords),
                e.cta,
                " ".join(e.link_from),
                " ".join(e.link_to),
                e.owner,
                e.kpi,
                e.gap,
                e.rationale,
            ]
            for e in entries
        ),
    )


def task_section(entry: CalendarEntry) -> str:
    """The Asana section of an entry: its stage, after its tactic when the plan gives one
    (`Foundational · decision`)."""
    tactic = str(getattr(entry, "tactic", "") or "").strip()
    stage = entry.stage.value
    return f"{tactic.capitalize()} · {stage}" if tactic else stage


def write_tasks_csv(entries: Sequence[CalendarEntry], path: Path) -> None:
    """tasks.csv: one Asana task per calendar entry, due on the entry's date (YYYY-MM-DD); the
    assignee stays empty until the entry names an owner's email."""
    write_csv(
        path,
        TASK_COLUMNS,
        (
            [
                e.working_title,
                str(getattr(e, "owner_email", "") or ""),
                e.date.isoformat(),
                task_section(e),
                _description(e),
            ]
            for e in entries
        ),
    )


def _text(value: str) -> str:
    """One iCalendar TEXT value: line breaks kept (the library writes them escaped), other control
    characters dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch >= " " or ch in "\t\n")


def entry_uids(entries: Sequence[CalendarEntry], *, site: str) -> list[str]:
    """A UID per entry that names what is planned: the site, the stage, the format, and which
    of the stage's entries of that format it is (1st, 2nd...). Dates, positions among other
    formats, titles and topics play no part (see the module docstring), so a planned piece keeps
    its UID when a re-audit moves it to another week or another topic."""
    seen: Counter[tuple[str, str]] = Counter()
    uids = []
    for e in entries:
        what = (e.stage.value, e.format.strip().lower())
        seen[what] += 1
        key = "\x1f".join((site.strip().lower(), *what, str(seen[what])))
        uids.append(hashlib.sha256(key.encode("utf-8")).hexdigest()[:24] + "@funnel-audit")
    return uids


def calendar_ics(
    entries: Sequence[CalendarEntry], *, site: str, stamp: datetime, site_key: str = ""
) -> str:
    """The content calendar as iCalendar text: one all-day event per entry, to import into any
    calendar. `site` names the calendar; the UIDs come from `site_key` (else `site`)."""
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//funnel-audit//funnel-audit {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _text("Content plan: " + site))
    stamp = stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    for e, uid in zip(entries, entry_uids(entries, site=site_key or site), strict=True):
        event = icalendar.Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", e.date)
        event.add("dtend", e.date + timedelta(days=1))
        event.add("summary", _text(f"[{e.stage.value}] {e.working_title}"))
        event.add("description", _text(_description(e)))
        event.add("categories", [_text(e.stage.value)])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data.decode("utf-8")


def write_calendar_ics(result: AuditResult, path: Path) -> None:
    """calendar.ics for an audit: named after the site as its pages call it, UIDs from its key."""
    text = calendar_ics(
        result.calendar,
        site=result.brand or result.site,
        stamp=result.finished_at,
        site_key=result.site,
    )
    path.write_bytes(text.encode("utf-8"))
