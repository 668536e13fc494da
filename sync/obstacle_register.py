"""The obstacle register: every obstacle of the caller's provinces, filtered and sorted, for
the console's list and its export.

An obstacle's state is the ``obstacles`` table (``sync.obstacles.refresh`` rebuilds it from the
visits): the visit that found it (``opened_visit_id``, ``opened_at``), the one that resolved it
(``resolved_visit_id``, ``resolved_at``). *Days open* counts whole days from the first sighting
to its resolution, or to now while it is open. Read-only; nothing here imports Flask.
"""

from dataclasses import dataclass, fields

from sync.normalize import fold
from sync.obstacles import at_unit

SEVERITY_ORDER = ("low", "medium", "high", "critical")
SORTS = ("days_open", "opened_at", "resolved_at", "severity", "unit", "area")
STATUSES = ("open", "resolved")


@dataclass
class RegisterFilter:
    province_id: int | None = None
    park_id: int | None = None
    area: str | None = None
    group: str | None = None
    severity: str | None = None
    responsible_body: str | None = None
    status: str | None = None
    min_days: int | None = None      # open at least this many days
    max_days: int | None = None      # open at most this many days
    q: str | None = None             # part of the unit's name
    unit_id: str | None = None
    # As the statistics count: only obstacles an approved visit found, resolved only when an
    # approved visit resolved them (the dashboard's charts open the register this way).
    approved: bool = False

    def active(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, "", False)}


_SEVERITY_RANK = "CASE o.severity " + " ".join(
    f"WHEN '{code}' THEN {rank}" for rank, code in enumerate(SEVERITY_ORDER, 1)) + " ELSE 0 END"

# julianday reads the stored UTC ISO text ("…T06:30:00.000Z"); a day is 1.0.
_DAYS_OPEN = "CAST(julianday(coalesce(o.resolved_at, :now)) - julianday(o.opened_at) AS INTEGER)"

_ORDER = {
    "days_open": "days_open {dir}, o.opened_at",
    "opened_at": "o.opened_at {dir}",
    "resolved_at": "o.resolved_at IS NULL, o.resolved_at {dir}",
    "severity": f"{_SEVERITY_RANK} {{dir}}, days_open DESC",
    "unit": "u.name COLLATE fa {dir}",
    "area": "o.area {dir}, o.group_code {dir}",
}

_FROM = """
FROM obstacles o
JOIN units u ON u.id = o.unit_id
JOIN provinces p ON p.id = u.province_id
LEFT JOIN parks k ON k.id = u.park_id
JOIN visits ov ON ov.id = o.opened_visit_id
LEFT JOIN visits rv ON rv.id = o.resolved_visit_id
"""

_COLUMNS = f"""
o.id, o.unit_id, o.area, o.group_code, o.severity, o.description, o.proposed_action,
o.responsible_body, o.status, o.opened_visit_id, o.opened_at, o.resolved_visit_id, o.resolved_at,
{_DAYS_OPEN} AS days_open, u.name AS unit_name, u.province_id, u.park_id,
p.name AS province_name, p.name_en AS province_name_en, k.name AS park_name, k.name_en AS park_name_en
"""


def _scope(actor) -> str:
    """The actor's provinces as SQL with named parameters ``:p0``, ``:p1``…"""
    if actor.sees_all:
        return "1 = 1"
    if not actor.provinces:
        return "0 = 1"
    return f"u.province_id IN ({', '.join(f':p{i}' for i in range(len(actor.provinces)))})"


def _where(actor, f: RegisterFilter, now: str) -> tuple[str, dict]:
    clauses, params = [_scope(actor)], {"now": now}
    if not actor.sees_all:
        params.update({f"p{i}": p for i, p in enumerate(sorted(actor.provinces))})
    simple = (("u.province_id", "province_id"), ("u.park_id", "park_id"), ("o.area", "area"),
              ("o.group_code", "group"), ("o.severity", "severity"), ("o.responsible_body", "responsible_body"))
    for column, name in simple:
        value = getattr(f, name)
        if value not in (None, ""):
            clauses.append(f"{column} = :{name}")
            params[name] = value
    if f.unit_id not in (None, ""):
        clauses.append(at_unit("o", ":unit_id"))
        params["unit_id"] = f.unit_id
    if f.approved:
        clauses.append("ov.review_state = 'approved'")
    if f.status:
        resolved = "o.status = 'resolved'" + (" AND rv.review_state = 'approved'" if f.approved else "")
        clauses.append(resolved if f.status == "resolved" else f"NOT ({resolved})")
    if f.min_days is not None:
        clauses.append(f"{_DAYS_OPEN} >= :min_days")
        params["min_days"] = f.min_days
    if f.max_days is not None:
        clauses.append(f"{_DAYS_OPEN} <= :max_days")
        params["max_days"] = f.max_days
    if f.q:
        clauses.append("instr(u.name_key, :q) > 0")
        params["q"] = fold(f.q)
    return " AND ".join(clauses), params


def _order(sort: str, descending: bool) -> str:
    return _ORDER.get(sort, _ORDER["days_open"]).format(dir="DESC" if descending else "ASC") + ", o.id"


def register(db, actor, f: RegisterFilter, now: str, sort: str = "days_open", descending: bool = True,
             limit: int = 50, offset: int = 0) -> dict:
    """One page of the register: ``{"items", "total"}``; ``now`` is the UTC ISO time that
    ends the days of obstacles still open."""
    where, params = _where(actor, f, now)
    total = db.execute(f"SELECT count(*) {_FROM} WHERE {where}", params).fetchone()[0]
    rows = db.query(f"SELECT {_COLUMNS} {_FROM} WHERE {where} ORDER BY {_order(sort, descending)}"
                    " LIMIT :limit OFFSET :offset", {**params, "limit": limit, "offset": offset})
    return {"items": list(rows), "total": total}


def register_rows(db, actor, f: RegisterFilter, now: str, sort: str = "days_open", descending: bool = True) -> list:
    """Every obstacle the filter selects, for an export."""
    where, params = _where(actor, f, now)
    return list(db.query(f"SELECT {_COLUMNS} {_FROM} WHERE {where} ORDER BY {_order(sort, descending)}", params))
