"""The jobs of the distributed mode, in SQL both backends run: a mixin of `SqlStore` (`sql.py`),
kept in a module of its own so each stays short.

Queueing is exactly-once because of the database, not because of a check before it: a job is
written with `INSERT ... ON CONFLICT DO NOTHING` against the partial unique index on the sites
that have a job queued or running (migration 7), so of two processes queueing one site at the
same moment, one writes the row and the other writes nothing. Every later step is a conditional
`UPDATE ... RETURNING`, so two workers (or two reapers) racing for one job cannot both win.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from funnel_audit.store.records import JobRecord
from funnel_audit.store.rows import Cursor, row_dict

JOB_COLUMNS = (
    "id, site, target, state, spec, queued_at, sent_at, sends, started_at, finished_at, "
    "attempt, worker, audit_floor, audit_id, report, error, takeovers, process, claimed_sends"
)
FINAL_STATES = ("done", "failed")


class JobQueries(ABC):
    """The job operations of the `AuditStore` port, over the subclass's connection."""

    @abstractmethod
    def _execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        """Run one statement (in the open transaction, if any) and return its cursor."""

    @abstractmethod
    def _tx(self) -> AbstractContextManager[None]:
        """A write transaction: committed on success, rolled back on any exception."""

    def _jobs(self, where: str, args: Sequence[Any]) -> list[JobRecord]:
        cur = self._execute(f"SELECT {JOB_COLUMNS} FROM jobs {where}", args)
        return [JobRecord(**row_dict(cur, row, json_keys=("spec",))) for row in cur.fetchall()]

    def queue_job(
        self, site: str, target: str, spec: dict[str, Any], now: datetime
    ) -> JobRecord | None:
        """Queue a job for `site`; None when it already has one queued or running (the
        database refuses a second live row, so this holds across processes and machines)."""
        with self._tx():
            row = self._execute(
                "INSERT INTO jobs (site, target, state, spec, queued_at, audit_floor) "
                "SELECT ?, ?, 'queued', ?, ?, COALESCE(MAX(id), 0) FROM audits WHERE 1 = 1 "
                "ON CONFLICT DO NOTHING RETURNING id",
                (site, target, json.dumps(spec, default=str), now.isoformat()),
            ).fetchone()
        return None if row is None else self.job(int(row[0]))

    def job(self, job_id: int) -> JobRecord | None:
        """One job, or None."""
        found = self._jobs("WHERE id = ?", (job_id,))
        return found[0] if found else None

    def live_job(self, site: str) -> JobRecord | None:
        """The site's job that is queued or running, if any."""
        found = self._jobs("WHERE site = ? AND state IN ('queued', 'running')", (site,))
        return found[0] if found else None

    def jobs(self, ids: Sequence[int] | None = None, *, live: bool = False) -> list[JobRecord]:
        """Jobs by id (oldest first): these ids, or every one; only queued or running ones
        with `live`."""
        conditions, args = [], list(ids or ())
        if ids is not None:
            if not ids:
                return []
            conditions.append(f"id IN ({','.join('?' * len(ids))})")
        if live:
            conditions.append("state IN ('queued', 'running')")
        where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
        return self._jobs(where + "ORDER BY id", args)

    def mark_sent(self, job_id: int, sends: int, attempt: int, now: datetime) -> bool:
        """Count one more message sent for a live job, if its row still reads `sends` and
        `attempt` (the counts the caller decided on): of two processes about to send again for
        the same job only one gets True (and sends), and a claim in between cancels the send."""
        with self._tx():
            row = self._execute(
                "UPDATE jobs SET sends = sends + 1, sent_at = ? WHERE id = ? AND sends = ? AND "
                "attempt = ? AND state IN ('queued', 'running') RETURNING id",
                (now.isoformat(), job_id, sends, attempt),
            ).fetchone()
        return row is not None

    def unmark_sent(self, job_id: int, sends: int) -> None:
        """Take back the send counted by `mark_sent(job_id, sends)`: its message never left (the
        broker could not be reached), so the job must still look unsent to the next reaper."""
        with self._tx():
            self._execute(
                "UPDATE jobs SET sends = sends - 1 WHERE id = ? AND sends = ?",
                (job_id, sends + 1),
            )

    def claim_job(
        self, job_id: int, worker: str, now: datetime, process: str | None = None
    ) -> JobRecord | None:
        """Process `process` of `worker` takes up a live job (a new one, one whose process
        died, or its own again after the database came back): running, one more attempt, and
        one more takeover when another process had it running. None when it has finished
        meanwhile."""
        process = process or worker
        with self._tx():
            row = self._execute(
                "UPDATE jobs SET takeovers = takeovers + CASE WHEN state = 'running' AND "
                "COALESCE(process, worker, '') <> ? THEN 1 ELSE 0 END, state = 'running', "
                "attempt = attempt + 1, claimed_sends = sends, started_at = ?, worker = ?, "
                "process = ? "
                "WHERE id = ? AND state IN ('queued', 'running') RETURNING id",
                (process, now.isoformat(), worker, process, job_id),
            ).fetchone()
        return None if row is None else self.job(job_id)

    def finish_job(
        self,
        job_id: int,
        state: str,
        now: datetime,
        *,
        audit_id: int | None = None,
        report: str | None = None,
        error: str | None = None,
    ) -> None:
        """Close a job as done or failed, with its audit, report folder or one-line error."""
        if state not in FINAL_STATES:
            raise ValueError(f"a job finishes done or failed, not {state!r}")
        with self._tx():
            self._execute(
                "UPDATE jobs SET state = ?, finished_at = ?, audit_id = ?, report = ?, error = ? "
                "WHERE id = ?",
                (state, now.isoformat(), audit_id, report, error, job_id),
            )
