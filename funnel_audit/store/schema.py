"""The history database's schema as numbered migrations: an old database upgrades itself, one
step at a time, recorded in `schema_migrations`."""

from __future__ import annotations

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
)
