"""The supervisor's review of a visit: approve, reject, or send it back; and its comment thread.

States and the only transitions (docs/review.md)::

    (push create_visit) ──► submitted ──approve──► approved   (final)
                                │  ├───reject───► rejected   (final)
                                │  └───return───► returned ──(push revise_visit)──► submitted
                                └── comments may be added in any state

Approved and rejected are final: a decision that counts in statistics should not flip
silently; a mistaken one is corrected by a new visit. Rejecting and returning need a
comment (the engineer must learn what to fix). Only a supervisor of the visit's province
or an admin decides; anyone who may see the visit (its engineer included) may comment.
Every change reaches the engineer's devices through pull (scope ``u:<engineer>``) and is
written to the audit log with who, when and why.
"""

from sync import obstacles, visits
from sync.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from sync.store import Tx, scope_of_user

ACTIONS = {"approve": ("submitted", "approved"),
           "reject": ("submitted", "rejected"),
           "return": ("submitted", "returned")}
NEEDS_COMMENT = ("reject", "return")
REVIEWER_ROLES = ("supervisor", "admin")
MAX_COMMENT = 4000
MAX_BULK = 200


def _text(value, field: str, required: bool) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise Invalid({field: ["Write what the engineer should know or fix."]})
    if len(text) > MAX_COMMENT:
        raise Invalid({field: [f"At most {MAX_COMMENT} characters."]})
    return text or None


def _visible_row(tx: Tx, visit_id: str) -> dict:
    try:
        return visits.require_visible(tx.db, tx.actor, visit_id)
    except NotFound:
        raise NotFound(f"No visit {visit_id}.", {"fields": {"visit_id": ["Unknown visit."]}}) from None


def decide(tx: Tx, visit_id: str, action: str, comment: str | None = None) -> dict:
    """Approve, reject or return a submitted visit; returns the visit as listed in the queue."""
    if action not in ACTIONS:
        raise Invalid({"action": [f"One of: {', '.join(ACTIONS)}."]})
    if tx.actor.role not in REVIEWER_ROLES:
        raise Forbidden("Only supervisors and admins review visits.")
    row = _visible_row(tx, visit_id)
    comment = _text(comment, "comment", required=action in NEEDS_COMMENT)
    source, target = ACTIONS[action]
    if row["review_state"] != source:
        raise Conflict(f"The visit is {row['review_state']}; it can be {target} only while {source}.",
                       {"review_state": row["review_state"], "allowed_from": source})
    seq = tx.changed("visit", visit_id, [scope_of_user(row["engineer_id"])])
    tx.execute("UPDATE visits SET review_state = ?, review_comment = ?, reviewed_by = ?, reviewed_at = ?,"
               " seq = ? WHERE id = ?", (target, comment, tx.actor.user_id, tx.at, seq, visit_id))
    visits.add_event(tx, visit_id, "state", row["version"], action=action, from_state=source,
                     to_state=target, text=comment, visit_no=row.get("no"))
    if target == "rejected":
        obstacles.follow_visits(tx, [visit_id])  # a rejected visit's obstacle records stop counting
    tx.audit("visit.review", "visit", visit_id, action=action, from_state=source, to_state=target,
             version=row["version"], comment=comment)
    return visits.summary(tx.db, visit_id)


def approve_many(tx: Tx, visit_ids: list[str]) -> dict:
    """Approve several visits in one transaction, each on its own savepoint and audited as if
    approved alone. A visit that can no longer be approved (another supervisor decided it
    meanwhile, it is out of scope or unknown) is skipped and named with the reason; the rest
    are approved."""
    ids = list(dict.fromkeys(visit_ids))
    if len(ids) > MAX_BULK:
        raise Invalid({"visit_ids": [f"At most {MAX_BULK} visits at once."]})
    approved, skipped = [], {}
    for visit_id in ids:
        try:
            with tx.savepoint("approve"):
                decide(tx, visit_id, "approve")
            approved.append(visit_id)
        except DomainError as error:
            skipped[visit_id] = error.code
    return {"approved": approved, "skipped": skipped}


def add_comment(tx: Tx, visit_id: str, text: str) -> dict:
    """Add a comment to the visit's thread; its engineer's devices receive it through pull."""
    row = _visible_row(tx, visit_id)
    text = _text(text, "text", required=True)
    seq = tx.changed("visit", visit_id, [scope_of_user(row["engineer_id"])])
    tx.execute("UPDATE visits SET seq = ? WHERE id = ?", (seq, visit_id))
    event_id = visits.add_event(tx, visit_id, "comment", row["version"], text=text, visit_no=row.get("no"))
    tx.audit("visit.comment", "visit", visit_id, event_id=event_id, version=row["version"])
    return visits.thread_entry(visits.events(tx.db, [visit_id], event_id=event_id)[visit_id][0])


def thread(db, visit_id: str) -> list[dict]:
    """Comments and state changes of a visit, oldest first (callers check visibility)."""
    if visits.get_row(db, visit_id) is None:
        raise NotFound(f"No visit {visit_id}.")
    return [visits.thread_entry(e) for e in visits.events(db, [visit_id])[visit_id]]
