"""Visits: a site checklist filled on a device, checked against its template version.

A received version never changes. When a supervisor sends a visit back (``returned``),
its engineer pushes a revision: version n+1 is stored beside the earlier ones, which stay
readable (:func:`versions`). The review rules live in :mod:`sync.review`; this module keeps
the visit rows, their versions and their thread of events (comments and state changes).
"""

import json

from sync import checklists, days, obstacles, units
from sync.errors import Conflict, Forbidden, Invalid, NotFound
from sync.store import Tx, scope_of_user


def get_row(db, visit_id: str, columns: str = "*") -> dict | None:
    rows = list(db.query(f"SELECT {columns} FROM visits WHERE id = ?", [visit_id]))
    return rows[0] if rows else None


def _require_row(db, visit_id: str) -> dict:
    row = get_row(db, visit_id)
    if row is None:
        raise NotFound(f"No visit {visit_id}.", {"fields": {"visit_id": ["Unknown visit."]}})
    return row


# A visit's rows are found by its number (``visits.no``, given in arrival order), not by its
# UUID: their indexes then grow at the end (migration 14).
_NO = "(SELECT no FROM visits WHERE id = ?)"


def _stored_content(db, visit_id: str, version: int) -> str:
    return db.execute(f"SELECT content FROM visit_versions WHERE visit_no = {_NO} AND version = ?",
                      [visit_id, version]).fetchone()[0]


def number_of(db, visit_id: str) -> int:
    return db.execute("SELECT no FROM visits WHERE id = ?", [visit_id]).fetchone()[0]


def _next_number(tx: Tx) -> int:
    return tx.execute("SELECT coalesce(max(no), 0) + 1 FROM visits").fetchone()[0]


def _same_as_stored(tx: Tx, visit: dict, row: dict, version: int) -> bool:
    """Is ``visit`` the content already stored as ``version`` (a resend), by the same engineer?"""
    if row["engineer_id"] != tx.actor.user_id:
        return False
    try:
        checked = checklists.check_visit(tx.db, visit, row["unit_id"], row["id"], version)
    except Invalid:
        return False  # what was stored passed these checks, so this is other content
    stored = _stored_content(tx.db, row["id"], version)
    return stored == checked["text"] or stored == checklists.legacy_content_text(checked["content"])


def _store_version(tx: Tx, visit_id: str, visit_no: int, version: int, unit_id: str, checked: dict,
                   observed_at: str) -> None:
    content = checked["content"]
    tx.execute(
        "INSERT INTO visit_versions (visit_id, visit_no, version, content, received_at, device_id, observed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (visit_id, visit_no, version, checked["text"], tx.at, tx.actor.device_id, observed_at),
    )
    obstacles.write_records(tx, visit_id, visit_no, version, unit_id, content["obstacles"])
    if checked["photos"]:
        tx.db.conn.executemany(
            "INSERT INTO visit_attachments (visit_id, visit_no, version, sha256) VALUES (?, ?, ?, ?)",
            [(visit_id, visit_no, version, sha) for sha in checked["photos"]])


def add_event(tx: Tx, visit_id: str, kind: str, version: int, action: str | None = None,
              from_state: str | None = None, to_state: str | None = None, text: str | None = None,
              visit_no: int | None = None) -> int:
    """Append to a visit's thread: ``kind`` is ``state`` (with action and states) or ``comment``.
    Returns the event's id (``events(db, [visit_id], event_id=…)`` reads it back)."""
    cursor = tx.execute(
        "INSERT INTO visit_events (visit_id, visit_no, at, user_id, kind, action, from_state, to_state, version,"
        " text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (visit_id, visit_no if visit_no is not None else number_of(tx.db, visit_id), tx.at, tx.actor.user_id, kind,
         action, from_state, to_state, version, text))
    return cursor.lastrowid


def events(db, visit_ids: list[str], event_id: int | None = None) -> dict[str, list[dict]]:
    """The threads of these visits (visit id → events in time order), with each author's name."""
    found: dict[str, list[dict]] = {v: [] for v in visit_ids}
    if not visit_ids:
        return found
    marks = ",".join("?" * len(visit_ids))
    extra = " AND e.id = ?" if event_id is not None else ""
    rows = db.query(
        "SELECT e.*, coalesce(nullif(u.full_name, ''), u.username) AS user_name, u.role AS user_role"
        f" FROM visit_events e LEFT JOIN users u ON u.id = e.user_id"
        f" WHERE e.visit_no IN (SELECT no FROM visits WHERE id IN ({marks})){extra}"
        " ORDER BY e.id", [*visit_ids, *([event_id] if event_id is not None else [])])
    for row in rows:
        found[row["visit_id"]].append(row)
    return found


def _set_observed(checked: dict) -> tuple:
    observed = checked["observed"]
    return observed["status"], observed["employees"], observed["capacity"]


def create(tx: Tx, visit: dict, observed_at: str, observed_at_device: str) -> dict:
    """Store a visit recorded on ``tx.actor``'s device; returns ``{"visit_id", "unit_id", ...}``.

    ``visit`` is a loaded CreateVisitSchema mutation. Its content is checked against the
    template version it names and the obstacle taxonomy (:func:`sync.checklists.check_visit`).
    """
    # Only what a resend is told apart by: every push asks this for every visit.
    existing = get_row(tx.db, visit["visit_id"], "id, unit_id, engineer_id")
    if existing:
        if _same_as_stored(tx, visit, existing, 1):
            # The same visit sent again under another mutation id (a reinstalled app, say):
            # nothing new to store, and the device needs the same answer as the first time.
            return {"visit_id": existing["id"], "unit_id": existing["unit_id"], "redirected_from": None}
        raise Conflict("A visit with this id already exists; visits are immutable once received.",
                       {"fields": {"visit_id": ["Already used by another visit."]}})
    unit = units.survivor_row(tx.db, visit["unit_id"], "id, province_id, merged_into")
    if unit is None:
        raise NotFound(f"No unit {visit['unit_id']}.", {"fields": {"unit_id": ["Unknown unit."]}})
    unit_id = unit["id"]
    units.require_in_scope(tx, unit["province_id"])
    checked = checklists.check_visit(tx.db, visit, unit_id, visit["visit_id"], 1)
    content = checked["content"]
    seq = tx.changed("visit", visit["visit_id"], [scope_of_user(tx.actor.user_id)])
    location = content["location"] or {}
    number = _next_number(tx)
    tx.execute(
        "INSERT INTO visits (id, no, unit_id, original_unit_id, engineer_id, device_id, province_id,"
        " template_code, template_version, observed_at, observed_at_device, received_at, lat, lon,"
        " version, review_state, seq, observed_status, observed_employees, observed_capacity)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'submitted', ?, ?, ?, ?)",
        # original_unit_id: the unit the engineer named, so that undoing the merge that
        # redirected this visit gives it back to the unit it was made at.
        (visit["visit_id"], number, unit_id, visit["unit_id"], tx.actor.user_id, tx.actor.device_id,
         unit["province_id"], content["template"]["code"], content["template"]["version"], observed_at,
         observed_at_device, tx.at, location.get("lat"), location.get("lon"), seq, *_set_observed(checked)),
    )
    _store_version(tx, visit["visit_id"], number, 1, unit_id, checked, observed_at)
    add_event(tx, visit["visit_id"], "state", 1, action="submit", to_state="submitted", visit_no=number)
    # An obstacle the store knows is rebuilt from all its records; a new one's state is this
    # visit's record (see obstacles.add_new).
    # The ids the visit named were looked up while checking it; only those given to unnamed
    # obstacles (sync.obstacles.with_ids) are still to look for.
    named, held = checked["looked_up"]
    known = held | obstacles.known(tx.db, [o["obstacle_id"] for o in content["obstacles"]
                                           if o["obstacle_id"] not in named])
    obstacles.add_new(tx, [o for o in content["obstacles"] if o["obstacle_id"] not in known],
                      visit["visit_id"], unit_id, unit["province_id"], observed_at)
    obstacles.refresh(tx, known)
    tx.audit("visit.create", "visit", visit["visit_id"], unit_id=unit_id,
             template=content["template"], attachments=len(checked["photos"]))
    return {"visit_id": visit["visit_id"], "unit_id": unit_id,
            "redirected_from": visit["unit_id"] if unit_id != visit["unit_id"] else None}


def revise(tx: Tx, revision: dict, observed_at: str) -> dict:
    """Store the engineer's fix of a returned visit as its next version, submitted again.

    ``revision`` is a loaded ReviseVisitSchema mutation (visit_id, base_version, the new
    content, an optional ``comment`` for the reviewer). Only the visit's own engineer may
    revise it, only while it is ``returned``, and only from the version they were shown.
    """
    row = _require_row(tx.db, revision["visit_id"])
    if row["engineer_id"] != tx.actor.user_id:
        raise Forbidden("Only the engineer who recorded a visit can revise it.",
                        {"fields": {"visit_id": ["Not your visit."]}})
    if (row["review_state"] == "submitted" and row["version"] == revision["base_version"] + 1
            and _same_as_stored(tx, revision, row, row["version"])):
        return {"visit_id": row["id"], "unit_id": row["unit_id"], "version": row["version"]}
    if row["review_state"] != "returned":
        raise Conflict(f"The visit is {row['review_state']}; only a visit sent back for revision "
                       "(returned) can be revised.", {"fields": {"visit_id": [
                           f"The visit is {row['review_state']}, not returned."]}})
    if revision["base_version"] != row["version"]:
        raise Conflict("The visit changed since the device last saw it; pull and revise again.",
                       {"fields": {"base_version": [f"The visit is at version {row['version']}."]}})
    version = row["version"] + 1
    checked = checklists.check_visit(tx.db, revision, row["unit_id"], row["id"], version)
    content = checked["content"]
    before = obstacles.ids_of_visits(tx.db, [row["id"]])
    seq = tx.changed("visit", row["id"], [scope_of_user(row["engineer_id"])])
    location = content["location"] or {}
    tx.execute(
        "UPDATE visits SET version = ?, review_state = 'submitted', template_code = ?,"
        " template_version = ?, lat = ?, lon = ?, observed_status = ?, observed_employees = ?,"
        " observed_capacity = ?, seq = ? WHERE id = ?",
        (version, content["template"]["code"], content["template"]["version"], location.get("lat"),
         location.get("lon"), *_set_observed(checked), seq, row["id"]))
    _store_version(tx, row["id"], row["no"], version, row["unit_id"], checked, observed_at)
    add_event(tx, row["id"], "state", version, action="revise", from_state="returned", visit_no=row["no"],
              to_state="submitted", text=(revision.get("comment") or "").strip() or None)
    obstacles.refresh(tx, before + [o["obstacle_id"] for o in content["obstacles"]])
    tx.audit("visit.revise", "visit", row["id"], version=version, template=content["template"])
    return {"visit_id": row["id"], "unit_id": row["unit_id"], "version": version}


_THREAD_KEYS = ("id", "at", "kind", "action", "from_state", "to_state", "version", "text", "user_id",
                "user_name", "user_role")


def thread_entry(event: dict) -> dict:
    """One event of a visit's thread as served to devices, the API and the console."""
    return {k: event[k] for k in _THREAD_KEYS}


def outcome(row: dict, thread: list[dict] | None = None, content: dict | None = None) -> dict:
    """What the engineer's device learns about its visit through pull.

    ``review_comment`` is the reviewer's comment on the last decision; ``thread`` every
    comment and state change; ``content`` (answers, obstacles…) comes with a returned visit
    so that any of the engineer's devices can fix it.
    """
    result = {
        "id": row["id"],
        "unit_id": row["unit_id"],
        "version": row["version"],
        "review_state": row["review_state"],
        "review_comment": row["review_comment"],
        "reviewed_at": row["reviewed_at"],
        "template": ({"code": row["template_code"], "version": row["template_version"]}
                     if row["template_code"] else None),
        "seq": row["seq"],
    }
    if thread is not None:
        result["thread"] = [thread_entry(e) for e in thread]
    if content is not None:
        result["content"] = content
    return result


def outcomes(db, ids: list[str]) -> list[dict]:
    """Pull loader body: the outcome of each visit, with its thread (and content if returned)."""
    marks = ",".join("?" * len(ids))
    rows = {r["id"]: r for r in db.query(f"SELECT * FROM visits WHERE id IN ({marks})", ids)}
    threads = events(db, ids)
    result = []
    for visit_id in ids:
        row = rows[visit_id]
        content = (json.loads(_stored_content(db, visit_id, row["version"]))
                   if row["review_state"] == "returned" else None)
        result.append(outcome(row, threads[visit_id], content))
    return result


def missing_attachments(db, visit_id: str, version: int) -> list[str]:
    """Hashes the visit refers to whose bytes its engineer has not sent (complete)."""
    return [r[0] for r in db.execute(
        "SELECT va.sha256 FROM visit_attachments va JOIN visits v ON v.no = va.visit_no"
        " LEFT JOIN attachment_owners o ON o.sha256 = va.sha256 AND o.user_id = v.engineer_id"
        f" WHERE va.visit_no = {_NO} AND va.version = ? AND o.sha256 IS NULL ORDER BY va.sha256",
        [visit_id, version])]


def detail(db, visit_id: str) -> dict:
    """A visit with its current content, for supervisors and the API."""
    row = get_row(db, visit_id)
    if row is None:
        raise NotFound(f"No visit {visit_id}.")
    content = json.loads(_stored_content(db, visit_id, row["version"]))
    unit = units.get_row(db, row["unit_id"])
    return {
        **outcome(row),
        "original_unit_id": row["original_unit_id"],
        "unit_name": unit["name"],
        "park_id": unit["park_id"],
        "engineer_id": row["engineer_id"],
        "device_id": row["device_id"],
        "province_id": row["province_id"],
        "reviewed_by": row["reviewed_by"],
        "observed_at": row["observed_at"],
        "observed_at_device": row["observed_at_device"],
        "received_at": row["received_at"],
        "location": content.get("location"),
        "answers": content.get("answers"),
        "obstacles": content.get("obstacles"),
        "attachments": content.get("attachments"),
        "photos": [r[0] for r in db.execute(
            "SELECT sha256 FROM visit_attachments WHERE visit_no = ? AND version = ? ORDER BY sha256",
            [row["no"], row["version"]])],
        "missing_attachments": missing_attachments(db, visit_id, row["version"]),
    }


def versions(db, visit_id: str) -> list[dict]:
    """Every version of a visit, oldest first, each with its full content."""
    row = _require_row(db, visit_id)
    rows = db.query("SELECT * FROM visit_versions WHERE visit_no = ? ORDER BY version", [row["no"]])
    return [{"version": r["version"], "received_at": r["received_at"], "observed_at": r["observed_at"],
             "device_id": r["device_id"], **json.loads(r["content"])} for r in rows]


def visible_to(actor, visit: dict) -> bool:
    """Engineers see their own visits; supervisors those of their provinces; admins all."""
    if actor.role == "engineer":
        return visit["engineer_id"] == actor.user_id
    return actor.can_see_province(visit["province_id"])


def require_visible(db, actor, visit_id: str) -> dict:
    """The visit row, or :class:`NotFound` when the actor may not see it (nothing revealed)."""
    row = get_row(db, visit_id)
    if row is None or not visible_to(actor, row):
        raise NotFound(f"No visit {visit_id}.")
    return row


_SUMMARY = ("v.id, v.unit_id, u.name AS unit_name, u.park_id, v.version, v.review_state,"
            " v.review_comment, v.reviewed_at, v.seq, v.engineer_id, v.province_id, v.template_code,"
            " v.template_version, v.observed_at, v.received_at")


def summary(db, visit_id: str) -> dict:
    """One visit as listed in the review queue."""
    return dict(next(iter(db.query(f"SELECT {_SUMMARY} FROM visits v JOIN units u ON u.id = v.unit_id"
                                   " WHERE v.id = ?", [visit_id]))))


def search(db, actor, unit_id=None, review_state=None, province_id=None, park_id=None,
           engineer_id=None, template_code=None, observed_from=None, observed_to=None,
           limit=100, offset=0) -> dict:
    """The review queue: visits the actor may see, filtered, newest received first.

    ``observed_from``/``observed_to`` are days (``date`` or ``YYYY-MM-DD``, both included) on
    the time the visit was made, in Tehran time like every day in the statistics.
    """
    clauses, params = [], []
    if actor.role == "engineer":
        clauses.append("v.engineer_id = ?")
        params.append(actor.user_id)
    elif not actor.sees_all:
        provinces = sorted(actor.provinces)
        clauses.append(f"v.province_id IN ({','.join('?' * len(provinces))})")
        params.extend(provinces)
    for column, value in (("v.unit_id", unit_id), ("v.review_state", review_state),
                          ("v.province_id", province_id), ("u.park_id", park_id),
                          ("v.engineer_id", engineer_id), ("v.template_code", template_code)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    first, after = days.day_bounds(observed_from, observed_to)
    if first is not None:
        clauses.append("v.observed_at >= ?")
        params.append(first)
    if after is not None:
        clauses.append("v.observed_at < ?")
        params.append(after)
    where = " AND ".join(clauses) or "1 = 1"
    sql = f" FROM visits v JOIN units u ON u.id = v.unit_id WHERE {where}"
    total = db.execute(f"SELECT count(*){sql}", params).fetchone()[0]
    rows = db.query(f"SELECT {_SUMMARY}{sql} ORDER BY v.received_at DESC, v.id LIMIT ? OFFSET ?",
                    [*params, limit, offset])
    return {"items": list(rows), "total": total}
