"""The history database's schema as numbered migrations: an old database upgrades itself, one
step at a time, recorded in `schema_migrations`.

One list serves both backends. It is written in SQLite's words; `statements` gives each step in
the dialect of the database it runs on, and every difference is spelled out here: PostgreSQL gets
BIGINT for INTEGER (ids and counts outgrow 32 bits), DOUBLE PRECISION for REAL (SQLite's REAL is
8 bytes, PostgreSQL's 4), BYTEA for BLOB, an identity column for SQLite's integer primary key,
and TEXT in the "C" collation, so text sorts by its bytes as SQLite's BINARY collation does
(`history` and `diff` list in the same order on both). `POSTGRES_EXTRA` holds what one step needs
only there.
"""

from __future__ import annotations

import re

SQLITE, POSTGRES = "sqlite", "postgresql"

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE audits (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        target TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed', 'interrupted')),
        settings TEXT NOT NULL,
        model_version TEXT NOT NULL,
        summary TEXT,
        error TEXT
    );
    CREATE INDEX audits_site ON audits (site, started_at);
    CREATE TABLE pages (
        audit_id INTEGER NOT NULL REFERENCES audits (id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        status INTEGER,
        error TEXT,
        title TEXT,
        word_count INTEGER,
        stage TEXT,
        confidence REAL,
        reasons TEXT,
        label_source TEXT,
        content_hash TEXT,
        topic TEXT,
        PRIMARY KEY (audit_id, url)
    );
    """,
    # 2: findings per audit (gaps and calendar as JSON), lookup by target, and the configured sites
    # (name -> target and the settings they are audited with) so `history NAME` finds them.
    """
    ALTER TABLE audits ADD COLUMN gaps TEXT;
    ALTER TABLE audits ADD COLUMN calendar TEXT;
    CREATE INDEX audits_target ON audits (target, started_at);
    CREATE INDEX audits_status ON audits (status, started_at);
    CREATE TABLE sites (
        name TEXT PRIMARY KEY,
        target TEXT NOT NULL,
        client_name TEXT NOT NULL DEFAULT '',
        settings TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX sites_target ON sites (target);
    """,
    # 3: what a resumed or conditional re-audit needs to reuse a page without fetching it.
    """
    ALTER TABLE pages ADD COLUMN depth INTEGER;
    ALTER TABLE pages ADD COLUMN content_type TEXT;
    ALTER TABLE pages ADD COLUMN links TEXT;
    ALTER TABLE pages ADD COLUMN etag TEXT;
    ALTER TABLE pages ADD COLUMN last_modified TEXT;
    ALTER TABLE pages ADD COLUMN lastmod TEXT;
    ALTER TABLE pages ADD COLUMN flags TEXT;
    ALTER TABLE pages ADD COLUMN topic_text TEXT;
    """,
    # 4: the internal links in each page's body (not its navigation): the funnel flow uses them.
    """
    ALTER TABLE pages ADD COLUMN body_links TEXT;
    """,
    # 5: the model's token counts per page, so a page a re-audit reuses (304) is judged with its
    # site again like every page read afresh.
    """
    ALTER TABLE pages ADD COLUMN evidence BLOB;
    """,
    # 6: the whole result (audit.json, gzip-compressed), so `export` writes the report and the
    # other files on any machine from the database alone.
    """
    CREATE TABLE audit_results (
        audit_id INTEGER PRIMARY KEY REFERENCES audits (id) ON DELETE CASCADE,
        saved_at TEXT NOT NULL,
        format TEXT NOT NULL,
        data BLOB NOT NULL
    );
    """,
    # 7: the jobs of the distributed mode (`run-due --broker`, workers, beat), one row per site
    # queued. The partial unique index is what makes queueing exactly-once: a second row for a
    # site that already has one queued or running cannot be written, whichever process tries.
    # `sends` counts the messages sent for the job and `attempt` the workers that took it up, so
    # a job left running by a dead worker is told apart without comparing machines' clocks;
    # `audit_floor` (the newest audit id when it was queued) tells its own audit from older ones.
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        target TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
        spec TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        sent_at TEXT,
        sends INTEGER NOT NULL DEFAULT 0,
        started_at TEXT,
        finished_at TEXT,
        attempt INTEGER NOT NULL DEFAULT 0,
        worker TEXT,
        audit_floor INTEGER NOT NULL DEFAULT 0,
        audit_id INTEGER,
        report TEXT,
        error TEXT
    );
    CREATE UNIQUE INDEX jobs_live ON jobs (site) WHERE state IN ('queued', 'running');
    CREATE INDEX jobs_state ON jobs (state, id);
    """,
    # 8: how many times a running job was taken over from a process that died. `attempt` also
    # counts a process taking its own job up again after the database came back, which is no
    # reason to give the job up.
    """
    ALTER TABLE jobs ADD COLUMN takeovers INTEGER NOT NULL DEFAULT 0;
    """,
    # 9: which process of which worker runs the job (`worker` names the worker alone): a claim
    # by another process, on the same worker or not, means the one before it died (a pool
    # process killed too counts), and only the same process taking its job up again after an
    # outage does not.
    """
    ALTER TABLE jobs ADD COLUMN process TEXT;
    """,
    # 10: how many messages had been sent for a job when it was last taken up. More sent since
    # means a message is on its way; as many means none is, and a job whose worker died must be
    # sent again (comparing `sends` with `attempt` missed a message sent before the claim).
    """
    ALTER TABLE jobs ADD COLUMN claimed_sends INTEGER NOT NULL DEFAULT 0;
    UPDATE jobs SET claimed_sends = sends WHERE state = 'running';
    """,
)

# SQLite keeps each row's insertion order in its rowid; pages are read back in that order (the
# order they were crawled), so PostgreSQL is given a column that keeps it, and an index to read
# one audit's pages in that order.
POSTGRES_EXTRA: dict[int, str] = {
    1: """
    ALTER TABLE pages ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY;
    CREATE INDEX pages_order ON pages (audit_id, seq);
    """,
}

_POSTGRES_WORDS = (
    (
        re.compile(r"\bid INTEGER PRIMARY KEY\b"),
        "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
)


def statements(number: int, dialect: str) -> list[str]:
    """Migration `number` (from 1) as the statements `dialect` runs, in order."""
    sql = MIGRATIONS[number - 1]
    if dialect == POSTGRES:
        for pattern, words in _POSTGRES_WORDS:
            sql = pattern.sub(words, sql)
        sql += POSTGRES_EXTRA.get(number, "")
    return [s.strip() for s in sql.split(";") if s.strip()]
