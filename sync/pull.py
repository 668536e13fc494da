"""Serving a device the changes in its scope after its cursor, page by page.

A device's scope is its user's provinces (every province for an admin), its user's own
visits, and the global reference data. Each page is read from one snapshot, lists the
latest state of each changed entity once, and ends with the cursor to send next.
"""

import base64
import binascii
import hashlib
import heapq
import json
from datetime import datetime, timedelta

from sync import checklists, obstacles, reference, units, visits
from sync.clock import iso
from sync.field_paths import INT64_MAX
from sync.store import GLOBAL_SCOPE, Actor, scope_of_province, scope_of_user, snapshot, store_id

CURSOR_VERSION = 1
MAX_CURSOR_TIME = 253402300799  # 9999-12-31T23:59:59Z, the last second a datetime holds


def scope_fingerprint(user: dict) -> str:
    text = f"{user['role']}|{','.join(map(str, sorted(user['provinces'])))}|{user['scope_version']}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(store: str, seq: int, fingerprint: str, now: datetime, user_id: int | None = None) -> str:
    payload = {"v": CURSOR_VERSION, "st": store, "s": seq, "f": fingerprint, "t": int(now.timestamp()),
               "u": user_id}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def decode_cursor(text: str) -> dict | None:
    """The cursor's fields, or None when the text is no cursor this server could have issued
    (garbage, another version, a field of the wrong type or range): the pull then resets."""
    try:
        padded = text + "=" * (-len(text) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")), parse_constant=float)
    except (ValueError, binascii.Error, UnicodeEncodeError, RecursionError):
        return None
    if not (isinstance(payload, dict) and payload.get("v") == CURSOR_VERSION
            and _whole(payload.get("s"), 0, INT64_MAX) and _whole(payload.get("t", 0), 0, MAX_CURSOR_TIME)
            and isinstance(payload.get("st"), str) and isinstance(payload.get("f"), str)
            and (payload.get("u") is None or _whole(payload["u"], 0, INT64_MAX))):
        return None
    return payload


def device_scopes(db, actor: Actor) -> list[str]:
    if actor.sees_all:
        provinces = [r[0] for r in db.execute("SELECT id FROM provinces ORDER BY id")]
    else:
        provinces = sorted(actor.provinces)
    return [GLOBAL_SCOPE, scope_of_user(actor.user_id)] + [scope_of_province(p) for p in provinces]


_PAGE_SQL = """
SELECT c.seq, c.entity, c.entity_id FROM change_log c
WHERE c.scope = :scope AND c.seq > :after
  AND NOT EXISTS (SELECT 1 FROM change_log n WHERE n.entity = c.entity AND n.entity_id = c.entity_id
                  AND n.scope = c.scope AND n.seq > c.seq)
ORDER BY c.seq LIMIT :limit
"""


def _changes(db, scopes: list[str], after: int, limit: int) -> list[tuple]:
    # One ordered index range per scope, merged: cheaper than one query over all scopes,
    # which would have to sort every matching row before applying the limit.
    per_scope = [db.execute(_PAGE_SQL, {"scope": s, "after": after, "limit": limit}).fetchall()
                 for s in scopes]
    return list(heapq.merge(*per_scope))[:limit]


def _rows_by_id(db, table: str, ids: list[str]) -> dict:
    found = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        found.update((r["id"], r) for r in db.query(f"SELECT * FROM {table} WHERE id IN ({marks})", chunk))
    return found


def _unit_entries(db, actor: Actor, ids: list[str]) -> list[dict]:
    rows = _rows_by_id(db, "units", ids)
    entries = []
    for unit_id in ids:
        row = rows[unit_id]
        if not actor.can_see_province(row["province_id"]):
            entries.append({"id": unit_id, "removed": True, "seq": row["seq"]})
        elif row["merged_into"]:
            entries.append({"id": unit_id, "merged_into": row["merged_into"], "seq": row["seq"]})
        else:
            entries.append(units.view(row))
    return entries


def _redirect_entries(db, actor, ids: list[str]) -> list[dict]:
    """``{"from", "to"}``; with ``"left_scope": true`` when the survivor lies in a province
    outside the device's scope (a merge across provinces): the device forgets the unit and
    will not receive ``to``."""
    marks = ",".join("?" * len(ids))
    entries = []
    for from_id, to_id, province in db.execute(
            f"SELECT r.from_id, r.to_id, w.province_id FROM redirects r LEFT JOIN units w ON w.id = r.to_id"
            f" WHERE r.from_id IN ({marks}) ORDER BY r.seq", ids):
        entry = {"from": from_id, "to": to_id}
        if to_id is not None and not actor.can_see_province(province):
            entry["left_scope"] = True
        entries.append(entry)
    return entries


def _visit_entries(db, _actor, ids: list[str]) -> list[dict]:
    return visits.outcomes(db, ids)


def _reference_entries(kind: str):
    def load(db, _actor, ids: list[str]) -> list[dict]:
        return list(reference.rows_by_id(db, kind, [int(i) for i in ids]).values())

    return load


# entity in the change log -> (key in the pull page, loader(db, actor, ids) -> entries).
# A new kind of synced entity registers itself here.
ENTITY_LOADERS = {
    "unit": ("units", _unit_entries),
    "visit": ("visits", _visit_entries),
    "redirect": ("redirects", _redirect_entries),
    "template": ("templates", checklists.template_entries),
    "taxonomy": ("taxonomy", checklists.taxonomy_entries),
    "obstacle": ("obstacles", obstacles.entries),
    **{entity: (kind, _reference_entries(kind)) for kind, entity in reference.ENTITY.items()},
}


def pull(db, actor: Actor, user: dict, cursor: str | None, limit: int, now: datetime,
         max_age_days: int) -> dict:
    """One page of changes for ``actor``'s device after ``cursor`` (None: from the start)."""
    with snapshot(db):
        store = store_id(db)
        fingerprint = scope_fingerprint(user)
        high = db.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
        page = {"reset": False, "reset_reason": None, "has_more": False, "server_time": iso(now),
                "scope": {"provinces": sorted(actor.provinces), "all_provinces": actor.sees_all},
                **{key: [] for key, _loader in ENTITY_LOADERS.values()}}
        after = 0
        if cursor:
            state = decode_cursor(cursor)
            reason = None
            if state is None:
                reason = "cursor_invalid"
            elif state.get("st") != store or state["s"] > high:
                reason = "store_replaced"
            elif state.get("f") != fingerprint or state.get("u", actor.user_id) != actor.user_id:
                # Another user's cursor, even with the same provinces, skipped the changes to
                # this user's own visits: only a fresh download is right. (Cursors issued
                # before they named their user carry no "u" and are taken as this user's.)
                reason = "scope_changed"
            elif now - datetime.fromtimestamp(state.get("t", 0), now.tzinfo) > timedelta(days=max_age_days):
                reason = "cursor_expired"
            if reason:
                page.update(reset=True, reset_reason=reason, has_more=True,
                            cursor=encode_cursor(store, 0, fingerprint, now, actor.user_id))
                return page
            after = state["s"]

        rows = _changes(db, device_scopes(db, actor), after, limit + 1)
        page["has_more"] = len(rows) > limit
        rows = rows[:limit]
        by_entity: dict[str, list] = {}
        seen = set()
        for _seq, entity, entity_id in rows:
            if (entity, entity_id) not in seen:
                seen.add((entity, entity_id))
                by_entity.setdefault(entity, []).append(entity_id)
        for entity, ids in by_entity.items():
            key, loader = ENTITY_LOADERS[entity]
            page[key] = loader(db, actor, ids)
        next_seq = rows[-1][0] if page["has_more"] else max(high, after)
        page["cursor"] = encode_cursor(store, next_seq, fingerprint, now, actor.user_id)
        return page
