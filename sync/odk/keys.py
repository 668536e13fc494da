"""Collect keys: how a phone running ODK Collect or KoboCollect reaches fieldsync.

A key is a random secret in the server URL Collect is configured with
(``<base>/odk/key/<key>``), as ODK Central's app users have it: no password travels with
each request. It acts for one engineer, from its own device row (``collect-…``), so what it
sends is recorded and throttled like any device's pushes; revoking the key revokes the
device, which stops it at once. The store keeps only the key's SHA-256; the key is shown
once, as a URL and as the QR code Collect scans (its settings format: zlib-compressed JSON,
base64-encoded).
"""

import base64
import hashlib
import json
import secrets
import zlib

import segno

from sync import users
from sync.errors import Forbidden, Invalid, NotFound
from sync.store import Actor, Tx

KEY_PATH = "odk/key"


def _sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def may_issue_for(actor: Actor, engineer: dict) -> bool:
    """Admins, for any engineer; supervisors, for engineers all of whose provinces are theirs."""
    if engineer["role"] != "engineer" or not engineer["active"]:
        return False
    return actor.sees_all or (actor.role == "supervisor" and set(engineer["provinces"]) <= set(actor.provinces))


def issue(tx: Tx, user_id: int, label: str = "") -> tuple[dict, str]:
    """A new key for engineer ``user_id`` (issued by ``tx.actor``); returns (key row, key)."""
    engineer = users.get_user(tx.db, user_id)
    if engineer["role"] != "engineer":
        raise Invalid({"user_id": ["Collect keys are for engineers."]})
    if not may_issue_for(tx.actor, engineer):
        raise Forbidden("You may issue keys only for active engineers of your provinces.")
    label = (label or "").strip()[:120]
    key = secrets.token_urlsafe(32)
    device_id = f"collect-{secrets.token_hex(8)}"
    users.enrol_device(tx, engineer, device_id, label or "ODK Collect")
    cursor = tx.execute("INSERT INTO collect_keys (key_sha256, user_id, device_id, label, created_at, created_by)"
                        " VALUES (?, ?, ?, ?, ?, ?)", (_sha(key), user_id, device_id, label, tx.at, tx.actor.user_id))
    tx.audit("collect_key.issue", "user", user_id, key_id=cursor.lastrowid, device_id=device_id, label=label)
    return get(tx.db, cursor.lastrowid), key


def get(db, key_id: int) -> dict:
    rows = list(db.query("SELECT k.*, u.username, u.full_name FROM collect_keys k JOIN users u ON u.id = k.user_id"
                         " WHERE k.id = ?", [key_id]))
    if not rows:
        raise NotFound(f"No Collect key {key_id}.")
    return rows[0]


def revoke(tx: Tx, key_id: int) -> dict:
    key = get(tx.db, key_id)
    if not may_issue_for(tx.actor, users.get_user(tx.db, key["user_id"]) | {"active": True}):
        raise NotFound(f"No Collect key {key_id}.")
    if not key["revoked_at"]:
        tx.execute("UPDATE collect_keys SET revoked_at = ? WHERE id = ?", (tx.at, key_id))
        users.revoke_device(tx, key["device_id"])
        tx.audit("collect_key.revoke", "user", key["user_id"], key_id=key_id, device_id=key["device_id"])
    return get(tx.db, key_id)


def listed(db, actor: Actor) -> list[dict]:
    """Keys the actor may see and revoke, newest first."""
    rows = db.query("SELECT k.*, u.username, u.full_name FROM collect_keys k JOIN users u ON u.id = k.user_id"
                    " ORDER BY k.id DESC")
    return [r for r in rows if actor.sees_all or may_issue_for(actor, users.get_user(db, r["user_id"]) | {
        "active": True})]


def holder(db, key: str) -> tuple[dict, str] | None:
    """(the engineer, the key's device id) for a key in use; None when unknown, revoked, or
    its engineer deactivated or its device revoked."""
    if not isinstance(key, str) or not 20 <= len(key) <= 100:
        return None
    rows = db.execute("SELECT user_id, device_id FROM collect_keys WHERE key_sha256 = ? AND revoked_at IS NULL",
                      [_sha(key)]).fetchall()
    if not rows:
        return None
    user_id, device_id = rows[0]
    user = users.token_holder(db, user_id, device_id, users.token_version(db, user_id))
    return (user, device_id) if user else None


def server_url(base_url: str, key: str) -> str:
    return f"{base_url.rstrip('/')}/{KEY_PATH}/{key}"


def settings_payload(url: str, engineer: dict, project: str = "fieldsync") -> str:
    """What Collect's "Configure with QR code" reads: its settings as zlib-compressed JSON,
    base64-encoded. The forms follow the server exactly; finished forms go as soon as there
    is a network."""
    settings = {
        "general": {"server_url": url, "form_update_mode": "match_exactly", "autosend": "wifi_and_cellular",
                    "metadata_username": engineer.get("full_name") or engineer["username"],
                    "delete_send": False},
        "admin": {"change_server": False},
        "project": {"name": project, "icon": "ف", "color": "#1f6f5c"},
    }
    return base64.b64encode(zlib.compress(json.dumps(settings, ensure_ascii=False).encode())).decode()


def decode_payload(payload: str) -> dict:
    return json.loads(zlib.decompress(base64.b64decode(payload)))


def qr_svg(payload: str) -> str:
    """The QR code as inline SVG markup (no script, no outside request)."""
    return segno.make(payload, error="m").svg_inline(scale=4, border=2, dark="#111", light="#fff")


def qr_text(payload: str) -> str:
    """The QR code drawn with block characters, for a terminal."""
    import io

    out = io.StringIO()
    segno.make(payload, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()
