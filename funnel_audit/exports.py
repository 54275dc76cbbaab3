"""Machine-readable outputs: pages.csv, calendar.csv, calendar.ics and audit.json.

Everything in them came from somebody's website, so CSV cells that a spreadsheet would run as a
formula are neutralised, JSON is written without NaN, and iCalendar text is escaped and folded per
RFC 5545 so a title with commas or line breaks still makes exactly one event.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from funnel_audit import __version__
from funnel_audit.models import AuditResult, CalendarEntry

PAGE_COLUMNS = ("url", "stage", "confidence", "title", "word_count", "status", "error",
                "label_source", "needs_review", "reasons", "topic", "depth", "content_type",
                "noindex", "js_rendered", "lastmod")
CALENDAR_COLUMNS = ("Subject", "Start Date", "All Day Event", "Description", "Stage", "Format",
                    "Working Title", "Target Topic", "Keywords", "CTA", "Link From", "Link To",
                    "Owner", "KPI", "Gap", "Rationale")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Text a spreadsheet shows as-is: a leading formula character gets a quote in front."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])


def write_pages_csv(result: AuditResult, path: Path) -> None:
    def row(p: Any) -> list[object]:
        return [p.url, p.stage.value if p.stage else "", f"{p.confidence:.3f}", p.title,
                p.word_count, p.status if p.status is not None else "", p.error or "",
                p.label_source, "yes" if p.needs_review else "", "; ".join(p.reasons), p.topic,
                p.depth, p.content_type, "yes" if p.noindex else "",
                "yes" if p.js_rendered else "", p.lastmod or ""]

    write_csv(path, PAGE_COLUMNS, (row(p) for p in result.pages))


def _description(e: CalendarEntry) -> str:
    lines = [f"Stage: {e.stage.value}", f"Format: {e.format}", f"Topic: {e.target_topic}",
             f"Keywords: {', '.join(e.keywords)}", f"CTA: {e.cta}",
             f"Link from: {' '.join(e.link_from) or '-'}", f"Link to: {' '.join(e.link_to) or '-'}",
             f"Owner: {e.owner}", f"KPI: {e.kpi}", f"Closes gap: {e.gap or '-'}",
             f"Why: {e.rationale}"]
    return "\n".join(lines)


def write_calendar_csv(entries: Sequence[CalendarEntry], path: Path) -> None:
    """Columns named as Google Calendar's CSV import expects, plus planning columns after them."""
    write_csv(path, CALENDAR_COLUMNS, (
        [f"[{e.stage.value}] {e.working_title}", e.date.strftime("%m/%d/%Y"), "True",
         _description(e), e.stage.value, e.format, e.working_title, e.target_topic,
         ", ".join(e.keywords), e.cta, " ".join(e.link_from), " ".join(e.link_to), e.owner,
         e.kpi, e.gap, e.rationale] for e in entries))


def _ics_escape(text: str) -> str:
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return "".join(ch for ch in text if ch >= " " or ch == "\t")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    out: list[str] = []
    current, size = "", 0
    limit = 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def calendar_ics(entries: Sequence[CalendarEntry], *, site: str, stamp: datetime) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0",
             f"PRODID:-//funnel-audit//funnel-audit {__version__}//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_ics_escape('Content plan: ' + site)}"]
    dtstamp = stamp.strftime("%Y%m%dT%H%M%SZ")
    for e in entries:
        uid = hashlib.sha256(f"{site}|{e.date}|{e.working_title}".encode()).hexdigest()[:24]
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}@funnel-audit",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART;VALUE=DATE:{e.date.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(e.date + timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{_ics_escape(f'[{e.stage.value}] {e.working_title}')}",
            f"DESCRIPTION:{_ics_escape(_description(e))}",
            f"CATEGORIES:{_ics_escape(e.stage.value)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def audit_to_dict(result: AuditResult) -> dict[str, Any]:
    data = _plain(result)
    data["format"] = "funnel-audit/1"
    data["tool_version"] = __version__
    return data


def write_audit_json(result: AuditResult, path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        json.dump(audit_to_dict(result), handle, ensure_ascii=False, indent=1, allow_nan=False)
