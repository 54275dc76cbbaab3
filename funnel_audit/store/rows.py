"""How the history database's rows read back: the column lists and rows as records."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from funnel_audit.errors import StoreError
from funnel_audit.models import PageResult, Stage
from funnel_audit.store.records import AuditRecord, StoredPage

PAGE_COLUMNS = (
    "audit_id, url, status, error, title, word_count, stage, confidence, reasons, "
    "label_source, content_hash, topic, depth, content_type, links, etag, "
    "last_modified, lastmod, flags, topic_text, body_links"
)
AUDIT_COLUMNS = "id, site, target, started_at, finished_at, status, model_version, summary, error"


_DAMAGE = (ValueError, TypeError, AttributeError, KeyError)


class Cursor(Protocol):
    """What the store reads from a query, as sqlite3's and psycopg's cursors both give it."""

    @property
    def description(self) -> Any:  # noqa: ANN401 - each driver has its own column records
        """The result's columns; each one's name comes first."""
        ...

    def fetchone(self) -> Any:  # noqa: ANN401 - a row, or None
        """The next row, or None."""
        ...

    def fetchall(self) -> list[Any]:
        """Every row left."""
        ...

    def __iter__(self) -> Iterator[Any]:
        """The rows left, one at a time."""
        ...


def damaged(table: str, row: object, exc: BaseException) -> StoreError:
    """One line for a row a damaged or hand-edited database cannot give back (exit 7)."""
    why = "".join(c if c.isprintable() else "?" for c in str(exc)[:120])
    return StoreError(
        f"the history database has a damaged {table} row ({str(row)[:120]}): {why} "
        "(restore the database from a backup, or use --db with another file)"
    )


def page_flags(page: PageResult) -> str:
    """A page's yes/no facts as the `flags` column holds them (JSON: new facts need no
    migration, and rows written before a fact existed read it as unknown)."""
    return json.dumps(
        {
            "needs_review": page.needs_review,
            "noindex": page.noindex,
            "js_rendered": page.js_rendered,
            "lead_form": page.lead_form,
        }
    )


def page_from_row(
    r: dict[str, Any], share: Callable[[list[str]], tuple[str, ...]]
) -> tuple[PageResult, str]:
    """A stored page as a PageResult with its topic text; `share` interns repeated strings."""
    try:
        return _page_from_row(r, share)
    except _DAMAGE as exc:
        raise damaged("pages", r.get("url"), exc) from None


def _page_from_row(
    r: dict[str, Any], share: Callable[[list[str]], tuple[str, ...]]
) -> tuple[PageResult, str]:
    flags = json.loads(r["flags"] or "{}")
    return (
        PageResult(
            url=r["url"],
            status=r["status"],
            error=r["error"],
            depth=r["depth"] or 0,
            content_type=r["content_type"] or "",
            title=r["title"] or "",
            word_count=r["word_count"] or 0,
            stage=Stage(r["stage"]) if r["stage"] else None,
            confidence=r["confidence"] or 0.0,
            reasons=share(json.loads(r["reasons"] or "[]")),
            needs_review=bool(flags.get("needs_review")),
            label_source=r["label_source"] or "",
            links=share(json.loads(r["links"] or "[]")),
            lastmod=r["lastmod"],
            noindex=bool(flags.get("noindex")),
            js_rendered=bool(flags.get("js_rendered")),
            lead_form=flags.get("lead_form") if isinstance(flags.get("lead_form"), bool) else None,
            content_hash=r["content_hash"] or "",
            etag=r["etag"],
            last_modified=r["last_modified"],
            body_links=None if r["body_links"] is None else share(json.loads(r["body_links"])),
        ),
        r["topic_text"] or "",
    )


def row_dict(cur: Cursor, row: Sequence[Any], json_keys: Sequence[str]) -> dict[str, Any]:
    """A result row as a dict, with the JSON columns decoded (NULL stays None)."""
    item = {d[0]: value for d, value in zip(cur.description, row, strict=True)}
    for key in json_keys:
        try:
            item[key] = json.loads(item[key]) if item[key] is not None else None
        except _DAMAGE as exc:
            which = item.get("id") or item.get("name") or "?"
            raise damaged("audits" if "id" in item else "sites", which, exc) from None
    return item


def audit_record(item: dict[str, Any]) -> AuditRecord:
    """An audits row (as `row_dict` decodes it) as a record."""
    for key, kind in (("summary", dict), ("settings", dict), ("gaps", list), ("calendar", list)):
        if item.get(key) is not None and not isinstance(item[key], kind):
            raise damaged(
                "audits", item.get("id"), TypeError(f"{key} is not a JSON {kind.__name__}")
            )
    return AuditRecord(
        id=int(item["id"]),
        site=str(item["site"]),
        target=str(item["target"]),
        started_at=str(item["started_at"]),
        finished_at=item["finished_at"],
        status=str(item["status"]),
        model_version=str(item["model_version"] or ""),
        summary=item.get("summary"),
        error=item.get("error"),
        settings=item.get("settings"),
        gaps=item.get("gaps"),
        calendar=item.get("calendar"),
    )


def stored_page(item: dict[str, Any]) -> StoredPage:
    """A pages row (the columns `AuditStore.pages` selects) as a record."""
    try:
        if item["stage"] is not None:
            Stage(item["stage"])
        return _stored_page(item)
    except _DAMAGE as exc:
        raise damaged("pages", item.get("url"), exc) from None


def _stored_page(item: dict[str, Any]) -> StoredPage:
    return StoredPage(
        url=str(item["url"]),
        status=item["status"],
        error=item["error"],
        title=item["title"] or "",
        word_count=int(item["word_count"] or 0),
        stage=item["stage"],
        confidence=float(item["confidence"] or 0.0),
        reasons=tuple(json.loads(item["reasons"] or "[]")),
        label_source=item["label_source"] or "",
        content_hash=item["content_hash"] or "",
        topic=item["topic"] or "",
    )
