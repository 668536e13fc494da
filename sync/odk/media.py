"""The files a form uses offline, made for the user who asks: what Collect keeps on the phone.

* ``units.csv`` — the **units entity list**: the live units of the user's provinces as
  ``name,label,__version`` and the properties the form reads (``__version`` is the unit's
  ``seq``, the ``baseVersion`` an edit is judged against);
* ``provinces.csv``, ``parks.csv`` — where a new unit may be registered;
* ``returned.csv`` — the user's visits sent back for revision, with the reviewer's comment.

Each file has a hash that changes when its content would (Collect fetches it again only
then). The integrity answer tells Collect which of the units it holds are gone for this
user: merged into another, moved out of their provinces, or never theirs.
"""

import csv
import hashlib
import io

from sync.console_queries import province_scope
from sync.odk.xlsform import PARKS_CSV, PROPERTIES, PROVINCES_CSV, RETURNED_CSV, UNITS_CSV
from sync.store import Actor

_UNIT_COLUMNS = ("name", "label", "__version", *PROPERTIES)


def _csv(rows, header) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _md5(data: bytes | str) -> str:
    return hashlib.md5(data.encode() if isinstance(data, str) else data).hexdigest()


def _unit_label(name: str, park: str | None) -> str:
    return f"{name} — {park}" if park else name


def units_csv(db, actor: Actor) -> bytes:
    where, params = province_scope(actor, "u.province_id")
    rows = db.execute(
        "SELECT u.id, u.name, p.name, u.seq, u.province_id, u.park_id, u.national_id, u.activity, u.status,"
        " u.employees, u.phone, u.owner FROM units u LEFT JOIN parks p ON p.id = u.park_id"
        f" WHERE u.merged_into IS NULL AND {where} ORDER BY u.name COLLATE fa, u.id", params)
    return _csv(([r[0], _unit_label(r[1], r[2]), r[3], r[1], *("" if v is None else v for v in r[4:])]
                 for r in rows), _UNIT_COLUMNS)


def _units_hash(db, actor: Actor) -> str:
    where, params = province_scope(actor, "province_id")
    # Any change of a unit in scope, and any unit leaving it, moves one of these.
    count, high = db.execute(f"SELECT count(*), coalesce(max(seq), 0) FROM units WHERE {where}", params).fetchone()
    return _md5(f"units|{sorted(actor.provinces)}|{actor.sees_all}|{count}|{high}")


def provinces_csv(db, actor: Actor) -> bytes:
    where, params = province_scope(actor, "id")
    return _csv(db.execute(f"SELECT id, name FROM provinces WHERE {where} ORDER BY name COLLATE fa", params).fetchall(),
                ("name", "label"))


def parks_csv(db, actor: Actor) -> bytes:
    where, params = province_scope(actor, "province_id")
    return _csv(db.execute(f"SELECT id, name, province_id FROM parks WHERE {where} ORDER BY name COLLATE fa",
                           params).fetchall(),
                ("name", "label", "province_id"))


def returned_csv(db, actor: Actor) -> bytes:
    rows = db.execute(
        "SELECT v.id, u.name, v.observed_at, v.review_comment, v.unit_id, v.version FROM visits v"
        " JOIN units u ON u.id = v.unit_id WHERE v.engineer_id = ? AND v.review_state = 'returned'"
        " ORDER BY v.observed_at", [actor.user_id]).fetchall()
    return _csv(([r[0], f"{r[1]} — {r[2][:10]} — {(r[3] or '')[:80]}", r[4], r[3] or "", r[5]] for r in rows),
                ("name", "label", "unit_id", "comment", "version"))


# name → (content, hash, is the entity list); plain files are hashed by content.
_FILES = {UNITS_CSV: units_csv, PROVINCES_CSV: provinces_csv, PARKS_CSV: parks_csv, RETURNED_CSV: returned_csv}
MEDIA = tuple(_FILES)


def content(db, actor: Actor, name: str) -> bytes | None:
    make = _FILES.get(name)
    return make(db, actor) if make else None


def manifest(db, actor: Actor) -> list[dict]:
    """``[{"name", "md5", "entity_list"}]`` for the form's media files."""
    return [{"name": name, "entity_list": name == UNITS_CSV,
             "md5": _units_hash(db, actor) if name == UNITS_CSV else _md5(make(db, actor))}
            for name, make in _FILES.items()]


def integrity(db, actor: Actor, ids: list[str]) -> list[tuple[str, bool]]:
    """(id, deleted) for each unit id Collect holds: deleted unless a live unit in scope."""
    found = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for unit_id, province, merged in db.execute(
                f"SELECT id, province_id, merged_into FROM units WHERE id IN ({marks})", chunk):
            found[unit_id] = merged is None and actor.can_see_province(province)
    return [(unit_id, not found.get(unit_id, False)) for unit_id in dict.fromkeys(ids)]
