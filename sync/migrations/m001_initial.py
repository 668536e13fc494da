"""Migration 1: the initial schema of the sync foundation."""

import secrets

import sqlite_utils

from sync.migrations import REVIEW_STATES, ROLES, UNIT_STATUSES, run_script

VERSION = 1
DESCRIPTION = "initial schema"


def apply(db: sqlite_utils.Database) -> None:
    statuses = ", ".join(f"'{s}'" for s in UNIT_STATUSES)
    roles = ", ".join(f"'{r}'" for r in ROLES)
    states = ", ".join(f"'{s}'" for s in REVIEW_STATES)
    run_script(db, f"""
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE provinces (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, name_en TEXT, name_key TEXT NOT NULL);
    CREATE TABLE cities (
        id INTEGER PRIMARY KEY,
        province_id INTEGER NOT NULL REFERENCES provinces(id),
        name TEXT NOT NULL, name_en TEXT, name_key TEXT NOT NULL);
    CREATE INDEX cities_province ON cities(province_id);
    CREATE TABLE parks (
        id INTEGER PRIMARY KEY,
        province_id INTEGER NOT NULL REFERENCES provinces(id),
        city_id INTEGER REFERENCES cities(id),
        name TEXT NOT NULL, name_en TEXT, kind TEXT NOT NULL CHECK (kind IN ('park', 'zone')),
        name_key TEXT NOT NULL);
    CREATE INDEX parks_province ON parks(province_id);

    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        full_name TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL CHECK (role IN ({roles})),
        password_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        scope_version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL);
    CREATE TABLE user_provinces (
        user_id INTEGER NOT NULL REFERENCES users(id),
        province_id INTEGER NOT NULL REFERENCES provinces(id),
        PRIMARY KEY (user_id, province_id)) WITHOUT ROWID;
    CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        label TEXT NOT NULL DEFAULT '',
        registered_at TEXT NOT NULL,
        last_seen_at TEXT,
        revoked_at TEXT,
        last_mutation_id INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX devices_user ON devices(user_id);

    CREATE TABLE units (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        national_id TEXT,
        national_id_key TEXT,
        national_id_valid INTEGER NOT NULL DEFAULT 0,
        license_no TEXT,
        province_id INTEGER NOT NULL REFERENCES provinces(id),
        city_id INTEGER REFERENCES cities(id),
        park_id INTEGER REFERENCES parks(id),
        address TEXT,
        phone TEXT,
        phone_key TEXT,
        lat REAL,
        lon REAL,
        owner TEXT,
        activity TEXT,
        status TEXT CHECK (status IN ({statuses})),
        employees INTEGER CHECK (employees >= 0),
        field_meta TEXT NOT NULL DEFAULT '{{}}',
        merged_into TEXT REFERENCES units(id),
        created_at TEXT NOT NULL,
        created_by INTEGER REFERENCES users(id),
        updated_at TEXT NOT NULL,
        seq INTEGER NOT NULL);
    CREATE INDEX units_province_seq ON units(province_id, seq);
    CREATE INDEX units_national_id ON units(national_id_key) WHERE national_id_valid = 1;
    CREATE INDEX units_merged_into ON units(merged_into) WHERE merged_into IS NOT NULL;

    CREATE TABLE visits (
        id TEXT PRIMARY KEY,
        unit_id TEXT NOT NULL REFERENCES units(id),
        original_unit_id TEXT NOT NULL REFERENCES units(id),
        engineer_id INTEGER NOT NULL REFERENCES users(id),
        device_id TEXT NOT NULL REFERENCES devices(id),
        province_id INTEGER NOT NULL REFERENCES provinces(id),
        template_code TEXT,
        template_version INTEGER,
        observed_at TEXT NOT NULL,
        observed_at_device TEXT NOT NULL,
        received_at TEXT NOT NULL,
        lat REAL,
        lon REAL,
        version INTEGER NOT NULL DEFAULT 1,
        review_state TEXT NOT NULL DEFAULT 'submitted' CHECK (review_state IN ({states})),
        review_comment TEXT,
        reviewed_by INTEGER REFERENCES users(id),
        reviewed_at TEXT,
        seq INTEGER NOT NULL);
    CREATE INDEX visits_unit ON visits(unit_id);
    CREATE INDEX visits_original_unit ON visits(original_unit_id);
    CREATE INDEX visits_engineer ON visits(engineer_id);
    CREATE INDEX visits_province_state ON visits(province_id, review_state);
    CREATE TABLE visit_versions (
        visit_id TEXT NOT NULL REFERENCES visits(id),
        version INTEGER NOT NULL,
        content TEXT NOT NULL,
        received_at TEXT NOT NULL,
        device_id TEXT NOT NULL REFERENCES devices(id),
        observed_at TEXT NOT NULL,
        PRIMARY KEY (visit_id, version)) WITHOUT ROWID;
    CREATE TABLE visit_obstacles (
        id INTEGER PRIMARY KEY,
        visit_id TEXT NOT NULL REFERENCES visits(id),
        version INTEGER NOT NULL,
        position INTEGER NOT NULL,
        unit_id TEXT NOT NULL REFERENCES units(id),
        area TEXT NOT NULL,
        group_code TEXT NOT NULL,
        severity TEXT,
        description TEXT NOT NULL,
        proposed_action TEXT,
        responsible_body TEXT);
    CREATE INDEX visit_obstacles_visit ON visit_obstacles(visit_id, version);
    CREATE INDEX visit_obstacles_unit ON visit_obstacles(unit_id);

    CREATE TABLE change_log (
        seq INTEGER PRIMARY KEY,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        at TEXT NOT NULL);
    CREATE INDEX change_log_scope_seq ON change_log(scope, seq);
    CREATE INDEX change_log_entity ON change_log(entity, entity_id, scope, seq);

    CREATE TABLE merges (
        id INTEGER PRIMARY KEY,
        loser_id TEXT NOT NULL REFERENCES units(id),
        winner_id TEXT NOT NULL REFERENCES units(id),
        reason TEXT NOT NULL,
        at TEXT NOT NULL,
        user_id INTEGER REFERENCES users(id),
        seq INTEGER NOT NULL,
        fields_taken TEXT NOT NULL,
        undone_at TEXT,
        undone_by INTEGER REFERENCES users(id));
    CREATE INDEX merges_loser ON merges(loser_id);
    CREATE TABLE redirects (
        from_id TEXT PRIMARY KEY REFERENCES units(id),
        to_id TEXT REFERENCES units(id),
        merge_id INTEGER NOT NULL REFERENCES merges(id),
        seq INTEGER NOT NULL);
    CREATE INDEX redirects_to ON redirects(to_id);

    CREATE TABLE conflicts (
        id INTEGER PRIMARY KEY,
        unit_id TEXT NOT NULL REFERENCES units(id),
        field TEXT NOT NULL,
        kept_value TEXT,
        other_value TEXT,
        kept_observed_at TEXT,
        other_observed_at TEXT,
        kept_device_id TEXT,
        other_device_id TEXT,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'flipped')),
        created_at TEXT NOT NULL,
        resolved_by INTEGER REFERENCES users(id),
        resolved_at TEXT);
    CREATE INDEX conflicts_unit ON conflicts(unit_id);
    CREATE INDEX conflicts_status ON conflicts(status);

    CREATE TABLE mutations (
        device_id TEXT NOT NULL REFERENCES devices(id),
        mutation_id INTEGER NOT NULL,
        type TEXT NOT NULL,
        body_hash TEXT NOT NULL,
        status TEXT NOT NULL,
        result TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (device_id, mutation_id)) WITHOUT ROWID;
    CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL REFERENCES devices(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        mutation_id INTEGER NOT NULL,
        type TEXT NOT NULL,
        mutation TEXT NOT NULL,
        error TEXT NOT NULL,
        received_at TEXT NOT NULL);
    CREATE INDEX dead_letters_received ON dead_letters(received_at);

    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        user_id INTEGER REFERENCES users(id),
        device_id TEXT,
        action TEXT NOT NULL,
        entity TEXT NOT NULL,
        entity_id TEXT,
        details TEXT NOT NULL DEFAULT '{{}}');
    CREATE INDEX audit_entity ON audit_log(entity, entity_id);

    CREATE TABLE login_failures (key TEXT NOT NULL, at TEXT NOT NULL);
    CREATE INDEX login_failures_key ON login_failures(key, at);
    """)
    db.execute("INSERT INTO meta (key, value) VALUES ('store_id', ?)", [secrets.token_hex(8)])
