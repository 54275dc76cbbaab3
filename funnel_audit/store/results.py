"""An audit's whole result as the history keeps it: the audit.json document, gzip-compressed.

The same document `report` re-renders from, so `export` writes exactly what the audit wrote; a
site of a few hundred pages takes some tens of KB. Written a page at a time, as audit.json is.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib

from funnel_audit.errors import InputError
from funnel_audit.models import AuditResult
from funnel_audit.report.exports import AUDIT_FORMAT, audit_from_dict, dump_audit_json
from funnel_audit.report.stored_audit import check_result
from funnel_audit.store.rows import damaged

RESULT_FORMAT = f"{AUDIT_FORMAT}+gzip"


def encode_result(result: AuditResult) -> bytes:
    """The result as gzip-compressed audit.json bytes."""
    raw = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as packed,
        io.TextIOWrapper(packed, encoding="utf-8") as text,
    ):
        dump_audit_json(result, text)
    return raw.getvalue()


def decode_result(data: bytes, audit_id: int) -> AuditResult:
    """The result back from `encode_result`'s bytes; a damaged one is a one-line StoreError."""
    try:
        result = audit_from_dict(json.loads(gzip.decompress(data).decode("utf-8")))
        check_result(result)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError, InputError) as exc:
        raise damaged("audit_results", audit_id, exc) from None
    return result
