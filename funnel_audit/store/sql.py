"""Every `AuditStore` operation written once, in SQL both backends run: SQLite (`history.py`)
and PostgreSQL (`postgres.py`) differ only in how they connect, run a transaction, read pages
in order, lock a site and report a failure.

Statements use `?` placeholders; PostgreSQL's driver wants `%s` and gets them from its backend.
Pages are written by deleting then inserting, so a page written again moves to the end of the
audit's order on both, as SQLite's INSERT OR REPLACE did. Migrations (`schema.py`) run in one
transaction when a store opens, each once, recorded in `schema_migrations`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict
from datetime import datetime
from typing import Any

from funnel_audit.models import AuditResult, CalendarEntry, Gap, PageResult
from funnel_audit.store.jobs import JobQueries
from funnel_audit.store.records import AuditRecord, SiteRecord, StoredPage
from funnel_audit.store.results import RESULT_FORMAT, decode_result, encode_result
from funnel_audit.store.rows import (
    AUDIT_COLUMNS,
    PAGE_COLUMNS,
    Cursor,
    audit_record,
    damaged,
    page_flags,
    page_from_row,
    row_dict,
    stored_page,
)
from funnel_audit.store.schema import MIGRATIONS, statements

STORED_PAGE_COLUMNS = (
    "url, status, error, title, word_count, stage, confidence, reasons, label_source, "
    "content_hash, topic"
)


class SqlStore(JobQueries, ABC):
    """The history in a SQL database; a subclass supplies the connection and the locks."""

    dialect: str

    @abstractmethod
    def _execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        """Run one statement (in the open transaction, if any) and return its cursor."""

    @abstractmethod
    def _executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement once per row."""

    @abstractmethod
    def _tx(self) -> AbstractContextManager[None]:
        """A write transaction: committed on success, rolled back on any exception."""

    @abstractmethod
    def _in_order(self, columns: str, audit_id: int, only: str = "") -> Iterator[Sequence[Any]]:
        """An audit's pages (`columns`, filtered by the SQL condition `only`) in the order they
        were written, a few at a time."""

    @abstractmethod
    def _lock_migrations(self) -> None:
        """Keep other processes out while this one migrates."""

    @abstractmethod
    def site_lock(self, name: str) -> AbstractContextManager[bool]:
        """Hold the site's lock while auditing it; yields False at once if another run holds it."""

    @abstractmethod
    def is_locked(self, name: str) -> bool:
        """True while some run holds the site's lock (for `schedule show`)."""

    @abstractmethod
    def close(self) -> None:
        """Release the store's connections."""

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        with self._tx():
            self._lock_migrations()
            self._execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in self._execute("SELECT version FROM schema_migrations")}
            for number in range(1, len(MIGRATIONS) + 1):
                if number in done:
                    continue
                for statement in statements(number, self.dialect):
                    self._execute(statement)
                self._execute(
                    "INSERT INTO schema_migrations VALUES (?, ?)",
                    (number, datetime.now().isoformat()),
                )

    def schema_version(self) -> int:
        """The newest migration applied to this database."""
        row = self._execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def start_audit(
        self,
        site: str,
        target: str,
        started_at: datetime,
        settings: dict[str, Any],
        model_version: str,
    ) -> int:
        """Record a new running audit and return its id."""
        with self._tx():
            row = self._execute(
                "INSERT INTO audits (site, target, started_at, status, settings, model_version) "
                "VALUES (?, ?, ?, 'running', ?, ?) RETURNING id",
                (
                    site,
                    target,
                    started_at.isoformat(),
                    json.dumps(settings, default=str),
                    model_version,
                ),
            ).fetchone()
            return int(row[0])

    def add_pages(
        self,
        audit_id: int,
        pages: Iterable[PageResult],
        topic_texts: Mapping[str, str] | None = None,
        evidence: Callable[[str], bytes | None] | None = None,
    ) -> None:
        """Commit a batch of pages at once: a run killed later keeps every committed batch."""
        texts = topic_texts or {}
        counts = evidence or (lambda url: None)
        rows = {
            p.url: (
                audit_id,
                p.url,
                p.status,
                p.error,
                p.title,
                p.word_count,
                p.stage.value if p.stage else None,
                p.confidence,
                json.dumps(list(p.reasons)),
                p.label_source,
                p.content_hash,
                p.topic,
                p.depth,
                p.content_type,
                json.dumps(list(p.links)),
                p.etag,
                p.last_modified,
                p.lastmod,
                page_flags(p),
                texts.get(p.url),
                None if p.body_links is None else json.dumps(list(p.body_links)),
                counts(p.url),
            )
            for p in pages
        }
        if not rows:
            return
        with self._tx():
            self._executemany(
                "DELETE FROM pages WHERE audit_id = ? AND url = ?",
                [(audit_id, url) for url in rows],
            )
            self._executemany(
                f"INSERT INTO pages ({PAGE_COLUMNS}, evidence) VALUES ({','.join('?' * 22)})",
                list(rows.values()),
            )

    def page_evidence(self, audit_id: int) -> Iterator[tuple[str, bytes]]:
        """(url, the model's token counts) of each stored page that has them."""
        for url, data in self._in_order("url, evidence", audit_id, "AND evidence IS NOT NULL"):
            yield str(url), bytes(data)

    def page_results(self, audit_id: int) -> list[tuple[PageResult, str]]:
        """The stored pages as PageResults with their topic text, to reuse without fetching."""
        return list(self.iter_page_results(audit_id))

    def iter_page_results(self, audit_id: int) -> Iterator[tuple[PageResult, str]]:
        """`page_results` a row at a time. Link and reason strings repeat on every page (the
        nav, the footer): each is made once and shared, which on a 20,000-page site is the
        difference between ~80 MB of link strings and a few."""
        shared: dict[str, str] = {}

        def share(values: list[str]) -> tuple[str, ...]:
            return tuple(shared.setdefault(v, v) for v in values)

        names = PAGE_COLUMNS.split(", ")
        for row in self._in_order(PAGE_COLUMNS, audit_id):
            yield page_from_row(dict(zip(names, row, strict=True)), share)

    def latest_unfinished(self, target: str) -> AuditRecord | None:
        """The newest audit of `target` that was interrupted, failed or left running."""
        found = [a for a in self.audits(target) if a.target == target and not a.complete]
        return found[-1] if found else None

    def reopen_audit(self, audit_id: int) -> None:
        """Mark an unfinished audit as running again (a resumed run)."""
        with self._tx():
            self._execute(
                "UPDATE audits SET status = 'running', finished_at = NULL, error = NULL "
                "WHERE id = ?",
                (audit_id,),
            )

    def set_stages(self, audit_id: int, pages: Sequence[PageResult]) -> None:
        """Store the stages the site-level pass settled on (pages were committed with their
        page-by-page stage as they streamed in)."""
        rows = [
            (
                p.stage.value if p.stage else None,
                p.confidence,
                json.dumps(list(p.reasons)),
                page_flags(p),
                audit_id,
                p.url,
            )
            for p in pages
        ]
        if not rows:
            return
        with self._tx():
            self._executemany(
                "UPDATE pages SET stage = ?, confidence = ?, reasons = ?, flags = ? "
                "WHERE audit_id = ? AND url = ?",
                rows,
            )

    def set_model_version(self, audit_id: int, model_version: str) -> None:
        """Record the version of the model that read an audit's pages."""
        with self._tx():
            self._execute(
                "UPDATE audits SET model_version = ? WHERE id = ?", (model_version, audit_id)
            )

    def set_topics(self, audit_id: int, topics: dict[str, str]) -> None:
        """Store each page's topic name once topics are found."""
        if not topics:
            return
        with self._tx():
            self._executemany(
                "UPDATE pages SET topic = ? WHERE audit_id = ? AND url = ?",
                [(t, audit_id, u) for u, t in topics.items()],
            )

    def finish_audit(
        self,
        audit_id: int,
        finished_at: datetime,
        status: str,
        summary: dict[str, Any] | None = None,
        error: str | None = None,
        model_version: str | None = None,
    ) -> None:
        """Close an audit as complete, failed or interrupted, with its summary or error."""
        with self._tx():
            self._execute(
                "UPDATE audits SET finished_at = ?, status = ?, summary = ?, error = ?, "
                "model_version = COALESCE(?, model_version) WHERE id = ?",
                (
                    finished_at.isoformat(),
                    status,
                    json.dumps(summary, default=str) if summary is not None else None,
                    error,
                    model_version,
                    audit_id,
                ),
            )

    def record_findings(
        self, audit_id: int, gaps: Sequence[Gap], calendar: Sequence[CalendarEntry]
    ) -> None:
        """Keep the gaps and calendar with the audit, so a later diff can say what closed."""
        with self._tx():
            self._execute(
                "UPDATE audits SET gaps = ?, calendar = ? WHERE id = ?",
                (
                    json.dumps([asdict(g) for g in gaps], default=str),
                    json.dumps([asdict(e) for e in calendar], default=str),
                    audit_id,
                ),
            )

    def save_result(self, audit_id: int, result: AuditResult) -> None:
        """Keep the whole result (the audit.json document, compressed), so `export` can write
        every output again on any machine; saving again replaces it."""
        data = encode_result(result)
        with self._tx():
            self._execute(
                "INSERT INTO audit_results (audit_id, saved_at, format, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (audit_id) DO UPDATE SET saved_at = excluded.saved_at, "
                "format = excluded.format, data = excluded.data",
                (audit_id, datetime.now().isoformat(), RESULT_FORMAT, data),
            )

    def load_result(self, audit_id: int) -> AuditResult | None:
        """The result saved with an audit, or None (an audit from before results were kept, or
        one that never finished)."""
        row = self._execute(
            "SELECT format, data FROM audit_results WHERE audit_id = ?", (audit_id,)
        ).fetchone()
        if row is None:
            return None
        if row[0] != RESULT_FORMAT:
            raise damaged("audit_results", audit_id, ValueError(f"unknown format {row[0]!r}"))
        return decode_result(bytes(row[1]), audit_id)

    def upsert_site(
        self,
        name: str,
        target: str,
        settings: dict[str, Any],
        *,
        client_name: str = "",
        now: datetime | None = None,
    ) -> None:
        """Remember a configured site's name, so `history NAME` finds audits of its target."""
        stamp = (now or datetime.now()).isoformat()
        with self._tx():
            self._execute(
                "INSERT INTO sites (name, target, client_name, settings, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "target = excluded.target, client_name = excluded.client_name, "
                "settings = excluded.settings, updated_at = excluded.updated_at",
                (name, target, client_name, json.dumps(settings, default=str), stamp),
            )

    def sites(self) -> list[SiteRecord]:
        """The configured sites, by name."""
        cur = self._execute(
            "SELECT name, target, client_name, settings, updated_at FROM sites ORDER BY name"
        )
        return [SiteRecord(**row_dict(cur, row, json_keys=("settings",))) for row in cur.fetchall()]

    def audits(self, site: str | None = None) -> list[AuditRecord]:
        """Audits oldest first; `site` matches the site key, the target, a configured name, or
        the name part of folder sites' keys (`public` matches `public~3fa2c1d0`)."""
        sql = f"SELECT {AUDIT_COLUMNS} FROM audits"
        args: Sequence[Any] = ()
        if site:
            sql += (
                " WHERE site = ? OR target = ? OR substr(site, 1, length(?) + 1) = ? || '~'"
                " OR target IN (SELECT target FROM sites WHERE name = ?)"
            )
            args = (site, site, site, site, site)
        cur = self._execute(sql + " ORDER BY started_at, id", args)
        return [audit_record(row_dict(cur, row, json_keys=("summary",))) for row in cur.fetchall()]

    def audit(self, audit_id: int) -> AuditRecord | None:
        """One audit with everything stored about it; `gaps`/`calendar` are None if unrecorded."""
        cur = self._execute(
            f"SELECT {AUDIT_COLUMNS}, settings, gaps, calendar FROM audits WHERE id = ?",
            (audit_id,),
        )
        row = cur.fetchone()
        if row is None:
            return None
        return audit_record(
            row_dict(cur, row, json_keys=("summary", "settings", "gaps", "calendar"))
        )

    def complete_audits(self, site: str) -> list[AuditRecord]:
        """The complete audits of a site, oldest first."""
        return [a for a in self.audits(site) if a.complete]

    def last_complete(self, site: str) -> AuditRecord | None:
        """The newest complete audit of a site, or None."""
        done = self.complete_audits(site)
        return done[-1] if done else None

    def stage_counts(self, audit_id: int) -> dict[str, int]:
        """Pages per stage (unreadable pages under `unreadable`), for audits without a summary."""
        rows = self._execute(
            "SELECT COALESCE(stage, 'unreadable'), COUNT(*) FROM pages "
            "WHERE audit_id = ? GROUP BY 1",
            (audit_id,),
        ).fetchall()
        return {str(stage): int(n) for stage, n in rows}

    def pages(self, audit_id: int) -> list[StoredPage]:
        """An audit's stored pages as plain rows, by URL."""
        cur = self._execute(
            f"SELECT {STORED_PAGE_COLUMNS} FROM pages WHERE audit_id = ? ORDER BY url",
            (audit_id,),
        )
        names = STORED_PAGE_COLUMNS.split(", ")
        return [stored_page(dict(zip(names, row, strict=True))) for row in cur.fetchall()]
