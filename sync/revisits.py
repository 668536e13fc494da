"""Revisits due: units whose latest visit asked for another one by a date.

The checklist's suggested revisit date is the answer to the template key ``followup_date``
(the shipped diagnosis template asks it when ``followup_needed`` is yes; a template of
one's own gets the same list by using the key). A unit is due when its latest visit that
was not rejected suggests a date on or before the day asked about; a later visit replaces
the suggestion (it was the revisit, or it asks again). Read-only; no Flask.
"""

from datetime import date

from sync.console_queries import province_scope
from sync.normalize import fold

REVISIT_KEY = "followup_date"


def due(db, actor, until: date, province_id: int | None = None, park_id: int | None = None,
        q: str | None = None, limit: int = 50, offset: int = 0) -> dict:
    """Units due for a revisit on or before ``until``, soonest (most overdue) first."""
    scope, params = province_scope(actor, "u.province_id")
    clauses = [scope, "u.merged_into IS NULL", "due IS NOT NULL", "due <= ?"]
    params.append(until.isoformat())
    for column, value in (("u.province_id", province_id), ("u.park_id", park_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if q:
        clauses.append("instr(u.name_key, ?) > 0")
        params.append(fold(q))
    sql = f"""
    WITH latest AS (
        SELECT v.id, v.no, v.unit_id, v.version, v.observed_at, v.engineer_id, v.review_state,
               row_number() OVER (PARTITION BY v.unit_id ORDER BY v.observed_at DESC, v.rowid DESC) AS n
        FROM visits v WHERE v.review_state != 'rejected'),
    suggested AS (
        SELECT l.*, json_extract(c.content, '$.answers.{REVISIT_KEY}') AS due
        FROM latest l JOIN visit_versions c ON c.visit_no = l.no AND c.version = l.version WHERE l.n = 1)
    SELECT l.id AS visit_id, l.observed_at, l.review_state, l.due, u.id AS unit_id, u.name AS unit_name,
           u.status, u.province_id, p.name AS province_name, p.name_en AS province_name_en,
           k.name AS park_name, k.name_en AS park_name_en, coalesce(e.full_name, e.username) AS engineer_name
    FROM suggested l JOIN units u ON u.id = l.unit_id JOIN provinces p ON p.id = u.province_id
    LEFT JOIN parks k ON k.id = u.park_id JOIN users e ON e.id = l.engineer_id
    WHERE {" AND ".join(clauses)}"""
    total = db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    rows = list(db.query(f"{sql} ORDER BY l.due, u.name COLLATE fa LIMIT ? OFFSET ?", [*params, limit, offset]))
    return {"items": rows, "total": total}
