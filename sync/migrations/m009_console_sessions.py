"""Migration 9: console sessions held by the server.

A signed cookie alone cannot be taken back: a copy made before logout, or before a
deactivation, kept working. The cookie now carries a random session key; the session
lives here and ends at once on logout, on expiry, and when the user's token version moves
(a password change or a deactivation, as for API tokens).
"""

import sqlite_utils

from sync.migrations import run_script

VERSION = 9
DESCRIPTION = "console_sessions: server-side console sessions"


def apply(db: sqlite_utils.Database) -> None:
    run_script(db, """
    CREATE TABLE console_sessions (
        id TEXT PRIMARY KEY,               -- SHA-256 of the key in the cookie (the key itself is never kept)
        user_id INTEGER NOT NULL REFERENCES users(id),
        token_version INTEGER NOT NULL,    -- the user's token version at login
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        ended_at TEXT) WITHOUT ROWID;
    CREATE INDEX console_sessions_user ON console_sessions(user_id);
    """)
