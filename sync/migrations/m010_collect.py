"""Migration 10: ODK Collect as a field client.

* ``collect_keys`` — a Collect device's passwordless access: the SHA-256 of the key in its
  server URL (the key itself is shown once, never kept), the engineer it acts for, and the
  device row its mutations are recorded under;
* ``odk_submissions`` — each submission received, by instanceID, with its XML as received
  and what it became (exactly once: the same XML again is answered from here);
* ``attachments.content_sha256`` — the hash of a file's bytes: a Collect photo is kept under
  a name chosen before its bytes were known, so its name is not its hash.
"""

import sqlite_utils

from sync.migrations import run_script

VERSION = 10
DESCRIPTION = "collect_keys, odk_submissions, attachments.content_sha256"


def apply(db: sqlite_utils.Database) -> None:
    run_script(db, """
    CREATE TABLE collect_keys (
        id INTEGER PRIMARY KEY,
        key_sha256 TEXT NOT NULL UNIQUE,
        user_id INTEGER NOT NULL REFERENCES users(id),
        device_id TEXT NOT NULL REFERENCES devices(id),
        label TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        created_by INTEGER REFERENCES users(id),
        revoked_at TEXT);
    CREATE INDEX collect_keys_user ON collect_keys(user_id);
    CREATE TABLE odk_submissions (
        instance_id TEXT PRIMARY KEY,
        form_id TEXT NOT NULL,
        form_version TEXT NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id),
        device_id TEXT NOT NULL,
        xml TEXT NOT NULL,
        xml_sha256 TEXT NOT NULL,
        visit_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        result TEXT NOT NULL) WITHOUT ROWID;
    ALTER TABLE attachments ADD COLUMN content_sha256 TEXT;
    UPDATE attachments SET content_sha256 = sha256;
    """)
