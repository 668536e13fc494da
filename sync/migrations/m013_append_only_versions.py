"""Migration 13: a visit's stored versions go where the table ends, not where its UUID sorts.

``visit_versions`` was a WITHOUT ROWID table keyed by (visit_id, version): every visit's
content — several kilobytes of answers — was inserted at a random place of the B-tree, so a
push of 100 visits split and rewrote pages all over the table (and its overflow chains).
As an ordinary rowid table, content is appended in arrival order, and only a small index
entry (visit_id, version) lands at a random place. Queries are unchanged.
"""

import sqlite_utils

from sync.migrations import run_script

VERSION = 13
DESCRIPTION = "visit_versions as an append-only rowid table with a unique (visit_id, version) index"


def apply(db: sqlite_utils.Database) -> None:
    run_script(db, """
    CREATE TABLE visit_versions_new (
        visit_id TEXT NOT NULL REFERENCES visits(id),
        version INTEGER NOT NULL,
        content TEXT NOT NULL,
        received_at TEXT NOT NULL,
        device_id TEXT NOT NULL REFERENCES devices(id),
        observed_at TEXT NOT NULL);
    INSERT INTO visit_versions_new (visit_id, version, content, received_at, device_id, observed_at)
        SELECT visit_id, version, content, received_at, device_id, observed_at FROM visit_versions
        ORDER BY received_at, visit_id, version;
    DROP TABLE visit_versions;
    ALTER TABLE visit_versions_new RENAME TO visit_versions;
    CREATE UNIQUE INDEX visit_versions_key ON visit_versions(visit_id, version);
    """)
