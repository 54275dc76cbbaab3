"""Machine-readable outputs: pages.csv, labels-todo.csv and audit.json (the calendar files are in
`calendar_files.py`).

Everything in them came from somebody's website, so CSV cells that a spreadsheet would run as a
formula are neutralised (CSV files are UTF-8 with a byte-order mark, for Excel) and JSON is
written without NaN.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import types
import typing
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from funnel_audit import __version__
from funnel_audit.errors import InputError
from funnel_audit.models import AuditResult, PageResult

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# What `_plain` makes of a record: the values json.dumps writes.
JsonValue: TypeAlias = "None | bool | int | float | str | list[JsonValue] | dict[str, JsonValue]"
_Record = TypeVar("_Record", bound="DataclassInstance")

PAGE_COLUMNS = (
    "url",
    "stage",
    "confidence",
    "title",
    "word_count",
    "status",
    "error",
    "label_source",
    "needs_review",
    "reasons",
    "topic",
    "depth",
    "content_type",
    "noindex",
    "js_rendered",
    "lastmod",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
AUDIT_FORMAT = "funnel-audit/1"


def safe_cell(value: object) -> str:
    """Text a spreadsheet shows as-is: a leading formula character gets a quote in front."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A CSV file with every cell made safe to open in a spreadsheet, written as UTF-8 with a
    byte-order mark so Excel reads accented and non-Latin text correctly (read it back with
    `utf-8-sig`)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])


def write_pages_csv(result: AuditResult, path: Path) -> None:
    """pages.csv: one row per audited page, with its stage, confidence and reasons."""

    def row(p: PageResult) -> list[object]:
        return [
            p.url,
            p.stage.value if p.stage else "",
            f"{p.confidence:.3f}",
            p.title,
            p.word_count,
            p.status if p.status is not None else "",
            p.error or "",
            p.label_source,
            "yes" if p.needs_review else "",
            "; ".join(p.reasons),
            p.topic,
            p.depth,
            p.content_type,
            "yes" if p.noindex else "",
            "yes" if p.js_rendered else "",
            p.lastmod or "",
        ]

    write_csv(path, PAGE_COLUMNS, (row(p) for p in result.pages))


def write_labels_todo(
    result: AuditResult, path: Path, settled: Sequence[tuple[str, str]] = ()
) -> None:
    """The pages worth a consultant's check (`review.py`), to fill in and pass to `--labels`;
    `settled` rows (a todo file passed back from this folder) come first."""
    from funnel_audit.classify.review import TODO_COLUMNS, todo_rows

    write_csv(path, TODO_COLUMNS, todo_rows(result.pages, settled, result.brand))


def _plain_record(record: DataclassInstance) -> dict[str, JsonValue]:
    return {f.name: _plain(getattr(record, f.name)) for f in dataclasses.fields(record)}


def _plain(value: object) -> JsonValue:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain_record(value)
    if isinstance(value, Enum):
        member: JsonValue = value.value  # every enum in models.py has str values
        return member
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
    if value is None or isinstance(value, bool | int | float | str):
        return value
    # what json.dumps would refuse when the document is written, refused here with its words
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def audit_to_dict(result: AuditResult) -> dict[str, JsonValue]:
    """The audit as plain JSON-ready data: what audit.json holds, in one dict."""
    data = _plain_record(result)
    data["format"] = AUDIT_FORMAT
    data["tool_version"] = __version__
    return data


def write_audit_json(result: AuditResult, path: Path) -> None:
    """The same document as `audit_to_dict`, written a page at a time (see `dump_audit_json`)."""
    with path.open("w", encoding="utf-8") as handle:
        dump_audit_json(result, handle)


def dump_audit_json(result: AuditResult, handle: typing.TextIO) -> None:
    """Write the `audit_to_dict` document to `handle` a page at a time (one page per line), so a
    20,000-page audit is never held twice in memory as plain dicts (the history keeps it too)."""
    head = {
        f.name: _plain(getattr(result, f.name))
        for f in dataclasses.fields(result)
        if f.name != "pages"
    }
    head |= {"format": AUDIT_FORMAT, "tool_version": __version__}

    def encode(value: JsonValue) -> str:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)

    handle.write("{\n")
    for key, value in head.items():
        handle.write(f" {encode(key)}: {encode(value)},\n")
    handle.write(' "pages": [')
    for i, page in enumerate(result.pages):
        handle.write(("\n  " if i == 0 else ",\n  ") + encode(_plain(page)))
    handle.write("\n ]\n}\n")


class _Malformed(ValueError):
    """A value in audit.json that does not fit its field; `where` says which one."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where or 'top level'}: {problem}")


def _build(tp: object, value: object, where: str) -> object:
    """Turn one JSON value back into the type a record field declares (the inverse of _plain)."""
    origin = typing.get_origin(tp)
    if tp is Any or tp is object:
        return value
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        rest = [o for o in options if o is not type(None)]
        if len(rest) == 1:  # `X | None`: X's own message says more than "unexpected value"
            return _build(rest[0], value, where)
        for option in rest:
            try:
                return _build(option, value, where)
            except _Malformed:
                continue
        raise _Malformed(where, f"unexpected value {str(value)[:60]!r}")
    if origin is tuple:
        if not isinstance(value, list):
            raise _Malformed(where, "expected a list")
        item = typing.get_args(tp)[0]
        return tuple(_build(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise _Malformed(where, "expected an object")
        key_tp, val_tp = typing.get_args(tp)
        return {
            _build(key_tp, k, where): _build(val_tp, v, f"{where}.{k}") for k, v in value.items()
        }
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _record(tp, value, where)
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(value)
        except ValueError:
            raise _Malformed(where, f"unknown value {str(value)[:60]!r}") from None
    if tp is datetime or tp is date:
        try:
            if not isinstance(value, str):
                raise TypeError(value)
            return datetime.fromisoformat(value) if tp is datetime else date.fromisoformat(value)
        except (TypeError, ValueError):
            raise _Malformed(where, "expected an ISO 8601 date") from None
    if tp is bool:
        if not isinstance(value, bool):
            raise _Malformed(where, "expected true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Malformed(where, "expected a whole number")
        return value
    if tp is float:
        if value is None:  # _plain wrote a non-finite float as null
            return math.nan
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Malformed(where, "expected a number")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise _Malformed(where, "expected text")
        return value
    raise _Malformed(where, f"cannot read a {tp!r}")  # a new field type nobody taught us


def _record(cls: type[_Record], value: object, where: str) -> _Record:
    """Rebuild a dataclass; unknown keys are ignored and missing ones take the field default,
    so files written by a slightly older or newer version still load."""
    if not isinstance(value, dict):
        raise _Malformed(where, "expected an object")
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        name = f"{where}.{f.name}" if where else f.name
        if f.name in value:
            kwargs[f.name] = _build(hints[f.name], value[f.name], name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _Malformed(name, "missing")
    return cls(**kwargs)


def audit_from_dict(data: object) -> AuditResult:
    """The inverse of `audit_to_dict`, so a stored audit can be re-rendered without a crawl.

    Anything that does not fit raises InputError with one line naming the bad field."""
    if not isinstance(data, dict) or data.get("format") != AUDIT_FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise InputError(
            f"not a funnel-audit result: expected format {AUDIT_FORMAT!r}, "
            f"found {str(found)[:40]!r}"
        )
    try:
        return _record(AuditResult, data, "")
    except _Malformed as exc:
        raise InputError(" ".join(f"malformed audit.json: {exc}".split())[:300]) from None
