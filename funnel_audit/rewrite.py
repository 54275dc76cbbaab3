"""Outputs written again for an audit already made, without crawling or classifying: from its
audit.json (`funnel-audit report`) or from the history's stored result (`funnel-audit export`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from funnel_audit.audit import AuditOptions, prepare_out_dir, write_all
from funnel_audit.models import AuditResult
from funnel_audit.options import AuditOutcome
from funnel_audit.report import workbook
from funnel_audit.report.html import Branding
from funnel_audit.report.templates_check import check_templates


def rerender_audit(
    audit_json: Path,
    out_dir: Path | None = None,
    *,
    branding: Branding | None = None,
    template_dir: Path | None = None,
    xlsx: bool = False,
) -> AuditOutcome:
    """Write every output again from a stored audit.json, without crawling or classifying.

    Lets an agency rebrand a report or pick up template fixes for an audit already delivered.
    `out_dir` defaults to the folder the audit.json is in; `xlsx` writes report.xlsx too.
    """
    from funnel_audit.report.stored_audit import read_audit_json

    check_rewrite(template_dir, xlsx)
    result = read_audit_json(audit_json)
    out = prepare_out_dir(out_dir if out_dir is not None else audit_json.parent)
    return rewrite_outputs(result, out, branding, template_dir, xlsx)


def check_rewrite(template_dir: Path | None, xlsx: bool) -> None:
    """Before any result is read: the user's templates load and the workbook can be written."""
    check_templates(template_dir)
    if xlsx:
        workbook.require_workbook_libraries()


def rewrite_outputs(
    result: AuditResult,
    out: Path,
    branding: Branding | None,
    template_dir: Path | None,
    xlsx: bool,
    previous: dict[str, Any] | None = None,
) -> AuditOutcome:
    """Every output of an audit already made, written again into `out` (re-render, export)."""
    opts = AuditOptions(
        target=result.target,
        out_dir=out,
        branding=branding or Branding(),
        template_dir=template_dir,
        xlsx=xlsx,
    )
    return AuditOutcome(result, out, write_all(result, out, opts, previous))
