"""Visits: a site checklist filled on a device, immutable once received."""

import json

from sync import units
from sync.errors import Conflict, NotFound
from sync.store import Tx, scope_of_user

_OBSTACLE_COLUMNS = ("area", "group_code", "severity", "description", "proposed_action", "responsible_body")


def _content(visit: dict) -> str:
    """Canonical text of what the engineer recorded, to recognise a resend of the same visit."""
    return json.dumps(
        {k: visit.get(k) for k in ("answers", "obstacles", "template", "location", "attachments")},
        sort_keys=True, ensure_ascii=False, default=str)


def create(tx: Tx, visit: dict, observed_at: str, observed_at_device: str) -> dict:
    """Store a visit recorded on ``tx.actor``'s device; returns ``{"visit_id", "unit_id", ...}``.

    ``visit`` is a loaded CreateVisitSchema mutation.
    """
    existing = tx.one("SELECT id, unit_id, engineer_id FROM visits WHERE id = ?", (visit["visit_id"],))
    if existing:
        stored = tx.one("SELECT content FROM visit_versions WHERE visit_id = ? AND version = 1",
                        (visit["visit_id"],))
        if existing["engineer_id"] == tx.actor.user_id and stored["content"] == _content(visit):
            # The same visit sent again under another mutation id (a reinstalled app, say):
            # nothing new to store, and the device needs the same answer as the first time.
            return {"visit_id": existing["id"], "unit_id": existing["unit_id"], "redirected_from": None}
        raise Conflict("A visit with this id already exists; visits are immutable once received.",
                       {"fields": {"visit_id": ["Already used by another visit."]}})
    unit_id = units.resolve(tx.db, visit["unit_id"])
    unit = units.get_row(tx.db, unit_id)
    if unit is None:
        raise NotFound(f"No unit {visit['unit_id']}.", {"fields": {"unit_id": ["Unknown unit."]}})
    units.require_in_scope(tx, unit["province_id"])
    seq = tx.changed("visit", visit["visit_id"], [scope_of_user(tx.actor.user_id)])
    location = visit.get("location") or {}
    template = visit.get("template") or {}
    tx.execute(
        "INSERT INTO visits (id, unit_id, original_unit_id, engineer_id, device_id, province_id,"
        " template_code, template_version, observed_at, observed_at_device, received_at, lat, lon,"
        " version, review_state, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'submitted', ?)",
        (visit["visit_id"], unit_id, unit_id, tx.actor.user_id, tx.actor.device_id, unit["province_id"],
         template.get("code"), template.get("version"), observed_at, observed_at_device, tx.at,
         location.get("lat"), location.get("lon"), seq),
    )
    tx.execute(
        "INSERT INTO visit_versions (visit_id, version, content, received_at, device_id, observed_at)"
        " VALUES (?, 1, ?, ?, ?, ?)",
        (visit["visit_id"], _content(visit), tx.at, tx.actor.device_id, observed_at),
    )
    tx.db.conn.executemany(
        f"INSERT INTO visit_obstacles (visit_id, version, position, unit_id, {', '.join(_OBSTACLE_COLUMNS)})"
        " VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(visit["visit_id"], i, unit_id, o["area"], o["group"], o.get("severity"), o["description"],
          o.get("proposed_action"), o.get("responsible_body"))
         for i, o in enumerate(visit.get("obstacles") or [])],
    )
    tx.audit("visit.create", "visit", visit["visit_id"], unit_id=unit_id)
    return {"visit_id": visit["visit_id"], "unit_id": unit_id,
            "redirected_from": visit["unit_id"] if unit_id != visit["unit_id"] else None}


def outcome(row: dict) -> dict:
    """What the engineer's device learns about its visit through pull."""
    return {
        "id": row["id"],
        "unit_id": row["unit_id"],
        "version": row["version"],
        "review_state": row["review_state"],
        "review_comment": row["review_comment"],
        "reviewed_at": row["reviewed_at"],
        "seq": row["seq"],
    }


def detail(db, visit_id: str) -> dict:
    """A visit with its recorded content, for supervisors and the API."""
    rows = list(db.query("SELECT * FROM visits WHERE id = ?", [visit_id]))
    if not rows:
        raise NotFound(f"No visit {visit_id}.")
    row = rows[0]
    version = db.execute("SELECT content FROM visit_versions WHERE visit_id = ? AND version = ?",
                         [visit_id, row["version"]]).fetchone()
    content = json.loads(version[0])
    return {
        **outcome(row),
        "original_unit_id": row["original_unit_id"],
        "engineer_id": row["engineer_id"],
        "device_id": row["device_id"],
        "province_id": row["province_id"],
        "template": content.get("template"),
        "observed_at": row["observed_at"],
        "received_at": row["received_at"],
        "location": content.get("location"),
        "answers": content.get("answers"),
        "obstacles": content.get("obstacles"),
        "attachments": content.get("attachments"),
    }


def visible_to(actor, visit: dict) -> bool:
    """Engineers see their own visits; supervisors those of their provinces; admins all."""
    if actor.role == "engineer":
        return visit["engineer_id"] == actor.user_id
    return actor.can_see_province(visit["province_id"])


_SUMMARY = ("id, unit_id, version, review_state, review_comment, reviewed_at, seq, engineer_id,"
            " province_id, observed_at, received_at")


def search(db, actor, unit_id=None, review_state=None, province_id=None, limit=100, offset=0) -> dict:
    clauses, params = [], []
    if actor.role == "engineer":
        clauses.append("engineer_id = ?")
        params.append(actor.user_id)
    elif not actor.sees_all:
        provinces = sorted(actor.provinces)
        clauses.append(f"province_id IN ({','.join('?' * len(provinces))})")
        params.extend(provinces)
    for column, value in (("unit_id", unit_id), ("review_state", review_state), ("province_id", province_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = " AND ".join(clauses) or "1 = 1"
    total = db.execute(f"SELECT count(*) FROM visits WHERE {where}", params).fetchone()[0]
    rows = db.query(f"SELECT {_SUMMARY} FROM visits WHERE {where} ORDER BY received_at DESC, id"
                    " LIMIT ? OFFSET ?", [*params, limit, offset])
    return {"items": list(rows), "total": total}
