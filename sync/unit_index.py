"""The blocking-key index of live units: ``unit_keys(key, unit_id)``.

Every write that changes a unit's fields re-indexes it, and a merged unit leaves the
index, so candidate finding (``sync/dedup_store.py``) reads a few short posting lists
instead of scanning units. The keys themselves come from the dedup engine
(``sync.dedup.keys``), the same functions batch mode uses.
"""

import dataclasses
import json

from sync.dedup import Unit, blocking_keys, prepare
from sync.dedup.keys import posting_cap, query_keys

_PLACES = ("SELECT (SELECT name FROM provinces WHERE id = ?), (SELECT name FROM cities WHERE id = ?),"
           " (SELECT name FROM parks WHERE id = ?)")


def engine_record(conn, row: dict) -> dict:
    """A unit row as the dedup engine reads records: places by name, location as lat/lon."""
    province, city, park = conn.execute(_PLACES, (row["province_id"], row["city_id"], row["park_id"])).fetchone()
    return {
        "id": row["id"], "name": row["name"], "national_id": row["national_id"],
        "license_no": row["license_no"], "province": province or "", "city": city or "", "park": park or "",
        "address": row["address"], "phone": row["phone"], "lat": row["lat"], "lon": row["lon"],
        "owner": row["owner"], "activity": row["activity"], "status": row["status"],
        "employees": row["employees"],
    }


def prepared(conn, row: dict) -> Unit:
    return prepare(engine_record(conn, row))


_UNIT_FIELDS = [(f.name, str(f.type)) for f in dataclasses.fields(Unit)]


def _dump(unit: Unit) -> str:
    values = [getattr(unit, name) for name, _ in _UNIT_FIELDS]
    return json.dumps([sorted(v) if isinstance(v, frozenset) else v for v in values], ensure_ascii=False)


def _load(text: str) -> Unit:
    values = json.loads(text)
    return Unit(*(tuple(v) if kind.startswith("tuple") else frozenset(v) if kind.startswith("frozenset") else v
                  for (_, kind), v in zip(_UNIT_FIELDS, values, strict=True)))


def write_index(conn, row: dict) -> None:
    """Index a live unit: its blocking keys and its prepared match keys."""
    unit = prepared(conn, row)
    conn.execute("DELETE FROM unit_keys WHERE unit_id = ?", (row["id"],))
    conn.executemany("INSERT INTO unit_keys (key, unit_id) VALUES (?, ?)",
                     [(k, row["id"]) for k in blocking_keys(unit)])
    conn.execute("INSERT OR REPLACE INTO unit_match (unit_id, province_id, data) VALUES (?, ?, ?)",
                 (row["id"], row["province_id"], _dump(unit)))


def reindex(tx, row: dict) -> None:
    """Index a unit as it now is (or drop it, when merged)."""
    if row["merged_into"]:
        drop(tx, row["id"])
    else:
        write_index(tx.db.conn, row)


def drop(tx, unit_id: str) -> None:
    tx.db.conn.execute("DELETE FROM unit_keys WHERE unit_id = ?", (unit_id,))
    tx.db.conn.execute("DELETE FROM unit_match WHERE unit_id = ?", (unit_id,))


def matchable(conn, unit_ids) -> list[tuple[int, Unit]]:
    """(province id, prepared match keys) of the given live units."""
    ids = list(unit_ids)
    if not ids:
        return []
    rows = conn.execute(f"SELECT province_id, data FROM unit_match WHERE unit_id IN ({','.join('?' * len(ids))})",
                        ids).fetchall()
    return [(province_id, _load(data)) for province_id, data in rows]


def candidate_ids(conn, unit, exclude: str) -> set[str]:
    """Live units sharing a selective key with the prepared ``unit``.

    A posting list longer than its cap is skipped: a key shared by that many units is
    not evidence, and reading it would make matching cost O(units).
    """
    keys = list(query_keys(unit))
    if not keys:
        return set()
    # One statement, one branch per key, each stopping after cap + 1 rows: a common key
    # costs little even at 100,000 units.
    branch = "SELECT * FROM (SELECT key, unit_id FROM unit_keys WHERE key = ? LIMIT ?)"
    params = [value for key in keys for value in (key, posting_cap(key) + 1)]
    rows = conn.execute(" UNION ALL ".join([branch] * len(keys)), params).fetchall()
    postings: dict[str, list[str]] = {}
    for key, unit_id in rows:
        postings.setdefault(key, []).append(unit_id)
    found = {u for key, ids in postings.items() if len(ids) <= posting_cap(key) for u in ids}
    found.discard(exclude)
    return found
