"""Migration 3: the review thread of a visit (comments and state changes)."""

import sqlite_utils

from sync.migrations import run_script

VERSION = 3
DESCRIPTION = "visit review events"


def apply(db: sqlite_utils.Database) -> None:
    run_script(db, """
    CREATE TABLE visit_events (
        id INTEGER PRIMARY KEY,
        visit_id TEXT NOT NULL REFERENCES visits(id),
        at TEXT NOT NULL,
        user_id INTEGER REFERENCES users(id),
        kind TEXT NOT NULL CHECK (kind IN ('state', 'comment')),
        action TEXT,
        from_state TEXT,
        to_state TEXT,
        version INTEGER NOT NULL,
        text TEXT);
    CREATE INDEX visit_events_visit ON visit_events(visit_id, id);

    -- Visits received before this migration start their thread with their arrival.
    INSERT INTO visit_events (visit_id, at, user_id, kind, action, to_state, version)
        SELECT id, received_at, engineer_id, 'state', 'submit', 'submitted', 1 FROM visits
    """)
