"""Migration 8: who holds each file — the users who sent its bytes.

Files are content-addressed and stored once; knowing a file's SHA-256 is no proof of
having it (a hash can be read off another visit, a log, a screen). A user may read a file
they uploaded, or one referred to by a visit they may see whose engineer uploaded it. A
second user who has the same bytes proves it by sending them, and is added here.
"""

import sqlite_utils

from sync.migrations import run_script

VERSION = 8
DESCRIPTION = "attachment_owners: the users who uploaded each file"


def apply(db: sqlite_utils.Database) -> None:
    run_script(db, """
    CREATE TABLE attachment_owners (
        sha256 TEXT NOT NULL REFERENCES attachments(sha256),
        user_id INTEGER NOT NULL REFERENCES users(id),
        device_id TEXT,
        at TEXT NOT NULL,
        PRIMARY KEY (sha256, user_id)) WITHOUT ROWID;
    INSERT INTO attachment_owners (sha256, user_id, device_id, at)
        SELECT sha256, uploaded_by, device_id, completed_at FROM attachments WHERE uploaded_by IS NOT NULL;
    """)
