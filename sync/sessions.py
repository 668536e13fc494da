"""Console sessions, held by the server so that they can end at once.

The browser's cookie carries only a random key; the store keeps its SHA-256 with the user,
the user's token version at login and the expiry. A session is good while it has not been
ended (logout), has not expired, and its user is active under the same token version — so
a password change or a deactivation ends it for good, as it does API tokens
(:func:`sync.users.token_holder`).
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sync import users
from sync.clock import iso, parse_time
from sync.store import Tx


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(tx: Tx, user_id: int, hours: int) -> str:
    """Start a session for ``user_id``; returns the key for the cookie. The user's ended
    and expired sessions are cleared away on the way."""
    tx.execute("DELETE FROM console_sessions WHERE user_id = ? AND (ended_at IS NOT NULL OR expires_at <= ?)",
               (user_id, tx.at))
    token = secrets.token_urlsafe(32)
    tx.execute("INSERT INTO console_sessions (id, user_id, token_version, created_at, expires_at)"
               " VALUES (?, ?, ?, ?, ?)",
               (_key(token), user_id, users.token_version(tx.db, user_id), tx.at,
                iso(parse_time(tx.at) + timedelta(hours=hours))))
    return token


def holder(db, token, now: datetime) -> tuple[dict | None, str | None]:
    """``(user, None)`` for a good session; ``(None, "expired")`` or ``(None, "ended")``."""
    if not isinstance(token, str) or not token:
        return None, "ended"
    rows = list(db.query("SELECT * FROM console_sessions WHERE id = ?", [_key(token)]))
    if not rows or rows[0]["ended_at"]:
        return None, "ended"
    if rows[0]["expires_at"] <= iso(now):
        return None, "expired"
    user = users.token_holder(db, rows[0]["user_id"], None, rows[0]["token_version"])
    return (user, None) if user else (None, "ended")


def close_session(tx: Tx, token) -> None:
    if isinstance(token, str) and token:
        tx.execute("UPDATE console_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL", (tx.at, _key(token)))
