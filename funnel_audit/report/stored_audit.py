"""Read a stored audit.json back, and check what it must hold beyond its shape before a report
is rendered from it.

`exports.audit_from_dict` checks types; `check_result` the values the report's arithmetic and
templates rely on (finite shares, a mix with stages, severities in range, a link flow the flow
diagram can read). Each failure is one InputError line naming the field (exit 6), never an
error halfway through rendering.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

from funnel_audit.errors import InputError
from funnel_audit.models import AuditResult
from funnel_audit.report.exports import audit_from_dict

SEVERITIES = (1, 2, 3)


def check_result(result: AuditResult) -> None:
    """Refuse an audit whose values the report cannot show."""
    if not result.mix:
        _bad("mix", "is empty (an audit has one entry per funnel stage)")
    for i, share in enumerate(result.mix):
        for name in ("share", "target", "weighted_share"):
            _fraction(f"mix[{i}].{name}", getattr(share, name))
        if not isinstance(share.pages, int) or share.pages < 0:
            _bad(f"mix[{i}].pages", "must be a whole number of pages")
    for i, gap in enumerate(result.gaps):
        if gap.severity not in SEVERITIES:
            _bad(f"gaps[{i}].severity", "must be 1, 2 or 3")
    flow = result.link_flow
    if flow:
        for key in ("onward_share", "stage_links"):
            if not isinstance(flow.get(key), Mapping):
                _bad(f"link_flow.{key}", "is missing or not an object")
        for stage, value in flow["onward_share"].items():
            _fraction(f"link_flow.onward_share.{stage}", value)
        for stage, row in flow["stage_links"].items():
            if not isinstance(row, Mapping) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in row.values()
            ):
                _bad(f"link_flow.stage_links.{stage}", "must map stages to link counts")


def _fraction(field: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= 1
    ):
        _bad(field, f"must be a number from 0 to 1, not {str(value)[:30]}")


def _bad(field: str, why: str) -> None:
    raise InputError(f"malformed audit.json: {field} {why}")


def read_audit_json(path: Path) -> AuditResult:
    """Load an audit.json written by `write_audit_json`; every failure is one InputError line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"audit file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read audit file {path}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except (ValueError, RecursionError) as exc:  # absurd numbers or nesting
        raise InputError(f"{path} is not a usable JSON file: {type(exc).__name__}") from None
    result = audit_from_dict(data)
    check_result(result)
    return result
