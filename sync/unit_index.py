"""The blocking-key index of live units: ``unit_keys(key, unit_id)``, ``name_counts`` and
``unit_match`` (each unit's prepared match keys).

Every write that changes a unit's fields re-indexes it, and a merged unit leaves the
index, so candidate finding (``sync/dedup_store.py``) reads a few short posting lists
instead of scanning units. The keys themselves come from the dedup engine
(``sync.dedup.keys``), the same functions batch mode uses.
"""

import dataclasses
import functools
import hashlib
import json

from sync.dedup import Unit, prepare
from sync.dedup.generator import Config, generate
from sync.dedup.keys import candidate_ids, commonness_of, count_keys, posting_cap, unit_keys

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


_TOTAL = "#units"  # the count of live indexed units, kept under this key of name_counts


def _count(conn, keys: list[str], step: int) -> None:
    conn.executemany("INSERT INTO name_counts (key, n) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET n = n + ?",
                     [(k, step, step) for k in [*keys, _TOTAL]])


def write_index(conn, row: dict) -> None:
    """Index a live unit: its blocking keys, its counted keys and its prepared match keys."""
    unit = prepared(conn, row)
    drop_index(conn, row["id"])
    conn.executemany("INSERT INTO unit_keys (key, unit_id) VALUES (?, ?)",
                     [(k, row["id"]) for k in dict.fromkeys(unit_keys(unit)[0])])
    _count(conn, count_keys(unit), +1)
    conn.execute("INSERT INTO unit_match (unit_id, province_id, data) VALUES (?, ?, ?)",
                 (row["id"], row["province_id"], _dump(unit)))


def drop_index(conn, unit_id: str) -> None:
    old = conn.execute("SELECT data FROM unit_match WHERE unit_id = ?", (unit_id,)).fetchone()
    if old is None:
        return
    _count(conn, count_keys(_load(old[0])), -1)
    conn.execute("DELETE FROM unit_keys WHERE unit_id = ?", (unit_id,))
    conn.execute("DELETE FROM unit_match WHERE unit_id = ?", (unit_id,))


def reindex(tx, row: dict) -> None:
    """Index a unit as it now is (or drop it, when merged)."""
    if row["merged_into"]:
        drop_index(tx.db.conn, row["id"])
    else:
        write_index(tx.db.conn, row)


def drop(tx, unit_id: str) -> None:
    drop_index(tx.db.conn, unit_id)


def commonness(conn, unit: Unit) -> float:
    """The engine's name commonness of a unit being matched, from the kept counts (mirrors
    ``sync.dedup.incremental.MemoryIndex.commonness``; here the unit is already counted)."""
    wanted = [*count_keys(unit), _TOTAL]
    marks = ",".join("?" * len(wanted))
    counts = dict(conn.execute(f"SELECT key, n FROM name_counts WHERE key IN ({marks})", wanted).fetchall())
    return commonness_of(unit, lambda key: max(counts.get(key, 0), 1), max(counts.get(_TOTAL, 0), 1))


def _loaded(conn, unit_ids) -> dict:
    ids = list(unit_ids)
    if not ids:
        return {}
    rows = conn.execute(f"SELECT unit_id, data FROM unit_match WHERE unit_id IN ({','.join('?' * len(ids))})",
                        ids).fetchall()
    return {unit_id: _load(data) for unit_id, data in rows}


def candidates(conn, unit: Unit, exclude: str) -> dict:
    """Live units worth scoring against the prepared ``unit``: id -> prepared match keys.

    Mirrors ``sync.dedup.incremental.MemoryIndex.match``: the posting lists of the unit's
    query keys, each skipped when longer than its cap (a key shared by that many units is
    not evidence, and reading it would make matching cost O(units)), then the engine's
    candidate policy (a pair sharing only a weak key must also look plausible).
    """
    keys = list(dict.fromkeys(unit_keys(unit)[1]))
    if not keys:
        return {}
    # One statement, one branch per key, each stopping after cap + 1 rows: a common key
    # costs little even at 100,000 units.
    branch = "SELECT * FROM (SELECT key, unit_id FROM unit_keys WHERE key = ? LIMIT ?)"
    params = [value for key in keys for value in (key, posting_cap(key) + 1)]
    postings: dict[str, list[str]] = {}
    for key, unit_id in conn.execute(" UNION ALL ".join([branch] * len(keys)), params):
        postings.setdefault(key, []).append(unit_id)
    lists = [(key, ids) for key, ids in postings.items() if len(ids) <= posting_cap(key)]
    every = {i for _, ids in lists for i in ids} - {exclude}
    loaded = _loaded(conn, every)
    found = candidate_ids(unit, lists, loaded.__getitem__, lambda other: other in loaded)
    return {i: loaded[i] for i in found}


# --- keeping the index in step with the engine -------------------------------------------

_ENGINE_KEY = "match_engine"  # meta key: the fingerprint of the engine that built the index


@functools.lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """What the dedup engine makes of a fixed sample of generated records, hashed.

    Normalisation, keys and prepared records change as the engine improves; an index built
    by an older engine then holds keys the new one never asks for (its units drop out of
    matching) and prepared records it cannot read. The sample is generated from a fixed
    seed, so the fingerprint changes exactly when the engine's output does.
    """
    records, _ = generate(Config(size=300, seed=20261126, noise=1.5, malformed=0.05))
    digest = hashlib.sha256(json.dumps(_UNIT_FIELDS).encode())
    for record in records:
        unit = prepare(record)
        blocking, query = unit_keys(unit)
        digest.update(json.dumps([_dump(unit), sorted(set(blocking)), sorted(set(query)),
                                  sorted(count_keys(unit))], ensure_ascii=False).encode())
    return digest.hexdigest()


def stale(conn) -> bool:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_ENGINE_KEY,)).fetchone()
    return row is None or row[0] != engine_fingerprint()


def rebuild(conn) -> int:
    """Index every live unit afresh with the current engine; returns how many. Call inside a
    write transaction: it changes no synced data, only the index beside it."""
    conn.execute("DELETE FROM unit_keys")
    conn.execute("DELETE FROM unit_match")
    conn.execute("DELETE FROM name_counts")
    cursor = conn.execute("SELECT * FROM units WHERE merged_into IS NULL ORDER BY rowid")
    names = [d[0] for d in cursor.description]
    count = 0
    for values in cursor.fetchall():
        write_index(conn, dict(zip(names, values, strict=True)))
        count += 1
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (_ENGINE_KEY, engine_fingerprint()))
    return count

