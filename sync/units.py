"""Units: validation, creation, field-level updates with conflict detection, and views.

What the user typed is stored as typed; match keys (``name_key``, ``national_id_key``,
``phone_key``) are kept beside it and recomputed whenever the field changes.
"""

import json

from marshmallow import ValidationError

from schemas.units import UnitFieldsSchema
from sync import unit_index
from sync.errors import Invalid, NotFound, OutOfScope
from sync.identifiers import legal_id_valid
from sync.normalize import digits, fold
from sync.store import Tx, scope_of_province

FIELDS = (
    "name", "national_id", "license_no", "province_id", "city_id", "park_id", "address",
    "phone", "location", "owner", "activity", "status", "employees",
)
_create_schema = UnitFieldsSchema()
# Partial by name, not partial=True: that would make a location's lat and lon optional too,
# and {"lat": 35} alone would reach the store (found by tests/test_extreme_mutations.py).
_update_schema = UnitFieldsSchema(partial=FIELDS)


def validate_fields(db, raw, *, creating: bool) -> dict:
    """Typed, checked unit fields from untrusted input, or :class:`Invalid` naming each bad field."""
    if not isinstance(raw, dict):
        raise Invalid({"fields": ["Expected an object of unit fields."]})
    try:
        fields = (_create_schema if creating else _update_schema).load(raw)
    except ValidationError as error:
        raise Invalid(error.normalized_messages()) from error
    errors = {}
    if creating:
        for required in ("name", "province_id"):
            if fields.get(required) in (None, ""):
                errors[required] = ["Required."]
    if "name" in fields and not (fields["name"] or "").strip():
        errors["name"] = ["Must not be blank."]
    if errors:
        raise Invalid(errors)
    return fields


def check_places(db, fields: dict, current: dict | None = None) -> None:
    """The province exists, and the city and park (if any) lie in it."""
    merged = {**(current or {}), **fields}
    province = merged.get("province_id")
    errors = {}
    if not db.execute("SELECT 1 FROM provinces WHERE id = ?", [province]).fetchone():
        errors["province_id"] = [f"Unknown province {province}."]
    for field, table in (("city_id", "cities"), ("park_id", "parks")):
        value = merged.get(field)
        if value is None or (field not in fields and "province_id" not in fields):
            continue
        row = db.execute(f"SELECT province_id FROM {table} WHERE id = ?", [value]).fetchone()
        if row is None:
            errors[field] = [f"Unknown {field[:-3]} {value}."]
        elif row[0] != province:
            errors[field] = [f"{field[:-3].capitalize()} {value} is not in province {province}."]
    if errors:
        raise Invalid(errors)


def _columns(fields: dict) -> dict:
    """Table columns (typed values and match keys) for the given unit fields."""
    columns = {}
    for field, value in fields.items():
        if field == "location":
            columns["lat"] = value["lat"] if value else None
            columns["lon"] = value["lon"] if value else None
            continue
        columns[field] = value
        if field == "name":
            columns["name_key"] = fold(value)
        elif field == "national_id":
            columns["national_id_key"] = digits(value) or None
            columns["national_id_valid"] = int(legal_id_valid(value))
        elif field == "phone":
            columns["phone_key"] = digits(value) or None
    return columns


def field_value(row: dict, field: str):
    if field == "location":
        return None if row["lat"] is None else {"lat": row["lat"], "lon": row["lon"]}
    return row[field]


def view(row: dict) -> dict:
    """A unit as served to devices and the API."""
    unit = {f: field_value(row, f) for f in FIELDS}
    unit.update(
        id=row["id"],
        national_id_valid=bool(row["national_id_valid"]),
        merged_into=row["merged_into"],
        seq=row["seq"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
    return unit


def get_row(db, unit_id: str, columns: str = "*") -> dict | None:
    """The unit's row, or only ``columns`` of it (a unit has some forty: reading them all
    costs twice a narrow read, which a push does for every visit)."""
    rows = list(db.query(f"SELECT {columns} FROM units WHERE id = ?", [unit_id]))
    return rows[0] if rows else None


def survivor_row(db, unit_id: str, columns: str = "*") -> dict | None:
    """The row of the surviving unit for ``unit_id`` (itself when it was never merged), or None
    when there is no such unit: :func:`resolve` and :func:`get_row` in one read in the common
    case. ``columns``, when given, must name ``merged_into``."""
    seen = set()
    while unit_id not in seen:
        seen.add(unit_id)
        row = get_row(db, unit_id, columns)
        if row is None or row["merged_into"] is None:
            return row
        unit_id = row["merged_into"]
    return get_row(db, unit_id, columns)


def resolve(db, unit_id: str) -> str:
    """The surviving unit for ``unit_id``, following merges (chains included)."""
    seen = set()
    while unit_id not in seen:
        seen.add(unit_id)
        row = db.execute("SELECT merged_into FROM units WHERE id = ?", [unit_id]).fetchone()
        if row is None or row[0] is None:
            return unit_id
        unit_id = row[0]
    return unit_id


def require_in_scope(tx_or_actor, province_id) -> None:
    actor = getattr(tx_or_actor, "actor", tx_or_actor)
    if not actor.can_see_province(province_id):
        raise OutOfScope(f"Province {province_id} is outside your provinces.",
                         {"fields": {"province_id": ["Outside your provinces."]}})


def _stamp(tx: Tx, seq: int, observed_at: str) -> dict:
    return {"s": seq, "t": observed_at, "d": tx.actor.device_id, "u": tx.actor.user_id}


def create(tx: Tx, unit_id: str, fields: dict, observed_at: str) -> dict:
    """Insert a new unit; ``fields`` come from :func:`validate_fields`."""
    require_in_scope(tx, fields["province_id"])
    check_places(tx.db, fields)
    seq = tx.changed("unit", unit_id, [scope_of_province(fields["province_id"])])
    columns = _columns(fields)
    columns.update(
        id=unit_id,
        field_meta=json.dumps({f: _stamp(tx, seq, observed_at) for f in fields}),
        created_at=tx.at,
        created_by=tx.actor.user_id,
        updated_at=tx.at,
        seq=seq,
    )
    names = ", ".join(columns)
    tx.execute(f"INSERT INTO units ({names}) VALUES ({', '.join('?' * len(columns))})",
               tuple(columns.values()))
    tx.audit("unit.create", "unit", unit_id, fields=fields)
    row = get_row(tx.db, unit_id)
    unit_index.reindex(tx, row)
    return row


def set_fields(tx: Tx, row: dict, fields: dict, observed_at: str, action: str = "unit.update",
               stamps: dict | None = None) -> dict:
    """Write ``fields`` to the unit unconditionally, stamping each field's meta with this
    change's seq. ``stamps`` gives a field another stamp than this actor's (a merge keeps
    where a value came from; an unmerge puts an older stamp back; None removes it)."""
    if not fields:
        return row
    scopes = {scope_of_province(row["province_id"])}
    if "province_id" in fields:
        scopes.add(scope_of_province(fields["province_id"]))
    seq = tx.changed("unit", row["id"], sorted(scopes))
    meta = json.loads(row["field_meta"])
    for field in fields:
        if stamps and field in stamps:
            if stamps[field] is None:
                meta.pop(field, None)
            else:
                meta[field] = {**stamps[field], "s": seq}
        else:
            meta[field] = _stamp(tx, seq, observed_at)
    columns = _columns(fields) | {"field_meta": json.dumps(meta), "updated_at": tx.at, "seq": seq}
    assignments = ", ".join(f"{c} = ?" for c in columns)
    tx.execute(f"UPDATE units SET {assignments} WHERE id = ?", (*columns.values(), row["id"]))
    if len(scopes) > 1:
        from sync import obstacles  # not at the top: sync.obstacles imports this module

        obstacles.rescope(tx, row["id"], sorted(scopes))
    tx.audit(action, "unit", row["id"], fields=fields)
    updated = get_row(tx.db, row["id"])
    unit_index.reindex(tx, updated)
    return updated


def _seen_through_merge(stamp: dict, named: str, base: int, device_id: str) -> bool:
    """Did a device that saw unit ``named`` at ``base`` see this value? True when the value
    came, through one merge or a chain of them (the stamp's ``via``), from ``named``'s own
    field as it stood when the device saw it (or as the device itself set it)."""
    via = stamp.get("via")
    while via:
        if via.get("unit") == named:
            return via["s"] <= base or via.get("d") == device_id
        via = via.get("via")
    return False


def update(tx: Tx, unit_id: str, fields: dict, base_seq: int | None, observed_at: str) -> dict:
    """Apply a device's edit of some fields, merging with concurrent edits field by field.

    A field changed by someone else after ``base_seq`` (the unit's seq the device last
    saw) is a concurrent edit: the later observation wins, and the collision is recorded
    as a conflict for a supervisor. An edit naming a merged unit lands on the survivor and
    is judged against what the device saw of the unit it named (a value the merge carried
    over from that unit is no concurrent edit); it is kept in ``redirected_edits`` so that
    undoing the merge gives it back (:func:`sync.merge.unmerge`).
    Returns ``{"unit_id", "redirected_from", "conflicts"}``.
    """
    target = resolve(tx.db, unit_id)
    row = get_row(tx.db, target)
    if row is None:
        raise NotFound(f"No unit {unit_id}.", {"fields": {"unit_id": ["Unknown unit."]}})
    require_in_scope(tx, row["province_id"])
    if "province_id" in fields:
        require_in_scope(tx, fields["province_id"])
    check_places(tx.db, fields, {f: field_value(row, f) for f in FIELDS})
    redirected = target != unit_id
    meta = json.loads(row["field_meta"])
    base = base_seq or 0
    device = tx.actor.device_id
    to_apply, conflicts = {}, []
    for field, value in fields.items():
        current = field_value(row, field)
        if value == current:
            continue
        stamp = meta.get(field)
        concurrent = (stamp is not None and stamp["s"] > base and stamp.get("d") != device
                      and not (redirected and _seen_through_merge(stamp, unit_id, base, device)))
        if not concurrent:
            to_apply[field] = value
            continue
        incoming_wins = observed_at >= stamp["t"]
        kept, other = (value, current) if incoming_wins else (current, value)
        kept_at, other_at = (observed_at, stamp["t"]) if incoming_wins else (stamp["t"], observed_at)
        kept_dev, other_dev = (device, stamp.get("d")) if incoming_wins else (stamp.get("d"), device)
        cursor = tx.execute(
            "INSERT INTO conflicts (unit_id, field, kept_value, other_value, kept_observed_at,"
            " other_observed_at, kept_device_id, other_device_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row["id"], field, json.dumps(kept, ensure_ascii=False), json.dumps(other, ensure_ascii=False),
             kept_at, other_at, kept_dev, other_dev, tx.at),
        )
        tx.audit("conflict.record", "unit", row["id"], field=field, conflict_id=cursor.lastrowid,
                 kept=kept, other=other)
        conflicts.append({"conflict_id": cursor.lastrowid, "field": field, "yours": value,
                          "theirs": current, "kept": "yours" if incoming_wins else "theirs"})
        if incoming_wins:
            to_apply[field] = value
    updated = set_fields(tx, row, to_apply, observed_at)
    if redirected:
        _keep_redirected(tx, get_row(tx.db, unit_id), row, updated, fields, to_apply, observed_at)
    return {"unit_id": row["id"], "redirected_from": unit_id if redirected else None,
            "conflicts": conflicts}


def _keep_redirected(tx: Tx, named: dict, before: dict, after: dict, fields: dict, applied: dict,
                     observed_at: str) -> None:
    """Record each field an edit of the merged unit ``named`` would change on it, with what
    it replaced on the survivor (``before``) where it was applied."""
    meta = json.loads(before["field_meta"])
    stamp = json.dumps({"t": observed_at, "d": tx.actor.device_id, "u": tx.actor.user_id})
    rows = [(named["id"], before["id"], field, json.dumps(value, ensure_ascii=False), stamp,
             after["seq"] if field in applied else None,
             json.dumps(field_value(before, field), ensure_ascii=False), json.dumps(meta.get(field)))
            for field, value in fields.items() if value != field_value(named, field)]
    tx.db.conn.executemany(
        "INSERT INTO redirected_edits (named_unit_id, unit_id, field, value, stamp, applied_seq,"
        " previous_value, previous_meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def find_by_legal_id(db, province_id: int, national_id_key: str, exclude: str) -> str | None:
    """The oldest live unit in the province carrying this valid legal id, other than ``exclude``
    and the units a supervisor has declared a different firm from it (by unmerging the two or
    marking the pair distinct): their decision outranks the id."""
    row = db.execute(
        "SELECT id FROM units u WHERE national_id_key = :key AND national_id_valid = 1"
        " AND province_id = :province AND merged_into IS NULL AND id != :exclude"
        " AND NOT EXISTS (SELECT 1 FROM dedup_candidates d WHERE d.status = 'distinct'"
        "   AND ((d.unit_a = u.id AND d.unit_b = :exclude) OR (d.unit_b = u.id AND d.unit_a = :exclude)))"
        " ORDER BY created_at, id LIMIT 1",
        {"key": national_id_key, "province": province_id, "exclude": exclude},
    ).fetchone()
    return row[0] if row else None


def get(db, unit_id: str) -> dict:
    row = get_row(db, unit_id)
    if row is None:
        raise NotFound(f"No unit {unit_id}.")
    return view(row)


def search(db, actor, province_id=None, park_id=None, status=None, q=None, include_merged=False,
           limit=100, offset=0) -> dict:
    """Units the actor may see, filtered; ``q`` matches the folded name."""
    clauses, params = [], []
    if not actor.sees_all:
        provinces = sorted(actor.provinces)
        clauses.append(f"province_id IN ({','.join('?' * len(provinces))})")
        params.extend(provinces)
    for column, value in (("province_id", province_id), ("park_id", park_id), ("status", status)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if q:
        clauses.append("instr(name_key, ?) > 0")
        params.append(fold(q))
    if not include_merged:
        clauses.append("merged_into IS NULL")
    where = " AND ".join(clauses) or "1 = 1"
    total = db.execute(f"SELECT count(*) FROM units WHERE {where}", params).fetchone()[0]
    rows = db.query(f"SELECT * FROM units WHERE {where} ORDER BY name_key, id LIMIT ? OFFSET ?",
                    [*params, limit, offset])
    return {"items": [view(r) for r in rows], "total": total}
