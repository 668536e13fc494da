"""Migration 5: a per-user token version, and dead letters found by device and mutation id."""

import sqlite_utils

from sync.migrations import run_script

VERSION = 5
DESCRIPTION = "users.token_version, dead letters by device"


def apply(db: sqlite_utils.Database) -> None:
    run_script(db, """
    -- Tokens carry the version they were issued under; a password change or a deactivation
    -- bumps it, so tokens issued before stop working even after the user is reactivated.
    ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 1;
    -- A resent mutation that reused an id is recognised by its dead letter.
    CREATE INDEX dead_letters_device ON dead_letters(device_id, mutation_id);
    """)
