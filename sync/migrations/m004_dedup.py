"""Migration 4: the blocking-key index of live units and the duplicates queue."""

import sqlite_utils

from sync.migrations import run_script

VERSION = 4
DESCRIPTION = "unit blocking keys, duplicate candidates"


def apply(db: sqlite_utils.Database) -> None:
    run_script(db, """
    CREATE TABLE unit_keys (
        key TEXT NOT NULL,
        unit_id TEXT NOT NULL REFERENCES units(id),
        PRIMARY KEY (key, unit_id)) WITHOUT ROWID;
    CREATE INDEX unit_keys_unit ON unit_keys(unit_id);
    -- The dedup engine's prepared match keys of each live unit, so comparing a candidate
    -- costs a JSON decode rather than normalising its record again.
    -- How many live units use each name word ("W:") and sit in each park or town ("Z:"):
    -- how likely two firms bear a name by chance (the engine's name commonness).
    CREATE TABLE name_counts (key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE unit_match (
        unit_id TEXT PRIMARY KEY REFERENCES units(id),
        province_id INTEGER NOT NULL,
        data TEXT NOT NULL);

    -- A pair of unit records that may be one unit. unit_a < unit_b, so a pair is stored once.
    CREATE TABLE dedup_candidates (
        id INTEGER PRIMARY KEY,
        unit_a TEXT NOT NULL REFERENCES units(id),
        unit_b TEXT NOT NULL REFERENCES units(id),
        score REAL NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('merge', 'review')),
        features TEXT NOT NULL,
        reasons TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'merged', 'distinct', 'dismissed')),
        source TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        decided_by INTEGER REFERENCES users(id),
        decided_at TEXT,
        merge_id INTEGER REFERENCES merges(id),
        UNIQUE (unit_a, unit_b),
        CHECK (unit_a < unit_b));
    CREATE INDEX dedup_candidates_status ON dedup_candidates(status, score);
    CREATE INDEX dedup_candidates_b ON dedup_candidates(unit_b)
    """)
    # Index the units that exist already.
    from sync import unit_index

    for row in db.query("SELECT * FROM units WHERE merged_into IS NULL"):
        unit_index.write_index(db.conn, row)
