"""Migration 14: a visit's rows are found by its number, not its UUID.

A visit's id is a UUID its device made up, so every index keyed by it takes each new visit
at a random place: a push of 100 visits dirtied a page of each such index per visit — the
stored version, each obstacle record, the thread's first event, each photo reference — and
the more visits the store holds, the fewer of those pages are shared or cached. Each visit
now also has a number, given in arrival order (``visits.no``), and those rows are indexed by
it: a new visit's entries go at the end of each index. ``visit_id`` stays in every row (for
anyone reading the tables); only the indexes change.
"""

import sqlite_utils

from sync.migrations import run_script

VERSION = 14
DESCRIPTION = "visits.no; visit versions, obstacle records, events and photo references indexed by it"


def apply(db: sqlite_utils.Database) -> None:
    run_script(db, """
    ALTER TABLE visits ADD COLUMN no INTEGER;
    UPDATE visits SET no = rowid;
    CREATE UNIQUE INDEX visits_no ON visits(no);

    ALTER TABLE visit_versions ADD COLUMN visit_no INTEGER;
    UPDATE visit_versions SET visit_no = (SELECT no FROM visits WHERE visits.id = visit_versions.visit_id);
    DROP INDEX visit_versions_key;
    CREATE UNIQUE INDEX visit_versions_key ON visit_versions(visit_no, version);

    ALTER TABLE visit_obstacles ADD COLUMN visit_no INTEGER;
    UPDATE visit_obstacles SET visit_no = (SELECT no FROM visits WHERE visits.id = visit_obstacles.visit_id);
    DROP INDEX visit_obstacles_visit;
    CREATE INDEX visit_obstacles_visit ON visit_obstacles(visit_no, version);

    ALTER TABLE visit_events ADD COLUMN visit_no INTEGER;
    UPDATE visit_events SET visit_no = (SELECT no FROM visits WHERE visits.id = visit_events.visit_id);
    DROP INDEX visit_events_visit;
    CREATE INDEX visit_events_visit ON visit_events(visit_no, id);

    -- The key's columns first, in the key's order: SQLite 3.40's integrity_check misreads a
    -- WITHOUT ROWID table whose other columns come between them (a NULL it does not hold).
    CREATE TABLE visit_attachments_new (
        visit_no INTEGER NOT NULL,
        version INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        visit_id TEXT NOT NULL REFERENCES visits(id),
        PRIMARY KEY (visit_no, version, sha256)) WITHOUT ROWID;
    INSERT INTO visit_attachments_new (visit_no, version, sha256, visit_id)
        SELECT (SELECT no FROM visits WHERE visits.id = va.visit_id), va.version, va.sha256, va.visit_id
        FROM visit_attachments va;
    DROP TABLE visit_attachments;
    ALTER TABLE visit_attachments_new RENAME TO visit_attachments;
    CREATE INDEX visit_attachments_sha ON visit_attachments(sha256);
    """)
