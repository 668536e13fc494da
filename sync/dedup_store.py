"""Deduplication against the store: at sync time, over the whole store, and the queue.

* :func:`match` runs right after a push (or an import) writes a unit: candidates come
  from the blocking-key index (``sync/unit_index.py``), each is scored by the dedup
  engine; a sure match in the same province is merged with the one merge function
  (``sync/merge.py``), a likely one is queued for a supervisor.
* :func:`rescan` runs the batch engine (with its anti-chaining clustering) over every
  live unit.
* The queue: :func:`list_candidates`, :func:`candidate_detail`, :func:`decide` (merge,
  distinct — remembered and never proposed again — or unmerge).
"""

import json
from collections.abc import Callable

from sync import merge, unit_index, units
from sync.dedup import decide as judge
from sync.dedup import deduplicate, scoring
from sync.errors import Conflict, Invalid, NotFound
from sync.store import SYSTEM, Actor, Tx, write

DECISIONS = ("merge", "distinct", "unmerge", "reopen")


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _pair(tx_or_db, a: str, b: str) -> dict | None:
    conn = getattr(tx_or_db, "db", tx_or_db).conn
    cursor = conn.execute("SELECT * FROM dedup_candidates WHERE unit_a = ? AND unit_b = ?", _ordered(a, b))
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row, strict=True)) if row else None


def _record(tx: Tx, a: str, b: str, decision, status: str, source: str, merge_id=None) -> int | None:
    """Insert or refresh the candidate pair (a, b); a pair judged distinct is never touched."""
    existing = _pair(tx, a, b)
    if existing and existing["status"] in ("distinct", "merged"):
        return existing["id"]
    values = (decision.score, decision.verdict, json.dumps(decision.features, ensure_ascii=False),
              json.dumps(decision.reasons, ensure_ascii=False), status, tx.at, merge_id)
    if existing:
        tx.execute("UPDATE dedup_candidates SET score = ?, verdict = ?, features = ?, reasons = ?, status = ?,"
                   " updated_at = ?, merge_id = ? WHERE id = ?", (*values, existing["id"]))
        return existing["id"]
    first, second = _ordered(a, b)
    cursor = tx.execute(
        "INSERT INTO dedup_candidates (unit_a, unit_b, score, verdict, features, reasons, status, updated_at,"
        " merge_id, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (first, second, *values, source, tx.at))
    return cursor.lastrowid


def survivor(conn, row: dict, other: dict) -> tuple[dict, dict]:
    """(winner, loser): the older record survives — devices and supervisors know it already."""
    def age(unit):  # rowid breaks ties between records created in the same millisecond
        return unit["created_at"], conn.execute("SELECT rowid FROM units WHERE id = ?", (unit["id"],)).fetchone()[0]

    return (row, other) if age(row) <= age(other) else (other, row)


def likely_duplicates(db, row: dict) -> list[tuple]:
    """(decision, other unit row) for every live unit the engine does not call distinct from
    ``row``, best first; pairs a supervisor marked distinct are left out. Reads only."""
    conn = db.conn
    me = unit_index.prepared(conn, row)
    me.commonness = unit_index.commonness(conn, me)
    found = unit_index.candidates(conn, me, exclude=row["id"])
    if not found:
        return []
    distinct = {a if b == row["id"] else b for a, b in conn.execute(
        "SELECT unit_a, unit_b FROM dedup_candidates WHERE status = 'distinct' AND (unit_a = ? OR unit_b = ?)",
        (row["id"], row["id"]))}
    contenders = []
    for them in (unit for unit_id, unit in found.items() if unit_id not in distinct):
        # The engine's cheap bound first; the full explained decision only for real contenders.
        if scoring.quick_score(me, them, scoring.REVIEW_THRESHOLD) is None:
            continue
        decision = judge(me, them)
        if decision.verdict != scoring.DISTINCT:
            contenders.append((decision, them.id))
    if not contenders:
        return []
    others = {r["id"]: r for r in db.query(
        f"SELECT * FROM units WHERE id IN ({','.join('?' * len(contenders))})", [i for _, i in contenders])}
    return sorted(((d, others[i]) for d, i in contenders), key=lambda pair: -pair[0].score)


def match(tx: Tx, unit_id: str, source: str = "sync") -> dict | None:
    """Compare a just-written unit with the stored ones; merge when sure, queue when not.

    Returns ``None`` when nothing looks alike, ``{"merged_into", "score", "candidate_id"}``
    after an automatic merge, or ``{"review": [candidate ids]}`` when pairs were queued.
    """
    conn = tx.db.conn
    row = units.get_row(tx.db, unit_id)
    if row is None or row["merged_into"]:
        return None
    scored = likely_duplicates(tx.db, row)
    if not scored:
        return None
    sure = [(d, o) for d, o in scored if d.verdict == scoring.MERGE and o["province_id"] == row["province_id"]
            and tx.actor.can_see_province(o["province_id"])]
    if sure:
        decision, other = sure[0]
        winner, loser = survivor(conn, row, other)
        done = merge.merge(tx, loser["id"], winner["id"], reason=f"dedup:{source}",
                           details={"score": decision.score})
        candidate = _record(tx, loser["id"], winner["id"], decision, "merged", source, done["merge_id"])
        return {"merged_into": winner["id"], "merged_from": loser["id"], "score": decision.score,
                "candidate_id": candidate}
    queued = [_record(tx, unit_id, other["id"], decision, "pending", source) for decision, other in scored]
    tx.audit("dedup.queue", "unit", unit_id, candidates=queued, source=source)
    return {"review": queued}


# --- the supervisors' queue ---------------------------------------------------------------

def _scope(actor: Actor) -> tuple[str, list]:
    if actor.sees_all:
        return "1 = 1", []
    provinces = sorted(actor.provinces)
    marks = ",".join("?" * len(provinces))
    return f"a.province_id IN ({marks}) AND b.province_id IN ({marks})", provinces + provinces


_PAIR_SQL = ("FROM dedup_candidates c JOIN units a ON a.id = c.unit_a JOIN units b ON b.id = c.unit_b"
             " WHERE {scope}")


def _view(row: dict) -> dict:
    return {**row, "features": json.loads(row["features"]), "reasons": json.loads(row["reasons"])}


def list_candidates(db, actor: Actor, status: str = "pending", province_id: int | None = None,
                    limit: int = 50, offset: int = 0, unit_id: str | None = None) -> dict:
    """Candidate pairs the actor may decide, best first (``unit_id``: only pairs with that
    unit). Pending pairs whose units were merged away meanwhile are left out."""
    scope, params = _scope(actor)
    where = _PAIR_SQL.format(scope=scope) + " AND c.status = ?"
    params = [*params, status]
    if status == "pending":
        where += " AND a.merged_into IS NULL AND b.merged_into IS NULL"
    if province_id is not None:
        where += " AND (a.province_id = ? OR b.province_id = ?)"
        params += [province_id, province_id]
    if unit_id is not None:
        where += " AND (c.unit_a = ? OR c.unit_b = ?)"
        params += [unit_id, unit_id]
    total = db.execute(f"SELECT count(*) {where}", params).fetchone()[0]
    rows = db.query(f"SELECT c.* {where} ORDER BY c.score DESC, c.id LIMIT ? OFFSET ?", [*params, limit, offset])
    return {"items": [_view(r) for r in rows], "total": total}


def _get(db, actor: Actor, candidate_id: int) -> dict:
    scope, params = _scope(actor)
    rows = list(db.query(f"SELECT c.* {_PAIR_SQL.format(scope=scope)} AND c.id = ?", [*params, candidate_id]))
    if not rows:
        raise NotFound(f"No duplicate candidate {candidate_id}.")
    return rows[0]


def candidate_detail(db, actor: Actor, candidate_id: int) -> dict:
    """A pair side by side: both units, which fields agree and differ, and the explanation."""
    row = _view(_get(db, actor, candidate_id))
    a, b = units.get(db, row["unit_a"]), units.get(db, row["unit_b"])
    comparison = {field: "same" if a[field] == b[field] else
                  "missing" if a[field] in (None, "") or b[field] in (None, "") else "different"
                  for field in units.FIELDS}
    return {**row, "units": [a, b], "fields": comparison}


def _choices(values: dict | None, winner: dict, loser: dict) -> dict[str, str]:
    """``values`` (field → the id of the record whose value the merged unit keeps) as
    :func:`sync.merge.plan` takes them (field → ``"winner"``/``"loser"``)."""
    choose, errors = {}, {}
    for field, unit_id in (values or {}).items():
        if field not in units.FIELDS:
            errors[f"values.{field}"] = ["Not a unit field."]
        elif unit_id not in (winner["id"], loser["id"]):
            errors[f"values.{field}"] = ["Must be one of the pair."]
        else:
            choose[field] = "winner" if unit_id == winner["id"] else "loser"
    if errors:
        raise Invalid(errors)
    return choose


def decide(tx: Tx, candidate_id: int, decision: str, winner_id: str | None = None,
           values: dict | None = None) -> dict:
    """A supervisor's decision on a pair: ``merge`` (``values`` may pick, per field, which
    record's value the merged unit keeps), ``distinct``, ``unmerge``, or ``reopen`` (take back
    a "not the same": the pair waits for a decision again)."""
    row = _get(tx.db, tx.actor, candidate_id)
    a, b = units.get_row(tx.db, row["unit_a"]), units.get_row(tx.db, row["unit_b"])
    result = {"candidate_id": candidate_id, "decision": decision}
    if decision == "merge":
        if a["merged_into"] or b["merged_into"]:
            raise Conflict("One of these units was merged meanwhile; decide on the surviving unit.")
        if winner_id not in (None, a["id"], b["id"]):
            raise Invalid({"winner_id": ["Must be one of the pair."]})
        if winner_id is None:
            winner, loser = survivor(tx.db.conn, a, b)
        else:
            winner, loser = (a, b) if winner_id == a["id"] else (b, a)
        done = merge.merge(tx, loser["id"], winner["id"], reason="dedup:supervisor",
                           details={"candidate_id": candidate_id}, choose=_choices(values, winner, loser))
        tx.execute("UPDATE dedup_candidates SET status = 'merged', merge_id = ?, decided_by = ?, decided_at = ?,"
                   " updated_at = ? WHERE id = ?", (done["merge_id"], tx.actor.user_id, tx.at, tx.at, candidate_id))
        result["merge"] = done
    elif decision == "distinct":
        if row["status"] not in ("pending", "distinct"):
            raise Conflict(f"This pair is {row['status']}; only a pair waiting for a decision can be marked "
                           "not the same.")
        _mark_distinct(tx, candidate_id)
    elif decision == "reopen":
        if row["status"] != "distinct":
            raise Conflict(f"This pair is {row['status']}; only a pair marked not the same can be reopened.")
        if a["merged_into"] or b["merged_into"]:
            raise Conflict("One of these units was merged meanwhile; decide on the surviving unit.")
        # Scored afresh: a pair remembered by an unmerge was never scored, and the units may
        # have changed since.
        conn = tx.db.conn
        me, them = unit_index.prepared(conn, a), unit_index.prepared(conn, b)
        me.commonness, them.commonness = unit_index.commonness(conn, me), unit_index.commonness(conn, them)
        fresh = judge(me, them)
        tx.execute("UPDATE dedup_candidates SET status = 'pending', decided_by = NULL, decided_at = NULL,"
                   " score = ?, verdict = ?, features = ?, reasons = ?, updated_at = ? WHERE id = ?",
                   (fresh.score, scoring.REVIEW if fresh.verdict == scoring.MERGE else fresh.verdict,
                    json.dumps(fresh.features, ensure_ascii=False), json.dumps(fresh.reasons, ensure_ascii=False),
                    tx.at, candidate_id))
    elif decision == "unmerge":
        loser = a if a["merged_into"] == b["id"] else b if b["merged_into"] == a["id"] else None
        if loser is None:
            raise Conflict("These two units are not merged into one another.")
        result["unmerge"] = merge.unmerge(tx, loser["id"])
        _mark_distinct(tx, candidate_id)
    else:
        raise Invalid({"decision": [f"One of: {', '.join(DECISIONS)}."]})
    tx.audit(f"dedup.{decision}", "dedup_candidate", candidate_id, unit_a=a["id"], unit_b=b["id"])
    return result


def _mark_distinct(tx: Tx, candidate_id: int) -> None:
    tx.execute("UPDATE dedup_candidates SET status = 'distinct', decided_by = ?, decided_at = ?, updated_at = ?"
               " WHERE id = ?", (tx.actor.user_id, tx.at, tx.at, candidate_id))


def unmerge(tx: Tx, loser_id: str) -> dict:
    """Undo a merge and remember the two records as different units."""
    done = merge.unmerge(tx, loser_id)
    pair = _pair(tx, done["loser_id"], done["winner_id"])
    if pair:
        _mark_distinct(tx, pair["id"])
    else:
        tx.execute(
            "INSERT INTO dedup_candidates (unit_a, unit_b, score, verdict, features, reasons, status, source,"
            " created_at, updated_at, decided_by, decided_at) VALUES (?, ?, 0, 'review', '{}', '[]', 'distinct',"
            " 'unmerge', ?, ?, ?, ?)", (*_ordered(done["loser_id"], done["winner_id"]), tx.at, tx.at,
                                        tx.actor.user_id, tx.at))
    return done


# --- the whole store ----------------------------------------------------------------------

def rescan(db, now, progress: Callable[[str, int, int], None] | None = None, actor: Actor = SYSTEM) -> dict:
    """Run the batch engine over every live unit; merge its clusters, queue its review pairs."""
    rows = list(db.query("SELECT * FROM units WHERE merged_into IS NULL ORDER BY created_at, rowid"))
    records = [unit_index.engine_record(db.conn, r) for r in rows]
    result = deduplicate(records, progress or (lambda *_: None))
    by_id = {r["id"]: r for r in rows}
    clusters: dict[str, list[dict]] = {}
    for row, label in zip(rows, result.labels, strict=True):
        clusters.setdefault(label, []).append(row)
    merged = queued = 0
    for members in clusters.values():
        if len(members) < 2:
            continue
        root = members[0]  # oldest: rows are ordered by creation
        with write(db, now, actor) as tx:
            for member in members[1:]:
                known = _pair(tx, root["id"], member["id"])
                if known and known["status"] == "distinct" or member["province_id"] != root["province_id"]:
                    continue
                decision = judge(unit_index.prepared(db.conn, root), unit_index.prepared(db.conn, member))
                done = merge.merge(tx, member["id"], root["id"], reason="dedup:rescan",
                                   details={"score": decision.score})
                _record(tx, member["id"], root["id"], decision, "merged", "rescan", done["merge_id"])
                merged += 1
    with write(db, now, actor) as tx:
        seen = set()
        for i, j, _score in result.review:
            a, b = by_id[records[i]["id"]], by_id[records[j]["id"]]
            a_now, b_now = units.resolve(tx.db, a["id"]), units.resolve(tx.db, b["id"])
            if a_now == b_now or _ordered(a_now, b_now) in seen:
                continue
            seen.add(_ordered(a_now, b_now))
            decision = judge(unit_index.prepared(db.conn, units.get_row(tx.db, a_now)),
                             unit_index.prepared(db.conn, units.get_row(tx.db, b_now)))
            if decision.verdict != scoring.DISTINCT:
                _record(tx, a_now, b_now, decision, "pending", "rescan")
                queued += 1
        tx.audit("dedup.rescan", "store", None, units=len(rows), merged=merged, queued=queued)
    return {"units": len(rows), "merged": merged, "queued": queued, "clusters": result.stats.get("clusters")}
