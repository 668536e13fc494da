"""Reading the audit log and the dead letters (rejected mutations)."""

import json

from sync.store import Actor


def list_audit(db, entity=None, entity_id=None, action=None, limit=100, offset=0) -> dict:
    clauses, params = [], []
    for column, value in (("entity", entity), ("entity_id", entity_id), ("action", action)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = " AND ".join(clauses) or "1 = 1"
    total = db.execute(f"SELECT count(*) FROM audit_log WHERE {where}", params).fetchone()[0]
    rows = db.query(f"SELECT * FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                    [*params, limit, offset])
    return {"items": [{**r, "details": json.loads(r["details"])} for r in rows], "total": total}


def list_dead_letters(db, actor: Actor, limit=100, offset=0) -> dict:
    """Rejected mutations; a supervisor sees those of users who share one of their provinces."""
    if actor.sees_all:
        where, params = "1 = 1", []
    else:
        provinces = sorted(actor.provinces)
        where = (f"d.user_id IN (SELECT user_id FROM user_provinces WHERE province_id IN "
                 f"({','.join('?' * len(provinces))}))")
        params = provinces
    total = db.execute(f"SELECT count(*) FROM dead_letters d WHERE {where}", params).fetchone()[0]
    rows = db.query(f"SELECT d.* FROM dead_letters d WHERE {where} ORDER BY d.id DESC LIMIT ? OFFSET ?",
                    [*params, limit, offset])
    return {"items": [{**r, "mutation": json.loads(r["mutation"]), "error": json.loads(r["error"])}
                      for r in rows], "total": total}
