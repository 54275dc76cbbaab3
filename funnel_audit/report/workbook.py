"""audit.xlsx: the audit's tables as the sheets of one Excel workbook (`--xlsx`, off by default).

pandas builds the sheets and writes them with openpyxl. It costs about 50 MB once loaded, so it
is imported inside `write_workbook` alone: never during a crawl, and never in an audit that did
not ask for the workbook. Every text cell came from somebody's website (titles, topics, reasons,
URLs), so it loses the control characters a workbook cannot hold and a leading formula character
is neutralised exactly as in pages.csv (`exports.safe_cell`): openpyxl would otherwise store
`=HYPERLINK(...)` as a live formula. The file is written beside its final name and moved into
place, so nobody ever opens half a workbook.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from funnel_audit.errors import InputError
from funnel_audit.models import AuditResult, PageResult, Stage
from funnel_audit.report.calendar_files import CALENDAR_COLUMNS
from funnel_audit.report.exports import PAGE_COLUMNS, safe_cell

if TYPE_CHECKING:
    import pandas as pd
    from openpyxl.worksheet.worksheet import Worksheet

WORKBOOK = "audit.xlsx"
SHEETS = ("pages", "stage mix", "topics", "gaps", "calendar")
MAX_CELL = 32_767  # the most characters Excel keeps in one cell
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XML 1.0 forbids
_PERCENT = ("share", "target")


XLSX_HINT = (
    "--xlsx needs pandas and openpyxl, which this install lacks: pip install 'funnel-audit[xlsx]'"
)


def require_workbook_libraries() -> None:
    """Fail before the crawl, with the install hint, when the workbook could not be written."""
    if any(importlib.util.find_spec(name) is None for name in ("pandas", "openpyxl")):
        raise InputError(XLSX_HINT)


def cell_text(value: object) -> str:
    """Text a workbook can hold and shows as it is: control characters dropped, cut to Excel's
    cell limit, a leading formula character neutralised as in the CSV files."""
    text = _ILLEGAL.sub("", "" if value is None else str(value))
    return safe_cell(text[: MAX_CELL - 1])


def _texts(values: Iterable[object]) -> list[str]:
    return [cell_text(v) for v in values]


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def _pages(pages: tuple[PageResult, ...]) -> dict[str, object]:
    """pages.csv's columns, with numbers kept as numbers so they sort and sum."""
    import pandas as pd

    return {
        "url": _texts(p.url for p in pages),
        "stage": [p.stage.value if p.stage else "" for p in pages],
        "confidence": [round(p.confidence, 3) for p in pages],
        "title": _texts(p.title for p in pages),
        "word_count": [p.word_count for p in pages],
        "status": pd.array([p.status for p in pages], dtype="Int64"),
        "error": _texts(p.error for p in pages),
        "label_source": _texts(p.label_source for p in pages),
        "needs_review": [_yes(p.needs_review) for p in pages],
        "reasons": _texts("; ".join(p.reasons) for p in pages),
        "topic": _texts(p.topic for p in pages),
        "depth": [p.depth for p in pages],
        "content_type": _texts(p.content_type for p in pages),
        "noindex": [_yes(p.noindex) for p in pages],
        "js_rendered": [_yes(p.js_rendered) for p in pages],
        "lastmod": _texts(p.lastmod for p in pages),
    }


def _topics(result: AuditResult) -> pd.DataFrame:
    """Funnel pages per topic and stage (a crosstab), every topic and funnel stage shown."""
    import pandas as pd

    funnel = [p for p in result.pages if p.topic and p.stage in Stage.funnel()]
    table = pd.crosstab(
        pd.Series(_texts(p.topic for p in funnel), name="topic", dtype=object),
        pd.Series([p.stage.value for p in funnel if p.stage], name="stage", dtype=object),
    )
    topics = list(dict.fromkeys([*_texts(result.topics), *table.index]))
    table = table.reindex(
        index=pd.Index(topics, name="topic", dtype=object),
        columns=[s.value for s in Stage.funnel()],
        fill_value=0,
    )
    table.columns.name = None
    table["total"] = table.sum(axis=1)
    return table


def frames(result: AuditResult) -> dict[str, tuple[pd.DataFrame, bool]]:
    """Each sheet's table, and whether its index (the topic names) is written as a column."""
    import pandas as pd

    mix = pd.DataFrame(
        {
            "stage": [s.stage.value for s in result.mix],
            "pages": [s.pages for s in result.mix],
            "share": [s.share for s in result.mix],
            "target": [s.target for s in result.mix],
            "thin": [_yes(s.thin) for s in result.mix],
        }
    )
    gaps = pd.DataFrame(
        {
            "severity": [g.severity for g in result.gaps],
            "stage": [g.stage.value if g.stage else "" for g in result.gaps],
            "topic": _texts(g.topic for g in result.gaps),
            "kind": [g.kind for g in result.gaps],
            "message": _texts(g.message for g in result.gaps),
            "evidence": _texts(" ".join(g.evidence_urls) for g in result.gaps),
        }
    )
    entries = result.calendar
    plan = (
        [e.stage.value for e in entries],
        [e.format for e in entries],
        [e.working_title for e in entries],
        [e.target_topic for e in entries],
        [", ".join(e.keywords) for e in entries],
        [e.cta for e in entries],
        [" ".join(e.link_from) for e in entries],
        [" ".join(e.link_to) for e in entries],
        [e.owner for e in entries],
        [e.kpi for e in entries],
        [e.gap for e in entries],
        [e.rationale for e in entries],
    )
    calendar = pd.DataFrame(
        {"Date": [e.date for e in entries]}
        | {name: _texts(column) for name, column in zip(CALENDAR_COLUMNS[4:], plan, strict=True)}
    )
    return {
        "pages": (pd.DataFrame(_pages(result.pages), columns=PAGE_COLUMNS), False),
        "stage mix": (mix, False),
        "topics": (_topics(result), True),
        "gaps": (gaps, False),
        "calendar": (calendar, False),
    }


def _tidy(sheet: Worksheet, frame: pd.DataFrame, index: bool) -> None:
    """Header row kept in view, shares as percentages, columns wide enough to read (dates get
    pandas' own YYYY-MM-DD)."""
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "B2" if index else "A2"
    names = ([str(frame.index.name or "")] if index else []) + [str(c) for c in frame.columns]
    for number, column in enumerate(sheet.iter_cols(max_col=len(names)), start=1):
        name = names[number - 1]
        if name in _PERCENT:
            for cell in column[1:]:
                cell.number_format = "0%"
        widest = max((len(str(c.value or "")) for c in column[:200]), default=0)
        width = min(max(widest, len(name)) + 2, 60)
        sheet.column_dimensions[get_column_letter(number)].width = width


def write_workbook(result: AuditResult, path: Path) -> None:
    """Write audit.xlsx whole or not at all: to a new file beside `path`, then moved over it."""
    import pandas as pd

    sheets = frames(result)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("xb") as handle:
            # not `with`: on the way out of an error the writer would still try to save
            writer = pd.ExcelWriter(handle, engine="openpyxl")
            for name, (frame, index) in sheets.items():
                frame.to_excel(writer, sheet_name=name, index=index)
                _tidy(writer.sheets[name], frame, index)
            writer.close()
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
