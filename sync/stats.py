"""Unit history, revivals and counts: plain functions for the API and the console.

What a visit observed about its unit (status, employees, capacity use: template keys
``unit_status``, ``employees_now``, ``capacity_utilisation``) is copied to the visit row
when it is received or revised, and follows the visit through merges. A unit is *revived*
by a visit that observes it ``active`` when the previous observation saw it ``stalled`` or
``closed``; the jobs brought back are the employees gained between those two visits
(never negative).

Days are Tehran days: a period ``start``/``end`` (``YYYY-MM-DD``, both included) covers
from 00:00 Tehran time on ``start`` to 24:00 on ``end``, and weeks run Saturday to Friday
(the Iranian week) in Tehran time. Times are stored in UTC, and a visit made at 01:00 on a
Saturday in Tehran is still Friday in UTC: counting on UTC dates would put it in the
wrong day, week and month, and disagree with the console, which shows Tehran dates.

Which visits count: with ``approved_only=True`` (the default of every statistic, as the
review rules ask) only approved visits; with ``False`` every visit except rejected ones.

Signatures (``actor`` bounds every answer to its provinces; an admin sees all):

* ``units_by_status(db, actor, province_id=None, park_id=None, approved_only=True)``
  → ``[{"province_id", "park_id", "status", "units"}]``; ``status`` is what each unit's
  latest counted visit observed, None for units without one.
* ``unit_history(db, unit_id, approved_only=False)`` → ``[{"visit_id", "observed_at",
  "review_state", "template", "status", "employees", "capacity_utilisation", "revived",
  "jobs_back"}]`` oldest first (the caller checks the unit is in the actor's scope).
* ``revivals(db, actor, start=None, end=None, province_id=None, park_id=None,
  approved_only=True)`` → ``{"items": [{"unit_id", "unit_name", "province_id", "park_id",
  "visit_id", "revived_at", "from_status", "jobs"}], "units", "jobs"}``; ``start``/``end``
  are days (``date`` or ``YYYY-MM-DD``), both included.
* ``obstacle_counts(db, actor, province_id=None, park_id=None, area=None,
  approved_only=True)`` → ``[{"area", "group", "open", "resolved"}]``; an obstacle counts
  when the visit that opened it counts, and as resolved when the resolving visit counts.
* ``visits_per_week(db, actor, start=None, end=None, province_id=None, park_id=None,
  approved_only=False)`` → ``[{"week", "visits"}]``, ``week`` being its Saturday.
"""

from functools import lru_cache

from sync import units
from sync.clock import parse_time
from sync.days import TEHRAN, day_bounds, week_start
from sync.obstacles import scope_clause

REVIVED_FROM = ("stalled", "closed")


def _counted(approved_only: bool, alias: str = "v") -> str:
    return f"{alias}.review_state = 'approved'" if approved_only else f"{alias}.review_state != 'rejected'"


def _filters(pairs, clauses: list, params: list) -> None:
    for column, value in pairs:
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)


def _period(column: str, start, end, clauses: list, params: list) -> None:
    first, after = day_bounds(start, end)
    if first is not None:
        clauses.append(f"{column} >= ?")
        params.append(first)
    if after is not None:
        clauses.append(f"{column} < ?")
        params.append(after)


@lru_cache(maxsize=8192)
def _week_of_minute(minute: str) -> str:
    day = parse_time(minute + ":00Z").astimezone(TEHRAN).date()
    return week_start(day).isoformat()


def tehran_week(moment: str | None) -> str | None:
    """The Saturday (``YYYY-MM-DD``) that starts the Tehran week of a stored UTC time.

    Python, not SQLite date arithmetic: Tehran's offset was +04:30 in summer until 2022,
    which no fixed modifier gets right. Offsets change on whole minutes, hence the cache key.
    """
    return None if moment is None else _week_of_minute(moment[:16])


def units_by_status(db, actor, province_id=None, park_id=None, approved_only=True) -> list[dict]:
    where, params = scope_clause(actor)
    clauses = [where, "u.merged_into IS NULL"]
    _filters((("u.province_id", province_id), ("u.park_id", park_id)), clauses, params)
    sql = f"""
    WITH latest AS (
        SELECT v.unit_id, v.observed_status,
               row_number() OVER (PARTITION BY v.unit_id ORDER BY v.observed_at DESC, v.rowid DESC) AS n
        FROM visits v WHERE {_counted(approved_only)} AND v.observed_status IS NOT NULL)
    SELECT u.province_id, u.park_id, l.observed_status AS status, count(*) AS units
    FROM units u LEFT JOIN latest l ON l.unit_id = u.id AND l.n = 1
    WHERE {" AND ".join(clauses)}
    GROUP BY u.province_id, u.park_id, l.observed_status
    ORDER BY u.province_id, u.park_id, l.observed_status"""
    return list(db.query(sql, params))


# Each counted observation with the one before it at the same unit.
_OBSERVATIONS = """
SELECT v.id AS visit_id, v.unit_id, v.observed_at, v.review_state, v.template_code, v.template_version,
       v.observed_status, v.observed_employees, v.observed_capacity,
       lag(v.observed_status) OVER w AS previous_status, lag(v.observed_employees) OVER w AS previous_employees
FROM visits v WHERE {counted} AND v.observed_status IS NOT NULL {unit}
WINDOW w AS (PARTITION BY v.unit_id ORDER BY v.observed_at, v.rowid)
"""


def _revived(row: dict) -> bool:
    return row["observed_status"] == "active" and row["previous_status"] in REVIVED_FROM


def _jobs(row: dict) -> int:
    return max(0, (row["observed_employees"] or 0) - (row["previous_employees"] or 0))


def unit_history(db, unit_id: str, approved_only=False) -> list[dict]:
    unit_id = units.resolve(db, unit_id)
    rows = db.query(_OBSERVATIONS.format(counted=_counted(approved_only), unit="AND v.unit_id = ?")
                    + " ORDER BY v.observed_at, v.rowid", [unit_id])
    return [{"visit_id": r["visit_id"], "observed_at": r["observed_at"], "review_state": r["review_state"],
             "template": {"code": r["template_code"], "version": r["template_version"]},
             "status": r["observed_status"], "employees": r["observed_employees"],
             "capacity_utilisation": r["observed_capacity"], "revived": _revived(r),
             "jobs_back": _jobs(r) if _revived(r) else 0} for r in rows]


def revivals(db, actor, start=None, end=None, province_id=None, park_id=None, approved_only=True) -> dict:
    where, params = scope_clause(actor)
    clauses = [where, "o.observed_status = 'active'",
               f"o.previous_status IN ({', '.join(repr(s) for s in REVIVED_FROM)})"]
    _filters((("u.province_id", province_id), ("u.park_id", park_id)), clauses, params)
    _period("o.observed_at", start, end, clauses, params)
    rows = db.query(
        f"SELECT o.*, u.name AS unit_name, u.province_id, u.park_id"
        f" FROM ({_OBSERVATIONS.format(counted=_counted(approved_only), unit='')}) o"
        f" JOIN units u ON u.id = o.unit_id WHERE {' AND '.join(clauses)} ORDER BY o.observed_at, o.visit_id",
        params)
    items = [{"unit_id": r["unit_id"], "unit_name": r["unit_name"], "province_id": r["province_id"],
              "park_id": r["park_id"], "visit_id": r["visit_id"], "revived_at": r["observed_at"],
              "from_status": r["previous_status"], "jobs": _jobs(r)} for r in rows]
    return {"items": items, "units": len({i["unit_id"] for i in items}), "jobs": sum(i["jobs"] for i in items)}


def obstacle_counts(db, actor, province_id=None, park_id=None, area=None, approved_only=True) -> list[dict]:
    where, params = scope_clause(actor)
    clauses = [where, _counted(approved_only, "ov")]
    _filters((("u.province_id", province_id), ("u.park_id", park_id), ("o.area", area)), clauses, params)
    resolved = f"o.status = 'resolved' AND {_counted(approved_only, 'rv')}"
    return list(db.query(
        f"SELECT o.area, o.group_code AS 'group',"
        f" sum(CASE WHEN {resolved} THEN 0 ELSE 1 END) AS open, sum(CASE WHEN {resolved} THEN 1 ELSE 0 END)"
        f" AS resolved FROM obstacles o JOIN units u ON u.id = o.unit_id"
        f" JOIN visits ov ON ov.id = o.opened_visit_id LEFT JOIN visits rv ON rv.id = o.resolved_visit_id"
        f" WHERE {' AND '.join(clauses)} GROUP BY o.area, o.group_code ORDER BY o.area, o.group_code",
        params))


def visits_per_week(db, actor, start=None, end=None, province_id=None, park_id=None,
                    approved_only=False) -> list[dict]:
    where, params = scope_clause(actor)
    clauses = [where, _counted(approved_only)]
    _filters((("v.province_id", province_id), ("u.park_id", park_id)), clauses, params)
    _period("v.observed_at", start, end, clauses, params)
    db.conn.create_function("tehran_week", 1, tehran_week, deterministic=True)
    return list(db.query(
        "SELECT tehran_week(v.observed_at) AS week, count(*) AS visits FROM visits v"
        f" JOIN units u ON u.id = v.unit_id WHERE {' AND '.join(clauses)} GROUP BY week ORDER BY week",
        params))
