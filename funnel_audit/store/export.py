"""Write an audit's outputs again from the history alone: `funnel-audit export`.

The history keeps each complete audit's whole result (`AuditStore.save_result`), so any machine
that reaches the database writes the same report.html, CSV, ICS and JSON files the audit wrote,
with the report's "since the last audit" worked out from the audits before it, as it was then.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from funnel_audit.errors import LookupFailed
from funnel_audit.options import AuditOutcome
from funnel_audit.ports import AuditStore
from funnel_audit.report.html import Branding
from funnel_audit.store.records import AuditRecord


def pick_audit(audits: Sequence[AuditRecord], site: str, audit_id: int | None) -> AuditRecord:
    """The audit to export: `audit_id` among the site's audits, else its last complete one."""
    from funnel_audit.analyse.diff import one_site

    one_site(audits, site, "export an audit of one site")
    if audit_id is not None:
        found = [a for a in audits if a.id == audit_id]
        if not found:
            shown = ", ".join(str(a.id) for a in audits[-10:])
            raise LookupFailed(
                f"audit {audit_id} is not an audit of {site!r} (its audits: {shown})"
            )
        return found[0]
    complete = [a for a in audits if a.complete]
    if not complete:
        raise LookupFailed(f"{site!r} has no complete audit to export (see `funnel-audit history`)")
    return complete[-1]


def export_audit(
    store: AuditStore,
    record: AuditRecord,
    out_dir: Path | None,
    *,
    template_dir: Path | None = None,
    xlsx: bool = False,
    branding: Branding | None = None,
) -> AuditOutcome:
    """Write every output of `record` from its stored result, as the audit wrote them. An audit
    without a stored result (one from before results were kept, or one that did not complete) is
    a LookupFailed naming it."""
    from funnel_audit.analyse.since_last import since_last
    from funnel_audit.audit import default_out_dir, prepare_out_dir
    from funnel_audit.findings import is_folder_target
    from funnel_audit.rewrite import check_rewrite, rewrite_outputs

    check_rewrite(template_dir, xlsx)
    result = store.load_result(record.id)
    if result is None:
        raise LookupFailed(
            f"audit {record.id} of {record.site} ({record.status}, started "
            f"{record.started_at[:16].replace('T', ' ')}) has no stored result: only complete "
            "audits recorded by this version are kept whole (audit the site again)"
        )
    folder = Path(result.target) if is_folder_target(result.target) else None
    out = prepare_out_dir(
        out_dir or default_out_dir(result.target, folder, result.started_at.date())
    )
    previous = since_last(store, record.target, record.id, result, before=record)
    return rewrite_outputs(result, out, branding, template_dir, xlsx, previous)
