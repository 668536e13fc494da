"""Users, their provinces, devices, passwords and login throttling."""

from datetime import timedelta
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sync.clock import iso, parse_time
from sync.errors import Conflict, Forbidden, Invalid, NotFound, TooManyAttempts
from sync.field_paths import INT64_MAX
from sync.migrations import ROLES
from sync.store import Actor, Tx

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a miss costs as much as a hit
# and response time does not reveal which usernames exist. Made at the first miss, not
# at import: every command line run (dedup included) would pay a full hash for it.
_DUMMY_HASH = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("not a real password")
    return _DUMMY_HASH


def configure_hasher(time_cost: int, memory_kib: int) -> None:
    """Set the argon2id cost; hashes made with other parameters are upgraded at next login."""
    global _hasher, _DUMMY_HASH
    if (_hasher.time_cost, _hasher.memory_cost) != (time_cost, memory_kib):
        _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        _DUMMY_HASH = None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _user_field_errors(username=None, password=None, role=None) -> dict:
    errors = {}
    if username is not None and not (1 <= len(username.strip()) <= 64):
        errors["username"] = ["Between 1 and 64 characters."]
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"At least {MIN_PASSWORD_LENGTH} characters."]
    if role is not None and role not in ROLES:
        errors["role"] = [f"One of: {', '.join(ROLES)}."]
    return errors


def _check_provinces(tx: Tx, provinces) -> list[int]:
    # Checked before any query: an id past 64 bits cannot even be looked up.
    odd = [p for p in provinces if isinstance(p, bool) or not isinstance(p, int) or not 0 < p <= INT64_MAX]
    if odd:
        raise Invalid({"provinces": [f"Unknown province ids: {odd[:5]}."]})
    provinces = sorted(set(provinces))
    if provinces:
        marks = ",".join("?" * len(provinces))
        known = {r[0] for r in tx.execute(f"SELECT id FROM provinces WHERE id IN ({marks})", provinces)}
        unknown = [p for p in provinces if p not in known]
        if unknown:
            raise Invalid({"provinces": [f"Unknown province ids: {unknown}."]})
    return provinces


def create_user(tx: Tx, username: str, password: str, role: str, provinces=(), full_name="") -> dict:
    username = username.strip()
    errors = _user_field_errors(username, password, role)
    if role != "admin" and not provinces:
        errors["provinces"] = ["Engineers and supervisors need at least one province."]
    if errors:
        raise Invalid(errors)
    provinces = _check_provinces(tx, provinces)
    if tx.one("SELECT id FROM users WHERE username = ?", (username,)):
        raise Conflict(f"Username {username!r} is taken.")
    cursor = tx.execute(
        "INSERT INTO users (username, full_name, role, password_hash, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (username, full_name, role, hash_password(password), tx.at),
    )
    user_id = cursor.lastrowid
    tx.db.conn.executemany(
        "INSERT INTO user_provinces (user_id, province_id) VALUES (?, ?)",
        [(user_id, p) for p in provinces],
    )
    tx.audit("user.create", "user", user_id, username=username, role=role, provinces=provinces)
    return get_user(tx.db, user_id)


def update_user(tx: Tx, user_id: int, *, password=None, role=None, provinces=None,
                active=None, full_name=None) -> dict:
    user = get_user(tx.db, user_id)
    errors = _user_field_errors(password=password, role=role)
    if (role or user["role"]) != "admin" and not (user["provinces"] if provinces is None else provinces):
        errors["provinces"] = ["Engineers and supervisors need at least one province."]
    if errors:
        raise Invalid(errors)
    changes = {}
    if full_name is not None:
        tx.execute("UPDATE users SET full_name = ? WHERE id = ?", (full_name, user_id))
        changes["full_name"] = full_name
    if password is not None:
        # A new password ends every session of the old one: a leaked password or a lost phone
        # is why passwords get changed. Devices log in again; their outboxes are kept.
        tx.execute("UPDATE users SET password_hash = ?, token_version = token_version + 1 WHERE id = ?",
                   (hash_password(password), user_id))
        changes["password"] = "changed"
    if role is not None and role != user["role"]:
        tx.execute("UPDATE users SET role = ?, scope_version = scope_version + 1 WHERE id = ?",
                   (role, user_id))
        changes["role"] = role
    if provinces is not None:
        provinces = _check_provinces(tx, provinces)
        if provinces != user["provinces"]:
            tx.execute("DELETE FROM user_provinces WHERE user_id = ?", (user_id,))
            tx.db.conn.executemany(
                "INSERT INTO user_provinces (user_id, province_id) VALUES (?, ?)",
                [(user_id, p) for p in provinces],
            )
            # Devices compare this with their cursor and re-download their new scope.
            tx.execute("UPDATE users SET scope_version = scope_version + 1 WHERE id = ?", (user_id,))
            changes["provinces"] = provinces
    if active is not None and bool(active) != user["active"]:
        # Deactivating retires the user's tokens for good, so reactivating does not revive
        # them on devices nobody is watching any more.
        tx.execute("UPDATE users SET active = ?, token_version = token_version + (? = 0) WHERE id = ?",
                   (int(bool(active)), int(bool(active)), user_id))
        changes["active"] = bool(active)
    if changes:
        tx.audit("user.update", "user", user_id, **changes)
    return get_user(tx.db, user_id)


def _user_row(row: dict, provinces: list[int]) -> dict:
    return {
        "id": row["id"],
        "username": row["username"],
        "full_name": row["full_name"],
        "role": row["role"],
        "active": bool(row["active"]),
        "provinces": provinces,
        "scope_version": row["scope_version"],
        "created_at": row["created_at"],
    }


def _provinces_of(db, user_id: int) -> list[int]:
    return [r[0] for r in db.execute(
        "SELECT province_id FROM user_provinces WHERE user_id = ? ORDER BY province_id", [user_id])]


def get_user(db, user_id: int) -> dict:
    rows = list(db.query("SELECT * FROM users WHERE id = ?", [user_id]))
    if not rows:
        raise NotFound(f"No user {user_id}.")
    return _user_row(rows[0], _provinces_of(db, user_id))


def find_user(db, username: str) -> dict | None:
    rows = list(db.query("SELECT * FROM users WHERE username = ?", [username.strip()]))
    if not rows:
        return None
    return _user_row(rows[0], _provinces_of(db, rows[0]["id"])) | {
        "password_hash": rows[0]["password_hash"]}


def list_users(db) -> list[dict]:
    return [_user_row(r, _provinces_of(db, r["id"])) for r in db.query("SELECT * FROM users ORDER BY id")]


def actor_for(user: dict, device_id: str | None = None) -> Actor:
    return Actor(user_id=user["id"], device_id=device_id, role=user["role"],
                 provinces=frozenset(user["provinces"]))


# --- login throttling -------------------------------------------------------------------

class LoginLimits(NamedTuple):
    """Failed logins allowed within ``window_s`` seconds, counted three ways. A guesser
    mostly slows down themselves: the tight limit is per address *and* username, so wrong
    passwords sent from elsewhere do not lock the owner out; one address trying many
    accounts meets ``per_address``; many addresses after one account meet the gentler
    ``per_account``."""

    per_address_and_user: int
    per_address: int
    per_account: int
    window_s: int


def _throttle_keys(username: str, remote_addr: str | None) -> list[tuple[str, str]]:
    """(key, kind) of the counters an attempt adds to."""
    name, addr = username.strip().lower(), remote_addr or "-"
    return [(f"pair:{addr}|{name}", "per_address_and_user"), (f"user:{name}", "per_account"),
            (f"addr:{addr}", "per_address")]


def check_throttle(db, username: str, remote_addr, now, limits: LoginLimits) -> None:
    since = iso(now - timedelta(seconds=limits.window_s))
    for key, kind in _throttle_keys(username, remote_addr):
        rows = db.execute(
            "SELECT count(*), min(at) FROM login_failures WHERE key = ? AND at > ?", [key, since]
        ).fetchone()
        if rows[0] >= getattr(limits, kind):
            retry = int((parse_time(rows[1]) + timedelta(seconds=limits.window_s) - now).total_seconds()) + 1
            raise TooManyAttempts("Too many failed logins; wait and try again.", max(retry, 1))


def reserve_attempt(tx: Tx, username: str, remote_addr, limits: LoginLimits) -> list[int]:
    """Check the throttle and count this attempt as failed, in one write transaction.

    Write transactions are serialised, so of a burst of parallel guesses exactly the allowed
    number get through; checking in a read and recording only after the (slow) password check
    let every guess already in flight through. Returns the rows that :func:`release_attempt`
    deletes when the password turns out right.
    """
    check_throttle(tx.db, username, remote_addr, tx.now, limits)
    tx.execute("DELETE FROM login_failures WHERE at < ?", (iso(tx.now - timedelta(seconds=limits.window_s)),))
    return [tx.execute("INSERT INTO login_failures (key, at) VALUES (?, ?)", (key, tx.at)).lastrowid
            for key, _kind in _throttle_keys(username, remote_addr)]


def release_attempt(tx: Tx, rows: list[int]) -> None:
    """Take back an attempt counted by :func:`reserve_attempt`: the password was right."""
    tx.execute(f"DELETE FROM login_failures WHERE rowid IN ({','.join('?' * len(rows))})", rows)


def clear_login_failures(tx: Tx, username: str, remote_addr) -> None:
    """The owner got in from this address: forget their own slips here. Failures from other
    addresses stay counted (they may be someone else's guesses)."""
    tx.execute("DELETE FROM login_failures WHERE key = ?", (_throttle_keys(username, remote_addr)[0][0],))


def upgrade_hash(tx: Tx, user_id: int, password: str) -> None:
    """Re-hash a password stored with other argon2 parameters, now that we have it in clear."""
    stored = tx.one("SELECT password_hash FROM users WHERE id = ?", (user_id,))
    if stored and needs_rehash(stored["password_hash"]):
        tx.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hash_password(password), user_id))


def authenticate(db, username: str, password: str) -> dict | None:
    """The active user with this username and password, or None. Same cost either way.
    """
    user = find_user(db, username)
    if user is None:
        check_password(_dummy_hash(), password)
        return None
    if not check_password(user.pop("password_hash"), password) or not user["active"]:
        return None
    return user


# --- devices ----------------------------------------------------------------------------

def get_device(db, device_id: str) -> dict | None:
    rows = list(db.query("SELECT * FROM devices WHERE id = ?", [device_id]))
    return rows[0] if rows else None


def enrol_device(tx: Tx, user: dict, device_id: str, label: str = "") -> dict:
    """Register ``device_id`` to ``user`` on its first login; refuse a revoked or foreign device."""
    if not device_id or len(device_id) > 64:
        raise Invalid({"device_id": ["A device id of 1 to 64 characters is required."]})
    device = get_device(tx.db, device_id)
    if device is None:
        tx.execute(
            "INSERT INTO devices (id, user_id, label, registered_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
            (device_id, user["id"], label or "", tx.at, tx.at),
        )
        tx.audit("device.register", "device", device_id, user_id=user["id"], label=label)
        return get_device(tx.db, device_id)
    if device["user_id"] != user["id"]:
        raise Forbidden("This device is registered to another user.")
    if device["revoked_at"]:
        raise Forbidden("This device has been revoked.")
    tx.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", (tx.at, device_id))
    return get_device(tx.db, device_id)


def revoke_device(tx: Tx, device_id: str) -> dict:
    device = get_device(tx.db, device_id)
    if device is None:
        raise NotFound(f"No device {device_id!r}.")
    if not device["revoked_at"]:
        tx.execute("UPDATE devices SET revoked_at = ? WHERE id = ?", (tx.at, device_id))
        tx.audit("device.revoke", "device", device_id, user_id=device["user_id"])
    return get_device(tx.db, device_id)


def list_devices(db, user_id: int | None = None) -> list[dict]:
    if user_id is None:
        return list(db.query("SELECT * FROM devices ORDER BY registered_at"))
    return list(db.query("SELECT * FROM devices WHERE user_id = ? ORDER BY registered_at", [user_id]))


def token_version(db, user_id: int) -> int:
    """The version new tokens of this user are issued under (see :func:`token_holder`)."""
    return db.execute("SELECT token_version FROM users WHERE id = ?", [user_id]).fetchone()[0]


def token_holder(db, user_id: int, device_id: str | None, version: int = 1) -> dict | None:
    """The user behind a token, if the user is active, the device not revoked and the token
    issued under the user's current token version (no password change or deactivation
    since); else None.

    Checked on every request, so revoking a device or deactivating a user stops its
    tokens at once rather than when they expire.
    """
    rows = list(db.query("SELECT * FROM users WHERE id = ? AND active = 1", [user_id]))
    if not rows or rows[0]["token_version"] != version:
        return None
    if device_id is not None:
        device = get_device(db, device_id)
        if device is None or device["revoked_at"] or device["user_id"] != user_id:
            return None
    return _user_row(rows[0], _provinces_of(db, user_id))
