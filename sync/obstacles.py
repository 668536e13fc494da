"""Obstacles (موانع تولید) with an identity that outlives the visit that found them.

Each visit records obstacles in ``visit_obstacles`` (what that version of the visit said).
A record names its obstacle by ``obstacle_id``: devices mint ids offline (the reference
client always does); a record without one gets an id derived from (visit, version,
position). A later visit of the same unit names the same id to update the obstacle or,
with ``resolved: true``, to mark it resolved.

The ``obstacles`` table is the current state of each obstacle, rebuilt by :func:`refresh`
from every record that names it, in the order the visits were made (observed time), from
the current version of each visit that was not rejected. Rebuilding instead of patching
keeps one rule for every way a record can change: a new visit, a revision that drops or
edits a record, a rejection, or a merge/unmerge that moves visits between units. The
obstacle belongs to the unit of the visit that opened it; changes reach devices through
pull in that unit's province scope (page key ``obstacles``).
"""

import uuid
from operator import itemgetter

from sync import ids, units
from sync.store import Tx, scope_of_province

COLUMNS = ("area", "group_code", "severity", "description", "proposed_action", "responsible_body")
STATUSES = ("open", "resolved")
_ID_NAMESPACE = uuid.UUID("4c1f5a0e-93b5-4b63-9f0e-5a1d2c7e8b90")


def with_ids(visit_id: str, version: int, records: list[dict]) -> list[dict]:
    """The records as stored: each with its ``obstacle_id`` and a boolean ``resolved``.

    A missing id is derived, not random, so that the same visit sent twice is recognised.
    """
    return [{**record,
             "obstacle_id": record.get("obstacle_id")
             or ids.derived_id(_ID_NAMESPACE, visit_id, f"{version}/{position}"),
             "resolved": bool(record.get("resolved"))}
            for position, record in enumerate(records)]


def reference_errors(db, unit_id: str, records: list[dict], held: dict[str, str]) -> dict[str, list[str]]:
    """Problems with the obstacle ids a visit names: each id once, an existing obstacle only
    at its own unit, and only an existing obstacle can be resolved. ``held``: the
    :func:`units_of` these ids."""
    errors: dict[str, list[str]] = {}
    seen = set()
    for i, record in enumerate(records):
        obstacle_id = record.get("obstacle_id")
        if obstacle_id is None:
            continue
        field = f"obstacles[{i}].obstacle_id"
        if obstacle_id in seen:
            errors[field] = ["This obstacle is listed twice in the visit."]
            continue
        seen.add(obstacle_id)
        held_at = held.get(obstacle_id)
        if held_at is not None and units.resolve(db, held_at) != unit_id:
            errors[field] = [f"Obstacle {obstacle_id} was recorded at another unit ({held_at})."]
        elif held_at is None and record.get("resolved"):
            errors[field] = [f"No recorded obstacle {obstacle_id} at this unit; only an obstacle "
                             "recorded by an earlier visit can be resolved."]
    return errors


def write_records(tx: Tx, visit_id: str, visit_no: int, version: int, unit_id: str, records: list[dict]) -> None:
    """Store one visit version's records (from :func:`with_ids`)."""
    tx.db.conn.executemany(
        f"INSERT INTO visit_obstacles (visit_id, visit_no, version, position, unit_id, obstacle_id, resolved,"
        f" {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(visit_id, visit_no, version, i, unit_id, r["obstacle_id"], int(r["resolved"]), *_columns_of(r))
         for i, r in enumerate(records)],
    )


def _columns_of(record: dict) -> tuple:
    """A record as a device sent it (``group``, optional fields left out), as COLUMNS values."""
    return (record.get("area"), record["group"], record.get("severity"), record.get("description"),
            record.get("proposed_action"), record.get("responsible_body"))


# Visits made at the same moment (or clamped to the same receipt time) keep arrival order.
_RECORDS_SQL = """
SELECT vo.*, v.unit_id AS visit_unit_id, v.observed_at AS visit_observed_at
FROM visit_obstacles vo JOIN visits v ON v.no = vo.visit_no AND v.version = vo.version
WHERE vo.obstacle_id IN ({marks}) AND v.review_state != 'rejected'
ORDER BY v.observed_at, v.rowid, vo.position
"""
_STATE_KEYS = ("unit_id", *COLUMNS, "status", "opened_visit_id", "opened_at", "last_visit_id",
               "resolved_visit_id", "resolved_at")


_ROW_COLUMNS = ("id", *_STATE_KEYS, "updated_at", "seq")
_INSERT = (f"INSERT INTO obstacles ({', '.join(_ROW_COLUMNS)})"
           f" VALUES ({', '.join('?' * len(_ROW_COLUMNS))})")
_UPSERT = f"{_INSERT} ON CONFLICT(id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _ROW_COLUMNS[1:])}"
_RECORD_COLUMNS = itemgetter(*COLUMNS)


def _state(unit_id: str, opened_visit_id: str, opened_at: str, columns: tuple, resolved, last_visit_id: str,
           last_at: str) -> tuple:
    """An obstacle's current state, the values of _STATE_KEYS in order: the unit and opening of
    its first record, the ``columns`` (COLUMNS) and ``resolved`` of its last."""
    resolved = bool(resolved)
    return (unit_id, *columns, "resolved" if resolved else "open", opened_visit_id, opened_at, last_visit_id,
            last_visit_id if resolved else None, last_at if resolved else None)


def _state_of(records: list[dict]) -> tuple:
    first, last = records[0], records[-1]
    return _state(first["visit_unit_id"], first["visit_id"], first["visit_observed_at"], _RECORD_COLUMNS(last),
                  last["resolved"], last["visit_id"], last["visit_observed_at"])


def refresh(tx: Tx, obstacle_ids) -> None:
    """Rebuild the current state of these obstacles from their records (see the module doc)."""
    ids = sorted(set(obstacle_ids))
    if not ids:
        return
    marks = ",".join("?" * len(ids))
    # Three reads for all of a visit's obstacles, not three per obstacle: this runs for
    # every visit a push brings.
    records: dict[str, list[dict]] = {}
    for row in tx.db.query(_RECORDS_SQL.format(marks=marks), ids):
        records.setdefault(row["obstacle_id"], []).append(row)
    current = {r["id"]: r for r in tx.db.query(f"SELECT * FROM obstacles WHERE id IN ({marks})", ids)}
    provinces = {}
    for obstacle_id in ids:
        state = _state_of(records[obstacle_id]) if obstacle_id in records else None
        before = current.get(obstacle_id)
        if before and state and all(before[k] == value for k, value in zip(_STATE_KEYS, state, strict=True)):
            continue
        if before is None and state is None:
            continue
        held_at = [unit for unit in (before and before["unit_id"], state and state[0]) if unit]
        for unit in held_at:
            if unit not in provinces:
                provinces[unit] = tx.execute("SELECT province_id FROM units WHERE id = ?", (unit,)).fetchone()[0]
        scopes = sorted({scope_of_province(provinces[unit]) for unit in held_at})
        seq = tx.changed("obstacle", obstacle_id, scopes)
        if state is None:
            tx.execute("DELETE FROM obstacles WHERE id = ?", (obstacle_id,))
            continue
        tx.execute(_UPSERT, (obstacle_id, *state, tx.at, seq))


def at_unit(alias: str, unit: str) -> str:
    """SQL true for the obstacles (``obstacles {alias}``) held at the unit ``unit`` names (a
    placeholder, given twice). Nothing indexes obstacles by unit (migration 15): an obstacle
    is held at the unit of the visit that opened it, so it is among those that unit's visits
    name, found through ``visits_unit_observed``."""
    return (f"{alias}.id IN (SELECT vo.obstacle_id FROM visits v JOIN visit_obstacles vo ON vo.visit_no = v.no"
            f" WHERE v.unit_id = {unit}) AND {alias}.unit_id = {unit}")


def rescope(tx: Tx, unit_id: str, scopes: list[str]) -> None:
    """A unit moved province: its obstacles are scoped by province too, so devices of the new
    province must receive them and devices of the old one learn they are gone."""
    for (obstacle_id,) in tx.execute(f"SELECT o.id FROM obstacles o WHERE {at_unit('o', ':unit')}",
                                     {"unit": unit_id}).fetchall():
        seq = tx.changed("obstacle", obstacle_id, scopes)
        tx.execute("UPDATE obstacles SET seq = ? WHERE id = ?", (seq, obstacle_id))


def units_of(db, obstacle_ids: list[str]) -> dict[str, str]:
    """The unit each of these obstacles is held at, for those the store holds (one read: a
    visit names a few, and a push brings a hundred visits)."""
    if not obstacle_ids:
        return {}
    marks = ",".join("?" * len(obstacle_ids))
    return dict(db.execute(f"SELECT id, unit_id FROM obstacles WHERE id IN ({marks})", list(obstacle_ids)))


def known(db, obstacle_ids: list[str]) -> set[str]:
    """Which of these obstacles the store already holds."""
    return set(units_of(db, obstacle_ids))


def add_new(tx: Tx, records: list[dict], visit_id: str, unit_id: str, province_id: int, observed_at: str) -> None:
    """Obstacles a new visit records that the store does not hold: their only record that
    counts is this one (another visit's record of the same id would have made the obstacle
    exist, unless that visit was rejected — and rejected records do not count), so the state
    is worked out without reading anything back as :func:`refresh` does. Same rows, same
    change log."""
    scope = [scope_of_province(province_id)]
    rows = []
    for record in records:
        state = _state(unit_id, visit_id, observed_at, _columns_of(record), record["resolved"], visit_id,
                       observed_at)
        rows.append((record["obstacle_id"], *state, tx.at, tx.changed("obstacle", record["obstacle_id"], scope)))
    if rows:
        # New obstacles (the caller looked under the write lock): an INSERT, not refresh's upsert.
        tx.db.conn.executemany(_INSERT, rows)


def ids_of_visits(db, visit_ids) -> list[str]:
    """Every obstacle any version of these visits names."""
    visit_ids = list(visit_ids)
    if not visit_ids:
        return []
    marks = ",".join("?" * len(visit_ids))
    return [r[0] for r in db.execute(
        "SELECT DISTINCT obstacle_id FROM visit_obstacles"
        f" WHERE visit_no IN (SELECT no FROM visits WHERE id IN ({marks})) AND obstacle_id IS NOT NULL", visit_ids)]


def follow_visits(tx: Tx, visit_ids) -> None:
    """Rebuild the obstacles of visits that moved (merge, unmerge) or changed review state."""
    refresh(tx, ids_of_visits(tx.db, visit_ids))


def view(row: dict) -> dict:
    """An obstacle as served to devices and the API (``group`` as in the visit records)."""
    obstacle = {k: row[k] for k in row if k not in ("group_code", "unit_name", "province_id", "park_id")}
    obstacle["id"] = row["id"]
    obstacle["group"] = row["group_code"]
    return obstacle


def entries(db, actor, ids: list[str]) -> list[dict]:
    """Pull loader: obstacles of units in the device's provinces; gone ones as ``removed``."""
    marks = ",".join("?" * len(ids))
    found = {r["id"]: r for r in db.query(
        f"SELECT o.*, u.province_id FROM obstacles o JOIN units u ON u.id = o.unit_id"
        f" WHERE o.id IN ({marks})", ids)}
    result = []
    for obstacle_id in ids:
        row = found.get(obstacle_id)
        if row is None or not actor.can_see_province(row["province_id"]):
            result.append({"id": obstacle_id, "removed": True})
        else:
            result.append(view(row))
    return result


def scope_clause(actor, column: str = "u.province_id") -> tuple[str, list]:
    """SQL limiting rows to the actor's provinces (admins: everything)."""
    if actor.sees_all:
        return "1 = 1", []
    provinces = sorted(actor.provinces)
    return f"{column} IN ({','.join('?' * len(provinces))})", provinces


def search(db, actor, unit_id=None, province_id=None, park_id=None, area=None, group=None,
           status=None, obstacle_id=None, limit=100, offset=0) -> dict:
    """Obstacles in the actor's provinces, filtered; newest change first.

    Each item adds ``unit_name``, ``province_id`` and ``park_id`` of its unit.
    """
    where, params = scope_clause(actor)
    clauses = [where]
    if unit_id is not None:
        clauses.append(at_unit("o", "?"))
        params += [units.resolve(db, unit_id)] * 2
    for column, value in (("u.province_id", province_id), ("u.park_id", park_id), ("o.area", area),
                          ("o.group_code", group), ("o.status", status), ("o.id", obstacle_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    sql = " FROM obstacles o JOIN units u ON u.id = o.unit_id WHERE " + " AND ".join(clauses)
    total = db.execute("SELECT count(*)" + sql, params).fetchone()[0]
    rows = db.query("SELECT o.*, u.name AS unit_name, u.province_id, u.park_id" + sql
                    + " ORDER BY o.updated_at DESC, o.id LIMIT ? OFFSET ?", [*params, limit, offset])
    return {"items": [{**view(r), "unit_name": r["unit_name"], "province_id": r["province_id"],
                       "park_id": r["park_id"]} for r in rows], "total": total}


def records(db, obstacle_id: str) -> list[dict]:
    """What each visit recorded about one obstacle, in visit order (rejected visits included,
    marked by their ``review_state``)."""
    rows = db.query(
        "SELECT vo.visit_id, vo.version, vo.resolved, vo.area, vo.group_code, vo.severity,"
        " vo.description, vo.proposed_action, vo.responsible_body, v.observed_at, v.review_state"
        " FROM visit_obstacles vo JOIN visits v ON v.no = vo.visit_no AND v.version = vo.version"
        " WHERE vo.obstacle_id = ? ORDER BY v.observed_at, v.rowid", [obstacle_id])
    return [{**{k: r[k] for k in r if k != "group_code"}, "group": r["group_code"],
             "resolved": bool(r["resolved"])} for r in rows]
