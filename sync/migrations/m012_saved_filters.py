"""Migration 12: filters a supervisor saves by name, to open a list again as it was."""

import sqlite_utils

from sync.migrations import run_script

VERSION = 12
DESCRIPTION = "saved_filters: named console filters per user"


def apply(db: sqlite_utils.Database) -> None:
    run_script(db, """
    CREATE TABLE saved_filters (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        page TEXT NOT NULL,                -- which list: queue, obstacles, units, conflicts, photos, map
        name TEXT NOT NULL,                -- as the supervisor typed it
        query TEXT NOT NULL,               -- the list's query string, as the page reads it
        created_at TEXT NOT NULL,
        UNIQUE (user_id, page, name));
    """)
