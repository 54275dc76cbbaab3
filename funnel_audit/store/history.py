"""The audit history: every audit and its pages in one SQLite file.

Numbered migrations are recorded in `schema_migrations`, so an old database upgrades itself.
WAL mode, a busy timeout and short transactions let several audits write at once. An audit row is
written as `running` before the first page and pages are committed in small batches, so an
interrupted run keeps what it fetched and is never shown as complete.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from funnel_audit.errors import StoreError
from funnel_audit.models import CalendarEntry, Gap, PageResult
from funnel_audit.store.faults import cannot_open
from funnel_audit.store.locks import is_locked, lock_dir_for, site_lock
from funnel_audit.store.records import AuditRecord, SiteRecord, StoredPage
from funnel_audit.store.rows import (
    AUDIT_COLUMNS,
    PAGE_COLUMNS,
    audit_record,
    page_flags,
    page_from_row,
    row_dict,
    stored_page,
)
from funnel_audit.store.schema import MIGRATIONS

BUSY_TIMEOUT_MS = 30_000


class HistoryStore:
    """Every audit and its pages in one SQLite file (WAL, safe for several processes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self._open(path)
                return
            except sqlite3.OperationalError as exc:
                # Switching a new file to WAL needs a moment alone and does not wait on the
                # busy handler, so two processes creating one database retry here.
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise StoreError(cannot_open(path, exc)) from exc
                self.conn.close()
                time.sleep(0.05)
            except (sqlite3.Error, OSError) as exc:
                raise StoreError(cannot_open(path, exc)) from exc

    def _open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self._migrate()

    def site_lock(self, name: str) -> contextlib.AbstractContextManager[bool]:
        """Hold the site's lock while auditing it; yields False at once if another run holds it."""
        return site_lock(lock_dir_for(self.path), name)

    def is_locked(self, name: str) -> bool:
        """True while some run holds the site's lock (for `schedule show`)."""
        return is_locked(lock_dir_for(self.path), name)

    def close(self) -> None:
        """Close the database connection."""
        self.conn.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self._tx() as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in c.execute("SELECT version FROM schema_migrations")}
            for number, sql in enumerate(MIGRATIONS, start=1):
                if number in done:
                    continue
                for statement in (s for s in sql.split(";") if s.strip()):
                    c.execute(statement)
                c.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?)",
                    (number, datetime.now().isoformat()),
                )

    def schema_version(self) -> int:
        """The newest migration applied to this database."""
        row = self.conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
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
        with self._tx() as c:
            cur = c.execute(
                "INSERT INTO audits (site, target, started_at, status, settings, model_version) "
                "VALUES (?, ?, ?, 'running', ?, ?)",
                (
                    site,
                    target,
                    started_at.isoformat(),
                    json.dumps(settings, default=str),
                    model_version,
                ),
            )
            return int(cur.lastrowid or 0)

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
        rows = [
            (
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
        ]
        if not rows:
            return
        with self._tx() as c:
            c.executemany(
                f"INSERT OR REPLACE INTO pages ({PAGE_COLUMNS}, evidence) "
                f"VALUES ({','.join('?' * 22)})",
                rows,
            )

    def page_evidence(self, audit_id: int) -> Iterator[tuple[str, bytes]]:
        """(url, the model's token counts) of each stored page that has them."""
        cur = self.conn.execute(
            "SELECT url, evidence FROM pages WHERE audit_id = ? AND "
            "evidence IS NOT NULL ORDER BY rowid",
            (audit_id,),
        )
        for url, data in cur:
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

        cur = self.conn.execute(
            f"SELECT {PAGE_COLUMNS} FROM pages WHERE audit_id = ? ORDER BY rowid", (audit_id,)
        )
        names = PAGE_COLUMNS.split(", ")
        for row in cur:
            yield page_from_row(dict(zip(names, row, strict=True)), share)

    def latest_unfinished(self, target: str) -> AuditRecord | None:
        """The newest audit of `target` that was interrupted, failed or left running."""
        found = [a for a in self.audits(target) if a.target == target and not a.complete]
        return found[-1] if found else None

    def reopen_audit(self, audit_id: int) -> None:
        """Mark an unfinished audit as running again (a resumed run)."""
        with self._tx() as c:
            c.execute(
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
        with self._tx() as c:
            c.executemany(
                "UPDATE pages SET stage = ?, confidence = ?, reasons = ?, flags = ? "
                "WHERE audit_id = ? AND url = ?",
                rows,
            )

    def set_model_version(self, audit_id: int, model_version: str) -> None:
        """Record the version of the model that read an audit's pages."""
        with self._tx() as c:
            c.execute("UPDATE audits SET model_version = ? WHERE id = ?", (model_version, audit_id))

    def set_topics(self, audit_id: int, topics: dict[str, str]) -> None:
        """Store each page's topic name once topics are found."""
        with self._tx() as c:
            c.executemany(
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
        with self._tx() as c:
            c.execute(
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
        with self._tx() as c:
            c.execute(
                "UPDATE audits SET gaps = ?, calendar = ? WHERE id = ?",
                (
                    json.dumps([asdict(g) for g in gaps], default=str),
                    json.dumps([asdict(e) for e in calendar], default=str),
                    audit_id,
                ),
            )

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
        with self._tx() as c:
            c.execute(
                "INSERT INTO sites (name, target, client_name, settings, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "target = excluded.target, client_name = excluded.client_name, "
                "settings = excluded.settings, updated_at = excluded.updated_at",
                (name, target, client_name, json.dumps(settings, default=str), stamp),
            )

    def sites(self) -> list[SiteRecord]:
        """The configured sites, by name."""
        cur = self.conn.execute(
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
        cur = self.conn.execute(sql + " ORDER BY started_at, id", args)
        return [audit_record(row_dict(cur, row, json_keys=("summary",))) for row in cur.fetchall()]

    def audit(self, audit_id: int) -> AuditRecord | None:
        """One audit with everything stored about it; `gaps`/`calendar` are None if unrecorded."""
        cur = self.conn.execute(
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
        rows = self.conn.execute(
            "SELECT COALESCE(stage, 'unreadable'), COUNT(*) FROM pages "
            "WHERE audit_id = ? GROUP BY 1",
            (audit_id,),
        ).fetchall()
        return {str(stage): int(n) for stage, n in rows}

    def pages(self, audit_id: int) -> list[StoredPage]:
        """An audit's stored pages as plain rows, by URL."""
        cur = self.conn.execute(
            "SELECT url, status, error, title, word_count, stage, confidence, "
            "reasons, label_source, content_hash, topic FROM pages "
            "WHERE audit_id = ? ORDER BY url",
            (audit_id,),
        )
        names = [d[0] for d in cur.description]
        return [stored_page(dict(zip(names, row, strict=True))) for row in cur.fetchall()]
