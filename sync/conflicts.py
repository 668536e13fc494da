"""Same-field collisions between devices, kept for a supervisor to confirm or flip."""

import json

from sync import units
from sync.errors import Conflict, NotFound
from sync.store import Actor, Tx


def _view(row: dict) -> dict:
    return {**row, "kept_value": json.loads(row["kept_value"]), "other_value": json.loads(row["other_value"])}


def _scope_sql(actor: Actor) -> tuple[str, list]:
    """A conflict is in the scope of the unit it now belongs to: the survivor when its unit
    was merged (redirects are flattened, so one join finds it), else its own unit."""
    if actor.sees_all:
        return "1 = 1", []
    provinces = sorted(actor.provinces)
    return f"coalesce(w.province_id, u.province_id) IN ({','.join('?' * len(provinces))})", provinces


_FROM = ("FROM conflicts c JOIN units u ON u.id = c.unit_id"
         " LEFT JOIN redirects r ON r.from_id = c.unit_id LEFT JOIN units w ON w.id = r.to_id")


def list_conflicts(db, actor: Actor, status=None, unit_id=None, limit=100, offset=0) -> dict:
    where, params = _scope_sql(actor)
    if status:
        where += " AND c.status = ?"
        params.append(status)
    if unit_id:
        where += " AND c.unit_id = ?"
        params.append(unit_id)
    base = f"{_FROM} WHERE {where}"
    total = db.execute(f"SELECT count(*) {base}", params).fetchone()[0]
    rows = db.query(f"SELECT c.* {base} ORDER BY c.id LIMIT ? OFFSET ?", [*params, limit, offset])
    return {"items": [_view(r) for r in rows], "total": total}


def resolve(tx: Tx, conflict_id: int, decision: str) -> dict:
    """``confirm`` keeps the value that won; ``flip`` writes the other one instead."""
    row = tx.one("SELECT * FROM conflicts WHERE id = ?", (conflict_id,))
    if row is None:
        raise NotFound(f"No conflict {conflict_id}.")
    # Judged, and flipped, on the unit the conflict's unit now is (the survivor of a merge).
    target = units.get_row(tx.db, units.resolve(tx.db, row["unit_id"]))
    units.require_in_scope(tx, target["province_id"])
    if row["status"] != "open":
        raise Conflict(f"Conflict {conflict_id} was already {row['status']}.")
    if decision == "flip":
        current = units.field_value(target, row["field"])
        if current != json.loads(row["kept_value"]):
            # A later edit (or a merge) replaced the value that won: flipping now would throw
            # that newer observation away. The supervisor can still confirm to close it.
            raise Conflict(f"The {row['field']} of this unit has changed since the conflict; flipping would "
                           "overwrite the newer value.", {"current": current})
        units.set_fields(tx, target, {row["field"]: json.loads(row["other_value"])}, tx.at,
                         action="conflict.flip_value")
    status = "flipped" if decision == "flip" else "confirmed"
    tx.execute("UPDATE conflicts SET status = ?, resolved_by = ?, resolved_at = ? WHERE id = ?",
               (status, tx.actor.user_id, tx.at, conflict_id))
    tx.audit(f"conflict.{decision}", "unit", row["unit_id"], conflict_id=conflict_id, field=row["field"])
    return _view(tx.one("SELECT * FROM conflicts WHERE id = ?", (conflict_id,)))
