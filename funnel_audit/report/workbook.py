"""report.xlsx: the audit as one Excel workbook (`--xlsx`, off by default), for consultants who
work in spreadsheets; what its sheets hold is `workbook_sheets.py`, this module writes them.

openpyxl writes in write-only mode, so rows stream to the file and a large site never holds a
whole sheet of cell objects in memory. It is imported inside `write_workbook` alone (about 17 MB
and 0.15 s; pandas, used before, cost 50 MB), never during a crawl and never in an audit that
did not ask for the workbook. Every text cell may have come from somebody's website (titles,
topics, reasons, URLs), so each loses the control characters a workbook cannot hold and a
leading formula character is neutralised exactly as in pages.csv (`exports.safe_cell`): openpyxl
would otherwise store `=HYPERLINK(...)` as a live formula. The file is written beside its final
name and moved into place, so nobody ever opens half a workbook; and a run that writes no
workbook removes the one an earlier run left in the folder (`drop_stale_workbooks`), so fresh
outputs never sit beside an old workbook.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import secrets
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from funnel_audit.errors import InputError
from funnel_audit.models import AuditResult
from funnel_audit.report.exports import safe_cell
from funnel_audit.report.workbook_sheets import Block, Value, sheets

if TYPE_CHECKING:
    # a write-only sheet has the Worksheet's column_dimensions, freeze_panes, auto_filter and
    # append (openpyxl copies them over; its stubs list fewer)
    from openpyxl.worksheet.worksheet import Worksheet

WORKBOOK = "report.xlsx"
LEGACY_WORKBOOK = "audit.xlsx"  # the name earlier versions wrote; never written now
MAX_CELL = 32_767  # the most characters Excel keeps in one cell
MAX_WIDTH = 60
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XML 1.0 forbids
_DATE = "yyyy-mm-dd"
_PERCENT = "0%"
XLSX_HINT = "--xlsx needs openpyxl, which this install lacks: pip install 'funnel-audit[xlsx]'"


def require_workbook_libraries() -> None:
    """Fail before the crawl, with the install hint, when the workbook could not be written."""
    if importlib.util.find_spec("openpyxl") is None:
        raise InputError(XLSX_HINT)


def cell_text(value: object) -> str:
    """Text a workbook can hold and shows as it is: control characters dropped, cut to Excel's
    cell limit, a leading formula character neutralised as in the CSV files."""
    text = _ILLEGAL.sub("", "" if value is None else str(value))
    return safe_cell(text[: MAX_CELL - 1])


def _shown(value: Value) -> str | float | datetime | None:
    """A cell's value as written: text made safe ("" left empty), a date as midnight (what Excel
    stores either way), numbers as they are."""
    if isinstance(value, str):
        return cell_text(value) or None
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time())
    return value


def _widths(blocks: Sequence[Block]) -> list[int]:
    """Each column wide enough for its header and the first 200 rows, up to MAX_WIDTH."""
    widths: list[int] = []
    for block in blocks:
        for row in [block.header, *block.rows[:200]]:
            for number, value in enumerate(row):
                text = _DATE if isinstance(value, date) else str(_shown(value) or "")
                if number == len(widths):
                    widths.append(0)
                widths[number] = max(widths[number], min(len(text) + 2, MAX_WIDTH))
    return widths


def _write_sheet(sheet: Worksheet, blocks: Sequence[Block]) -> None:
    """The blocks one under another with a blank row between, headers in bold; a sheet of one
    table keeps its header row in view, and the block marked `filtered` gets the filter buttons."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for number, width in enumerate(_widths(blocks), start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    if len(blocks) == 1:
        sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    top = 1
    for index, block in enumerate(blocks):
        if index:
            sheet.append([])
            top += 1
        header = [WriteOnlyCell(sheet, value=name) for name in block.header]
        for cell in header:
            cell.font = bold
        sheet.append(header)
        if block.filtered:
            last = get_column_letter(len(block.header))
            sheet.auto_filter.ref = f"A{top}:{last}{top + len(block.rows)}"
        for row in block.rows:
            cells = []
            for name, value in zip(block.header, row, strict=True):
                cell = WriteOnlyCell(sheet, value=_shown(value))
                if isinstance(value, date):
                    cell.number_format = _DATE
                elif name in block.percent and isinstance(value, int | float):
                    cell.number_format = _PERCENT
                cells.append(cell)
            sheet.append(cells)
        top += 1 + len(block.rows)


def write_workbook(result: AuditResult, path: Path) -> None:
    """Write report.xlsx whole or not at all: to a new file beside `path`, then moved over it."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, blocks in sheets(result).items():
        _write_sheet(book.create_sheet(name), blocks)
    # zipped in memory first (a few hundred KB for a large site): openpyxl leaves its zip and
    # sheet writers open when the disk fills mid-save, and they complain when collected
    packed = io.BytesIO()
    book.save(packed)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("xb") as handle:
            handle.write(packed.getbuffer())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def drop_stale_workbooks(out_dir: Path, written: bool) -> None:
    """Remove the workbooks in `out_dir` that this run did not write: report.xlsx when the run
    wrote none, and always audit.xlsx (the name earlier versions used). Only a file (or a link)
    with exactly one of those names goes; a folder of that name is left alone."""
    for name in (LEGACY_WORKBOOK,) if written else (LEGACY_WORKBOOK, WORKBOOK):
        path = out_dir / name
        if path.is_symlink() or path.is_file():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
