"""Migration 2: checklist templates, the obstacle taxonomy, obstacles with identity, photos."""

import sqlite_utils

from sync.migrations import run_script

VERSION = 2
DESCRIPTION = "templates, taxonomy, obstacles, unit observations, attachments"

TEMPLATE_STATUSES = ("draft", "published", "retired")


def apply(db: sqlite_utils.Database) -> None:
    statuses = ", ".join(f"'{s}'" for s in TEMPLATE_STATUSES)
    run_script(db, f"""
    CREATE TABLE templates (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        status TEXT NOT NULL CHECK (status IN ({statuses})),
        title TEXT NOT NULL,
        definition TEXT NOT NULL,
        created_by INTEGER REFERENCES users(id),
        created_at TEXT NOT NULL,
        published_at TEXT,
        retired_at TEXT,
        seq INTEGER,
        UNIQUE (code, version));

    CREATE TABLE taxonomies (
        version INTEGER PRIMARY KEY,
        document TEXT NOT NULL,
        loaded_by INTEGER REFERENCES users(id),
        loaded_at TEXT NOT NULL,
        seq INTEGER NOT NULL);

    -- The current state of each obstacle, rebuilt from the visit_obstacles rows that name it
    -- (sync/obstacles.py); visit_obstacles stays the record of what each visit said.
    CREATE TABLE obstacles (
        id TEXT PRIMARY KEY,
        unit_id TEXT NOT NULL REFERENCES units(id),
        area TEXT NOT NULL,
        group_code TEXT NOT NULL,
        severity TEXT,
        description TEXT NOT NULL,
        proposed_action TEXT,
        responsible_body TEXT,
        status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
        opened_visit_id TEXT NOT NULL REFERENCES visits(id),
        opened_at TEXT NOT NULL,
        last_visit_id TEXT NOT NULL REFERENCES visits(id),
        resolved_visit_id TEXT REFERENCES visits(id),
        resolved_at TEXT,
        updated_at TEXT NOT NULL,
        seq INTEGER NOT NULL);
    CREATE INDEX obstacles_unit ON obstacles(unit_id);
    CREATE INDEX obstacles_area_group ON obstacles(area, group_code, status);

    ALTER TABLE visit_obstacles ADD COLUMN obstacle_id TEXT;
    ALTER TABLE visit_obstacles ADD COLUMN resolved INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX visit_obstacles_obstacle ON visit_obstacles(obstacle_id);

    -- What the visit observed about the unit (template keys unit_status, employees_now,
    -- capacity_utilisation), copied out of the answers for the timeline and statistics.
    ALTER TABLE visits ADD COLUMN observed_status TEXT;
    ALTER TABLE visits ADD COLUMN observed_employees INTEGER;
    ALTER TABLE visits ADD COLUMN observed_capacity REAL;
    CREATE INDEX visits_unit_observed ON visits(unit_id, observed_at);

    -- Files the server holds complete and verified; uploads in progress live only on disk.
    CREATE TABLE attachments (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        media_type TEXT NOT NULL,
        completed_at TEXT NOT NULL,
        uploaded_by INTEGER REFERENCES users(id),
        device_id TEXT);
    CREATE TABLE visit_attachments (
        visit_id TEXT NOT NULL REFERENCES visits(id),
        version INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (visit_id, version, sha256)) WITHOUT ROWID;
    CREATE INDEX visit_attachments_sha ON visit_attachments(sha256);
    """)
