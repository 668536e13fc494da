"""Read-only queries behind the supervisor console: lists, pages, exports and charts.

Every function takes the caller's :class:`~sync.store.Actor` (or works on one record the
caller has already been checked against) and applies the same province scoping as the API:
an admin sees every province, a supervisor only theirs, an engineer only their own visits.
Nothing here writes; console actions go through the domain modules and ``sync.store.write``.
"""

import json
import re
from dataclasses import dataclass, fields

from sync.normalize import fold
from sync.store import Actor

UNIT_STATUSES = ("active", "semi_active", "stalled", "closed")


def _marks(values) -> str:
    return ",".join("?" * len(values))


def province_scope(actor: Actor, column: str) -> tuple[str, list]:
    """SQL limiting ``column`` (a province id) to the actor's provinces."""
    if actor.sees_all:
        return "1 = 1", []
    provinces = sorted(actor.provinces)
    if not provinces:
        return "0 = 1", []
    return f"{column} IN ({_marks(provinces)})", provinces


def _rows(db, sql: str, params=()) -> list[dict]:
    return list(db.query(sql, list(params)))


# --- places ---------------------------------------------------------------------------------

def provinces_for(db, actor: Actor) -> list[dict]:
    where, params = province_scope(actor, "id")
    return _rows(db, f"SELECT id, name, name_en FROM provinces WHERE {where} ORDER BY name COLLATE fa", params)


def parks_for(db, actor: Actor, province_id: int | None = None) -> list[dict]:
    where, params = province_scope(actor, "province_id")
    if province_id is not None:
        where += " AND province_id = ?"
        params.append(province_id)
    return _rows(db, f"SELECT id, province_id, name, name_en, kind FROM parks WHERE {where}"
                     " ORDER BY province_id, name COLLATE fa", params)


def engineers_for(db, actor: Actor) -> list[dict]:
    """Engineers who share a province with the actor (all of them for an admin)."""
    if actor.sees_all:
        return _rows(db, "SELECT id, username, full_name FROM users WHERE role = 'engineer'"
                         " ORDER BY coalesce(full_name, username) COLLATE fa")
    provinces = sorted(actor.provinces) or [-1]
    return _rows(db, "SELECT DISTINCT u.id, u.username, u.full_name FROM users u"
                     " JOIN user_provinces p ON p.user_id = u.id"
                     f" WHERE u.role = 'engineer' AND p.province_id IN ({_marks(provinces)})"
                     " ORDER BY coalesce(u.full_name, u.username) COLLATE fa", provinces)


def template_codes(db, actor: Actor) -> list[dict]:
    """(code, version) pairs that visits in the actor's scope were filled with."""
    where, params = province_scope(actor, "province_id")
    return _rows(db, "SELECT DISTINCT template_code AS code, template_version AS version FROM visits"
                     f" WHERE {where} AND template_code IS NOT NULL ORDER BY 1, 2", params)


def names_by_id(db, table: str, ids) -> dict:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    return {r["id"]: r for r in _rows(db, f"SELECT * FROM {table} WHERE id IN ({_marks(ids)})", ids)}


# --- the review queue and visit exports -----------------------------------------------------

@dataclass
class VisitFilter:
    """The review queue's filters; exports of visits and obstacles take the same ones."""

    state: str | None = None
    province_id: int | None = None
    park_id: int | None = None
    engineer_id: int | None = None
    template: str | None = None          # a template code, or "code:version"
    since: str | None = None             # UTC ISO, inclusive (observed_at)
    until: str | None = None             # UTC ISO, exclusive
    q: str | None = None                 # part of the unit's name
    unit_id: str | None = None

    def active(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, "")}


def _visit_where(actor: Actor, f: VisitFilter) -> tuple[str, list]:
    clauses, params = [], []
    if actor.role == "engineer":
        clauses.append("v.engineer_id = ?")
        params.append(actor.user_id)
    else:
        where, scope_params = province_scope(actor, "v.province_id")
        clauses.append(where)
        params.extend(scope_params)
    simple = (("v.review_state", f.state), ("v.province_id", f.province_id), ("u.park_id", f.park_id),
              ("v.engineer_id", f.engineer_id), ("v.unit_id", f.unit_id))
    for column, value in simple:
        if value not in (None, ""):
            clauses.append(f"{column} = ?")
            params.append(value)
    if f.template:
        code, _, version = f.template.partition(":")
        clauses.append("v.template_code = ?")
        params.append(code)
        if version.isdigit():
            clauses.append("v.template_version = ?")
            params.append(int(version))
    if f.since:
        clauses.append("v.observed_at >= ?")
        params.append(f.since)
    if f.until:
        clauses.append("v.observed_at < ?")
        params.append(f.until)
    if f.q:
        clauses.append("instr(u.name_key, ?) > 0")
        params.append(fold(f.q))
    return " AND ".join(clauses), params


_VISIT_FROM = """
FROM visits v
JOIN units u ON u.id = v.unit_id
JOIN users e ON e.id = v.engineer_id
JOIN provinces p ON p.id = v.province_id
LEFT JOIN parks k ON k.id = u.park_id
LEFT JOIN users r ON r.id = v.reviewed_by
"""
_VISIT_COLUMNS = """
v.id, v.unit_id, v.version, v.review_state, v.review_comment, v.reviewed_at, v.engineer_id,
v.province_id, v.template_code, v.template_version, v.observed_at, v.received_at, v.lat, v.lon,
u.name AS unit_name, u.park_id, u.status AS unit_status, e.username AS engineer_username,
e.full_name AS engineer_name, p.name AS province_name, p.name_en AS province_name_en,
k.name AS park_name, k.name_en AS park_name_en, r.username AS reviewer_username
"""


# Columns a list can be sorted by (the console's ``sort`` parameter) and the SQL behind each.
VISIT_SORTS = {"unit": "u.name COLLATE fa", "province": "p.name COLLATE fa", "park": "k.name COLLATE fa",
               "engineer": "coalesce(e.full_name, e.username) COLLATE fa", "observed_at": "v.observed_at",
               "received_at": "v.received_at", "version": "v.version", "state": "v.review_state"}
UNIT_SORTS = {"name": "u.name COLLATE fa", "province": "p.name COLLATE fa", "park": "k.name COLLATE fa",
              "status": "u.status", "employees": "u.employees", "visits": "visit_count",
              "last_visit": "last_visit_at"}


def order_by(sorts: dict, sort: str | None, descending: bool, default: str, tail: str) -> str:
    """``ORDER BY`` text for a list: the chosen column (nothing the caller typed reaches SQL),
    then ``tail`` so that equal rows keep a stable order across pages."""
    column = sorts.get(sort) or sorts[default]
    return f"{column} {'DESC' if descending else 'ASC'}, {tail}"


def visit_queue(db, actor: Actor, f: VisitFilter, limit: int = 50, offset: int = 0, sort: str | None = None,
                descending: bool = True) -> dict:
    where, params = _visit_where(actor, f)
    total = db.execute(f"SELECT count(*) {_VISIT_FROM} WHERE {where}", params).fetchone()[0]
    order = order_by(VISIT_SORTS, sort, descending, "received_at", "v.observed_at DESC, v.id")
    rows = _rows(db, f"SELECT {_VISIT_COLUMNS} {_VISIT_FROM} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                 [*params, limit, offset])
    return {"items": rows, "total": total}


def visit_rows(db, actor: Actor, f: VisitFilter) -> list[dict]:
    """Every visit matching the filter, with its current answers, for an export."""
    where, params = _visit_where(actor, f)
    rows = _rows(db, f"SELECT {_VISIT_COLUMNS}, c.content {_VISIT_FROM}"
                     " JOIN visit_versions c ON c.visit_no = v.no AND c.version = v.version"
                     f" WHERE {where} ORDER BY v.observed_at, v.id", params)
    for row in rows:
        row["answers"] = json.loads(row.pop("content")).get("answers") or {}
    return rows


def visit_summary(db, visit_id: str) -> dict | None:
    rows = _rows(db, f"SELECT {_VISIT_COLUMNS} {_VISIT_FROM} WHERE v.id = ?", [visit_id])
    return rows[0] if rows else None


# --- photos ---------------------------------------------------------------------------------

QUESTION_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_PHOTOS_FROM = """
FROM visit_attachments va
JOIN visits v ON v.no = va.visit_no AND v.version = va.version
JOIN attachment_owners o ON o.sha256 = va.sha256 AND o.user_id = v.engineer_id
JOIN attachments a ON a.sha256 = va.sha256
JOIN visit_versions c ON c.visit_no = v.no AND c.version = v.version
JOIN units u ON u.id = v.unit_id
JOIN users e ON e.id = v.engineer_id
LEFT JOIN parks k ON k.id = u.park_id
"""


def photo_rows(db, actor: Actor, f: VisitFilter, question: str | None = None, limit: int | None = 50,
               offset: int = 0, sha256: str | None = None, visit_id: str | None = None) -> dict:
    """Photos of the visits the filter selects (their current version), newest visit first.
    A photo counts only where the visit's engineer holds the file — naming someone else's hash
    in a visit lends nothing (``sync.attachments.visible_to``). ``question``: only the photos
    that answer that photo question. Each item carries the visit's content, to caption it."""
    where, params = _visit_where(actor, f)
    clauses = [where, "a.media_type LIKE 'image/%'"]
    for column, value in (("va.sha256", sha256), ("v.id", visit_id)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if question:
        if not QUESTION_KEY.match(question):
            return {"items": [], "total": 0}
        clauses.append("EXISTS (SELECT 1 FROM json_each(c.content, ?) q WHERE q.value = va.sha256)")
        params.append(f"$.answers.{question}")
    sql = f"{_PHOTOS_FROM} WHERE {' AND '.join(clauses)}"
    total = db.execute(f"SELECT count(*) {sql}", params).fetchone()[0]
    page = " LIMIT ? OFFSET ?" if limit is not None else ""
    rows = _rows(db, "SELECT va.sha256, a.media_type, a.size, v.id AS visit_id, v.unit_id, v.observed_at,"
                     " v.template_code, v.template_version, v.review_state, c.content, u.name AS unit_name,"
                     " k.name AS park_name, k.name_en AS park_name_en, e.username AS engineer_username,"
                     " e.full_name AS engineer_name"
                     f" {sql} ORDER BY v.observed_at DESC, v.id, va.sha256{page}",
                 [*params, *([limit, offset] if limit is not None else [])])
    for row in rows:
        content = json.loads(row.pop("content"))
        row["answers"], row["attachments"] = content.get("answers") or {}, content.get("attachments") or []
    return {"items": rows, "total": total}


# --- obstacles ------------------------------------------------------------------------------

def obstacle_rows(db, actor: Actor, f: VisitFilter) -> list[dict]:
    """What each visit matching the filter recorded about obstacles (its current version),
    with each obstacle's current state from the obstacle register (``obstacle_status``)."""
    where, params = _visit_where(actor, f)
    return _rows(db, "SELECT o.*, ob.status AS obstacle_status, v.observed_at, v.review_state, v.engineer_id,"
                     " u.name AS unit_name, v.province_id, p.name AS province_name, p.name_en AS province_name_en,"
                     " k.name AS park_name, k.name_en AS park_name_en,"
                     " e.username AS engineer_username, e.full_name AS engineer_name"
                     " FROM visit_obstacles o"
                     " JOIN visits v ON v.no = o.visit_no AND o.version = v.version"
                     " JOIN units u ON u.id = v.unit_id"
                     " JOIN users e ON e.id = v.engineer_id"
                     " JOIN provinces p ON p.id = v.province_id"
                     " LEFT JOIN parks k ON k.id = u.park_id"
                     " LEFT JOIN obstacles ob ON ob.id = o.obstacle_id"
                     f" WHERE {where} ORDER BY v.observed_at, o.visit_id, o.position", params)


# --- units ----------------------------------------------------------------------------------

@dataclass
class UnitFilter:
    province_id: int | None = None
    park_id: int | None = None
    status: str | None = None
    q: str | None = None
    include_merged: bool = False
    # The status the unit's latest counted visit observed ("unknown": no such visit), as the
    # dashboard's chart counts units: approved visits only unless ``include_review``.
    observed: str | None = None
    include_review: bool = False

    def active(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, "", False)}


_UNIT_FROM = """
FROM units u
JOIN provinces p ON p.id = u.province_id
LEFT JOIN cities c ON c.id = u.city_id
LEFT JOIN parks k ON k.id = u.park_id
"""
_UNIT_COLUMNS = """
u.*, p.name AS province_name, p.name_en AS province_name_en, c.name AS city_name,
k.name AS park_name, k.name_en AS park_name_en,
(SELECT count(*) FROM visits v WHERE v.unit_id = u.id) AS visit_count,
(SELECT max(v.observed_at) FROM visits v WHERE v.unit_id = u.id) AS last_visit_at
"""


def _unit_where(actor: Actor, f: UnitFilter) -> tuple[str, list]:
    where, params = province_scope(actor, "u.province_id")
    clauses = [where]
    for column, value in (("u.province_id", f.province_id), ("u.park_id", f.park_id), ("u.status", f.status)):
        if value not in (None, ""):
            clauses.append(f"{column} = ?")
            params.append(value)
    if f.q:
        clauses.append("instr(u.name_key, ?) > 0")
        params.append(fold(f.q))
    if not f.include_merged:
        clauses.append("u.merged_into IS NULL")
    if f.observed:
        counted = "v.review_state != 'rejected'" if f.include_review else "v.review_state = 'approved'"
        clauses.append(f"(SELECT v.observed_status FROM visits v WHERE v.unit_id = u.id AND {counted}"
                       " AND v.observed_status IS NOT NULL ORDER BY v.observed_at DESC, v.rowid DESC LIMIT 1) IS ?")
        params.append(None if f.observed == "unknown" else f.observed)
    return " AND ".join(clauses), params


def unit_list(db, actor: Actor, f: UnitFilter, limit: int = 50, offset: int = 0, sort: str | None = None,
              descending: bool = False) -> dict:
    where, params = _unit_where(actor, f)
    total = db.execute(f"SELECT count(*) {_UNIT_FROM} WHERE {where}", params).fetchone()[0]
    order = order_by(UNIT_SORTS, sort, descending, "name", "u.name COLLATE fa, u.id")
    rows = _rows(db, f"SELECT {_UNIT_COLUMNS} {_UNIT_FROM} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                 [*params, limit, offset])
    return {"items": rows, "total": total}


def unit_rows(db, actor: Actor, f: UnitFilter) -> list[dict]:
    where, params = _unit_where(actor, f)
    return _rows(db, f"SELECT {_UNIT_COLUMNS} {_UNIT_FROM} WHERE {where}"
                     " ORDER BY u.province_id, u.name COLLATE fa, u.id", params)


def map_points(db, actor: Actor, f: UnitFilter, unit_id: str | None, since: str | None, until: str | None,
               limit: int) -> dict:
    """The units of the filtered view that have a location, and the located visits made at
    them (between ``since`` and ``until``), as compact rows for the map."""
    where, params = _unit_where(actor, f)
    if unit_id:
        where += " AND u.id = ?"
        params.append(unit_id)
    units = db.execute(f"SELECT u.id, u.name, u.lat, u.lon, u.status FROM units u WHERE {where}"
                       " AND u.lat IS NOT NULL AND u.lon IS NOT NULL ORDER BY u.name COLLATE fa LIMIT ?",
                       [*params, limit]).fetchall()
    clauses, visit_params = [where, "v.lat IS NOT NULL", "v.lon IS NOT NULL"], list(params)
    for column, op, value in (("v.observed_at", ">=", since), ("v.observed_at", "<", until)):
        if value:
            clauses.append(f"{column} {op} ?")
            visit_params.append(value)
    visits = db.execute("SELECT v.id, v.unit_id, v.lat, v.lon, v.review_state, v.observed_at FROM visits v"
                        f" JOIN units u ON u.id = v.unit_id WHERE {' AND '.join(clauses)}"
                        " ORDER BY v.observed_at DESC LIMIT ?", [*visit_params, limit]).fetchall()
    return {"units": [list(r) for r in units], "visits": [list(r) for r in visits]}


def unit_detail(db, unit_id: str) -> dict | None:
    rows = _rows(db, f"SELECT {_UNIT_COLUMNS} {_UNIT_FROM} WHERE u.id = ?", [unit_id])
    return rows[0] if rows else None


def unit_visits(db, unit_id: str) -> list[dict]:
    return _rows(db, f"SELECT {_VISIT_COLUMNS} {_VISIT_FROM} WHERE v.unit_id = ? ORDER BY v.observed_at DESC",
                 [unit_id])


def unit_aliases(db, unit_id: str) -> list[dict]:
    """Records merged into this unit, each with the merge that did it (for the unmerge action)."""
    return _rows(db, "SELECT l.id, l.name, l.national_id, l.phone, l.created_at, m.id AS merge_id, m.reason,"
                     " m.at AS merged_at, m.user_id AS merged_by, mu.username AS merged_by_username"
                     " FROM units l"
                     " LEFT JOIN merges m ON m.id = (SELECT max(id) FROM merges WHERE loser_id = l.id"
                     "   AND winner_id = l.merged_into AND undone_at IS NULL)"
                     " LEFT JOIN users mu ON mu.id = m.user_id"
                     " WHERE l.merged_into = ? ORDER BY m.at DESC, l.id", [unit_id])


def unit_conflicts(db, unit_id: str) -> list[dict]:
    rows = _rows(db, "SELECT c.*, u.username AS resolved_by_username, u.full_name AS resolved_by_name FROM conflicts c"
                     " LEFT JOIN users u ON u.id = c.resolved_by WHERE c.unit_id = ?"
                     " ORDER BY c.status = 'open' DESC, c.id DESC", [unit_id])
    for row in rows:
        row["kept_value"] = json.loads(row["kept_value"]) if row["kept_value"] else None
        row["other_value"] = json.loads(row["other_value"]) if row["other_value"] else None
    return rows


CONFLICT_STATUSES = ("open", "confirmed", "flipped")


def conflict_list(db, actor: Actor, status: str | None = "open", province_id: int | None = None,
                  field: str | None = None, limit: int = 50, offset: int = 0) -> dict:
    """Same-field collisions in the actor's provinces (by the unit each now belongs to), with
    who sent each value, from which device and when."""
    where, params = province_scope(actor, "coalesce(w.province_id, u.province_id)")
    clauses = [where]
    for column, value in (("c.status", status), ("coalesce(w.province_id, u.province_id)", province_id),
                          ("c.field", field)):
        if value not in (None, ""):
            clauses.append(f"{column} = ?")
            params.append(value)
    base = ("FROM conflicts c JOIN units u ON u.id = c.unit_id"
            " LEFT JOIN redirects r ON r.from_id = c.unit_id LEFT JOIN units w ON w.id = r.to_id"
            " JOIN provinces p ON p.id = coalesce(w.province_id, u.province_id)"
            " LEFT JOIN devices kd ON kd.id = c.kept_device_id LEFT JOIN users ku ON ku.id = kd.user_id"
            " LEFT JOIN devices od ON od.id = c.other_device_id LEFT JOIN users ou ON ou.id = od.user_id"
            " LEFT JOIN users rb ON rb.id = c.resolved_by"
            f" WHERE {' AND '.join(clauses)}")
    total = db.execute(f"SELECT count(*) {base}", params).fetchone()[0]
    rows = _rows(db, "SELECT c.*, coalesce(w.id, u.id) AS current_unit_id, coalesce(w.name, u.name) AS unit_name,"
                     " p.name AS province_name, p.name_en AS province_name_en,"
                     " kd.label AS kept_device_label, kd.registered_at AS kept_device_since,"
                     " coalesce(ku.full_name, ku.username) AS kept_by,"
                     " od.label AS other_device_label, od.registered_at AS other_device_since,"
                     " coalesce(ou.full_name, ou.username) AS other_by,"
                     " coalesce(rb.full_name, rb.username) AS resolved_by_name"
                     f" {base} ORDER BY c.status = 'open' DESC, c.created_at DESC, c.id DESC LIMIT ? OFFSET ?",
                 [*params, limit, offset])
    for row in rows:
        row["kept_value"] = json.loads(row["kept_value"]) if row["kept_value"] else None
        row["other_value"] = json.loads(row["other_value"]) if row["other_value"] else None
    return {"items": rows, "total": total}


# --- home page ------------------------------------------------------------------------------

def overview_counts(db, actor: Actor) -> dict:
    """The numbers on the home page."""
    visit_where, visit_params = province_scope(actor, "province_id")
    unit_where, unit_params = province_scope(actor, "u.province_id")
    return {
        "to_review": db.execute(f"SELECT count(*) FROM visits WHERE {visit_where} AND review_state = 'submitted'",
                                visit_params).fetchone()[0],
        "units": db.execute(f"SELECT count(*) FROM units u WHERE {unit_where} AND merged_into IS NULL",
                            unit_params).fetchone()[0],
        "open_conflicts": db.execute(
            f"SELECT count(*) FROM conflicts c JOIN units u ON u.id = c.unit_id WHERE {unit_where}"
            " AND c.status = 'open'", unit_params).fetchone()[0],
    }


def attachment_types(db, hashes) -> dict[str, str]:
    """Media type of each file the server holds complete, by SHA-256."""
    hashes = sorted(set(hashes))
    if not hashes:
        return {}
    return {r["sha256"]: r["media_type"] for r in _rows(
        db, f"SELECT sha256, media_type FROM attachments WHERE sha256 IN ({_marks(hashes)})", hashes)}
