"""Merging two unit records into one, and undoing it.

``merge(tx, loser, winner)`` tombstones the loser (``merged_into``), re-points its
visits and obstacles, lets the winner take the best value of each field, and records a
redirect loser→winner that reaches devices through pull. Every caller — a push that
brings a unit with a known legal id, the dedup engine, a supervisor — uses this one
function. ``unmerge`` restores the loser and reverses what the merge moved, and gives the loser back
the visits recorded on it while it was merged.
"""

import json

from sync import obstacles, unit_index, units
from sync.errors import Conflict, Invalid, NotFound
from sync.store import Tx, scope_of_province, scope_of_user

IDENTITY_FIELDS = ("name", "national_id", "license_no", "province_id")


def _filled(value) -> bool:
    return value not in (None, "")


def _better(field: str, winner: dict, loser: dict, winner_meta: dict, loser_meta: dict) -> bool:
    """Should the winner take the loser's value of ``field``?

    An empty field takes any value; a legal id that fails its check digit gives way to one
    that passes. Identity fields (name, ids, province) otherwise stay the survivor's: the
    survivor is the record devices and supervisors already know. For the fields that
    describe the unit's present (address, phone, status, employees…) the value observed
    later wins: it is the fresher observation.
    """
    ours, theirs = units.field_value(winner, field), units.field_value(loser, field)
    if not _filled(theirs) or ours == theirs:
        return False
    if field in ("city_id", "park_id") and winner["province_id"] != loser["province_id"]:
        return False  # a place in another province would contradict the survivor's province
    if not _filled(ours):
        return True
    if field == "national_id" and winner["national_id_valid"] != loser["national_id_valid"]:
        return bool(loser["national_id_valid"])
    if field in IDENTITY_FIELDS:
        return False
    ours_at = winner_meta.get(field, {}).get("t", "")
    theirs_at = loser_meta.get(field, {}).get("t", "")
    return theirs_at > ours_at


def _redirect_scopes(tx: Tx, *province_ids) -> list[str]:
    return sorted({scope_of_province(p) for p in province_ids})


# Fields a supervisor may not choose from the other record: the province decides who sees the
# unit (choosing it would move the survivor to another scope in the middle of a merge).
UNCHOOSABLE = ("province_id",)


def choosable(field: str, winner: dict, loser: dict) -> bool:
    """Can a supervisor pick the loser's value of ``field`` over the winner's?"""
    if field in UNCHOOSABLE:
        return False
    if field in ("city_id", "park_id") and winner["province_id"] != loser["province_id"]:
        return False
    return units.field_value(winner, field) != units.field_value(loser, field)


def plan(winner: dict, loser: dict, choose: dict | None = None) -> dict[str, str]:
    """Where each field of the merged record comes from: ``"winner"`` or ``"loser"``.

    By the rules of :func:`_better`, unless ``choose`` (a supervisor's choice, field →
    ``"winner"``/``"loser"``) says otherwise for a field they may choose. A loser's empty
    value is never chosen over a filled one: choosing "nothing" is not a merge."""
    winner_meta, loser_meta = json.loads(winner["field_meta"]), json.loads(loser["field_meta"])
    sources = {}
    for field in units.FIELDS:
        source = "loser" if _better(field, winner, loser, winner_meta, loser_meta) else "winner"
        wanted = (choose or {}).get(field)
        allowed = wanted == "winner" or _filled(units.field_value(loser, field))
        if wanted in ("winner", "loser") and choosable(field, winner, loser) and allowed:
            source = wanted
        sources[field] = source
    return sources


def preview(db, loser_id: str, winner_id: str) -> list[dict]:
    """The record a merge would leave, field by field, before anything is written:
    ``[{"field", "winner", "loser", "result", "source", "choosable"}]``."""
    winner, loser = units.get_row(db, winner_id), units.get_row(db, loser_id)
    sources = plan(winner, loser)
    rows = []
    for field in units.FIELDS:
        ours, theirs = units.field_value(winner, field), units.field_value(loser, field)
        rows.append({"field": field, "winner": ours, "loser": theirs, "source": sources[field],
                     "result": theirs if sources[field] == "loser" else ours,
                     "choosable": choosable(field, winner, loser) and _filled(theirs) and _filled(ours)})
    return rows


def merge(tx: Tx, loser_id: str, winner_id: str, reason: str, details: dict | None = None,
          choose: dict | None = None) -> dict:
    """Merge unit ``loser_id`` into ``winner_id``; returns the merge record. ``choose``:
    the supervisor's pick of a value per field (see :func:`plan`); recorded with the merge,
    so an unmerge gives back what it took like any other field."""
    if loser_id == winner_id:
        raise Invalid({"loser_id": ["A unit cannot be merged into itself."]})
    winner, loser = units.get_row(tx.db, winner_id), units.get_row(tx.db, loser_id)
    if winner is None or loser is None:
        raise NotFound("Both units must exist.")
    if winner["merged_into"] or loser["merged_into"]:
        raise Conflict("A unit that is already merged cannot be merged again; use the surviving unit.")
    units.require_in_scope(tx, winner["province_id"])
    units.require_in_scope(tx, loser["province_id"])

    winner_meta, loser_meta = json.loads(winner["field_meta"]), json.loads(loser["field_meta"])
    taken = {}
    for field, source in plan(winner, loser, choose).items():
        if source == "loser":
            taken[field] = {
                "value": units.field_value(loser, field),
                "previous": units.field_value(winner, field),
                "previous_meta": winner_meta.get(field),
            }
    seq_before = tx.next_seq()
    cursor = tx.execute(
        "INSERT INTO merges (loser_id, winner_id, reason, at, user_id, seq, fields_taken)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (loser_id, winner_id, reason, tx.at, tx.actor.user_id, seq_before,
         json.dumps(taken, ensure_ascii=False)),
    )
    merge_id = cursor.lastrowid
    taken_seq = None
    if taken:
        # Each taken field keeps its own observation time, and where it came from (``via``):
        # a device that saw this value on the loser has not missed a concurrent edit.
        stamps = {}
        for f in taken:
            stamps[f] = {"t": loser_meta.get(f, {}).get("t", tx.at), "d": tx.actor.device_id, "u": tx.actor.user_id}
            if f in loser_meta:
                stamps[f]["via"] = {"unit": loser_id, **loser_meta[f]}
        updated = units.set_fields(tx, winner, {f: t["value"] for f, t in taken.items()},
                                   max(st["t"] for st in stamps.values()), action="unit.merge_fields",
                                   stamps=stamps)
        taken_seq = updated["seq"]
    else:
        _restamp(tx, winner)

    loser_seq = tx.changed("unit", loser_id, [scope_of_province(loser["province_id"])])
    tx.execute("UPDATE units SET merged_into = ?, seq = ?, updated_at = ? WHERE id = ?",
               (winner_id, loser_seq, tx.at, loser_id))
    unit_index.drop(tx, loser_id)

    moved_visits = _move_visits(tx, loser_id, winner_id)
    # Flatten: whatever pointed at the loser now points straight at the winner.
    chained = [r[0] for r in tx.execute("SELECT from_id FROM redirects WHERE to_id = ?", (loser_id,))]
    scopes = _redirect_scopes(tx, loser["province_id"], winner["province_id"])
    for from_id in chained + [loser_id]:
        seq = tx.changed("redirect", from_id, scopes)
        tx.execute(
            "INSERT INTO redirects (from_id, to_id, merge_id, seq) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(from_id) DO UPDATE SET to_id = excluded.to_id, merge_id = excluded.merge_id,"
            " seq = excluded.seq",
            (from_id, winner_id, merge_id, seq),
        )
    tx.execute("UPDATE merges SET fields_taken = ? WHERE id = ?",
               (json.dumps({"fields": taken, "taken_seq": taken_seq, "visits": moved_visits,
                           "chained": chained},
                           ensure_ascii=False), merge_id))
    tx.audit("unit.merge", "unit", winner_id, loser_id=loser_id, reason=reason,
             fields_taken=sorted(taken), visits_moved=len(moved_visits), **(details or {}),
             **({"chosen": choose} if choose else {}))
    return {"merge_id": merge_id, "winner_id": winner_id, "loser_id": loser_id,
            "fields_taken": sorted(taken), "visits_moved": len(moved_visits)}


def _restamp(tx: Tx, unit: dict) -> None:
    """Log a change of ``unit`` whose fields stay as they are (its aliases changed), and stamp
    the unit with that seq, so that devices comparing seqs know which copy is newer."""
    seq = tx.changed("unit", unit["id"], [scope_of_province(unit["province_id"])])
    tx.execute("UPDATE units SET seq = ?, updated_at = ? WHERE id = ?", (seq, tx.at, unit["id"]))


def _winner_restore(winner: dict, record: dict, edits: list[dict]) -> dict:
    """field → (value, stamp) the winner goes back to: the value before the edits that named
    the loser and before what the merge took, peeled newest first for as long as each is
    still the field's current value (a later change of the winner's own stays)."""
    meta = json.loads(winner["field_meta"])
    layers: dict[str, list] = {}
    for edit in reversed(edits):
        if edit["applied_seq"] is not None:
            layers.setdefault(edit["field"], []).append(
                (edit["applied_seq"], json.loads(edit["previous_value"]), json.loads(edit["previous_meta"])))
    for field, taken in record["fields"].items():
        layers.setdefault(field, []).append((record["taken_seq"], taken["previous"], taken["previous_meta"]))
    restore = {}
    for field, peel in layers.items():
        current = meta.get(field)
        for seq, value, previous_meta in peel:
            if current is None or current.get("s") != seq:
                break
            restore[field] = (value, previous_meta)
            current = previous_meta
    return restore


def _give_back_edits(tx: Tx, loser_id: str, edits: list[dict]) -> None:
    """Replay on the restored loser, in order, the edits that named it (or a unit merged
    into it) while it was merged: the engineer meant this unit. An edit naming a unit still
    merged into the loser stays recorded, now as having landed on the loser."""
    for edit in edits:
        row = units.get_row(tx.db, loser_id)
        field = edit["field"]
        previous = units.field_value(row, field)
        previous_meta = json.loads(row["field_meta"]).get(field)
        updated = units.set_fields(tx, row, {field: json.loads(edit["value"])}, tx.at, action="unit.unmerge_edit",
                                   stamps={field: json.loads(edit["stamp"])})
        if edit["named_unit_id"] == loser_id:
            tx.execute("DELETE FROM redirected_edits WHERE id = ?", (edit["id"],))
        else:
            tx.execute("UPDATE redirected_edits SET unit_id = ?, applied_seq = ?, previous_value = ?,"
                       " previous_meta = ? WHERE id = ?",
                       (loser_id, updated["seq"], json.dumps(previous, ensure_ascii=False),
                        json.dumps(previous_meta), edit["id"]))


def _move_visits(tx: Tx, from_unit: str, to_unit: str, only=None, named=None) -> list[str]:
    """Re-point visits of ``from_unit``: all of them, or those in ``only`` and those whose
    engineer named the unit ``named``."""
    if only is None:
        rows = list(tx.execute("SELECT id, engineer_id FROM visits WHERE unit_id = ?", (from_unit,)))
    else:
        marks = ",".join("?" * len(only))
        rows = list(tx.execute(
            f"SELECT id, engineer_id FROM visits WHERE unit_id = ? AND (id IN ({marks}) OR original_unit_id = ?)"
            " ORDER BY rowid", (from_unit, *only, named)))
    for visit_id, engineer_id in rows:
        seq = tx.changed("visit", visit_id, [scope_of_user(engineer_id)])
        tx.execute("UPDATE visits SET unit_id = ?, seq = ? WHERE id = ?", (to_unit, seq, visit_id))
        tx.execute("UPDATE visit_obstacles SET unit_id = ? WHERE visit_no = (SELECT no FROM visits WHERE id = ?)",
                   (to_unit, visit_id))
    # Obstacles belong to the unit of the visit that opened them, so they follow (and come back).
    obstacles.follow_visits(tx, [r[0] for r in rows])
    return [r[0] for r in rows]


def unmerge(tx: Tx, loser_id: str) -> dict:
    """Undo the merge that tombstoned ``loser_id``."""
    merge_row = tx.one(
        "SELECT * FROM merges WHERE loser_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
        (loser_id,),
    )
    loser = units.get_row(tx.db, loser_id)
    if loser is None:
        raise NotFound(f"No unit {loser_id}.")
    if merge_row is None or loser["merged_into"] != merge_row["winner_id"]:
        raise Conflict(f"Unit {loser_id} is not merged.")
    winner = units.get_row(tx.db, merge_row["winner_id"])
    if winner["merged_into"]:
        raise Conflict("The surviving unit was merged again since; unmerge that first.",
                       {"merged_into": winner["merged_into"]})
    units.require_in_scope(tx, winner["province_id"])
    units.require_in_scope(tx, loser["province_id"])
    record = json.loads(merge_row["fields_taken"])
    # The units whose edits landed on the winner through this merge: the loser, and those
    # merged into it before (their redirects went through it).
    named = [loser_id, *record["chained"]]
    edits = list(tx.db.query(
        f"SELECT * FROM redirected_edits WHERE unit_id = ? AND named_unit_id IN ({','.join('?' * len(named))})"
        " ORDER BY id", [winner["id"], *named]))
    restore = _winner_restore(winner, record, edits)
    if restore:
        units.set_fields(tx, winner, {f: value for f, (value, _) in restore.items()}, tx.at,
                         action="unit.unmerge_fields", stamps={f: meta for f, (_, meta) in restore.items()})

    loser_seq = tx.changed("unit", loser_id, [scope_of_province(loser["province_id"])])
    tx.execute("UPDATE units SET merged_into = NULL, seq = ?, updated_at = ? WHERE id = ?",
               (loser_seq, tx.at, loser_id))
    unit_index.reindex(tx, units.get_row(tx.db, loser_id))
    _give_back_edits(tx, loser_id, edits)
    # The visits the merge moved, and those recorded on the loser while it was merged.
    moved_back = _move_visits(tx, winner["id"], loser_id, only=record["visits"], named=loser_id)
    scopes = _redirect_scopes(tx, loser["province_id"], winner["province_id"])
    for from_id in record["chained"]:
        seq = tx.changed("redirect", from_id, scopes)
        tx.execute("UPDATE redirects SET to_id = ?, seq = ? WHERE from_id = ? AND to_id = ?",
                   (loser_id, seq, from_id, winner["id"]))
    seq = tx.changed("redirect", loser_id, scopes)
    tx.execute("UPDATE redirects SET to_id = NULL, seq = ? WHERE from_id = ?", (seq, loser_id))
    tx.execute("UPDATE merges SET undone_at = ?, undone_by = ? WHERE id = ?",
               (tx.at, tx.actor.user_id, merge_row["id"]))
    if not restore:
        _restamp(tx, winner)
    tx.audit("unit.unmerge", "unit", winner["id"], loser_id=loser_id, merge_id=merge_row["id"],
             fields_restored=sorted(restore), visits_moved_back=len(moved_back))
    return {"merge_id": merge_row["id"], "winner_id": winner["id"], "loser_id": loser_id,
            "fields_restored": sorted(restore), "visits_moved_back": len(moved_back)}
