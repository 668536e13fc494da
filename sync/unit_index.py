"""The blocking-key index of live units: ``unit_keys(key, unit_id)``.

Every write that changes a unit's fields re-indexes it, and a merged unit leaves the
index, so candidate finding (``sync/dedup_store.py``) reads a few short posting lists
instead of scanning units. The keys themselves come from the dedup engine
(``sync.dedup.keys``), the same functions batch mode uses.
"""

from sync.dedup import blocking_keys, prepare
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


def prepared(conn, row: dict):
    return prepare(engine_record(conn, row))


def keys_of(conn, row: dict) -> set[str]:
    return blocking_keys(prepared(conn, row))


def write_keys(conn, unit_id: str, keys: set[str]) -> None:
    conn.execute("DELETE FROM unit_keys WHERE unit_id = ?", (unit_id,))
    conn.executemany("INSERT INTO unit_keys (key, unit_id) VALUES (?, ?)", [(k, unit_id) for k in keys])


def reindex(tx, row: dict) -> None:
    """Index a unit as it now is (or drop it, when merged)."""
    if row["merged_into"]:
        drop(tx, row["id"])
    else:
        write_keys(tx.db.conn, row["id"], keys_of(tx.db.conn, row))


def drop(tx, unit_id: str) -> None:
    tx.db.conn.execute("DELETE FROM unit_keys WHERE unit_id = ?", (unit_id,))


def candidate_ids(conn, unit, exclude: str) -> set[str]:
    """Live units sharing a selective key with the prepared ``unit``.

    A posting list longer than its cap is skipped: a key shared by that many units is
    not evidence, and reading it would make matching cost O(units).
    """
    found: set[str] = set()
    for key in query_keys(unit):
        cap = posting_cap(key)
        ids = [r[0] for r in conn.execute("SELECT unit_id FROM unit_keys WHERE key = ? LIMIT ?", (key, cap + 1))]
        if len(ids) <= cap:
            found.update(ids)
    found.discard(exclude)
    return found
