"""What happens to a unit right after a push (or an import) creates or edits it: is it
one we already have?

1. A valid legal national id already carried by a live unit of the same province means
   the same firm: the two are merged, the older record surviving — unless a supervisor has
   declared the two different firms (unmerged them, or marked the pair distinct).
2. Otherwise the dedup engine compares it with its candidates (``sync/dedup_store.py``):
   a sure match is merged, a likely one queued for a supervisor.
"""

from sync import dedup_store, merge, units
from sync.store import Tx


def _same_legal_id(tx: Tx, row: dict) -> dict | None:
    if not row["national_id_valid"]:
        return None
    existing = units.find_by_legal_id(tx.db, row["province_id"], row["national_id_key"], exclude=row["id"])
    if existing is None:
        return None
    winner, loser = dedup_store.survivor(tx.db.conn, row, units.get_row(tx.db, existing))
    done = merge.merge(tx, loser["id"], winner["id"], reason="same_legal_id")
    return {"status": "merged", "merged_into": done["winner_id"], "merged_from": done["loser_id"],
            "reason": "same_legal_id"}


def match_written_unit(tx: Tx, unit_id: str, source: str = "sync") -> dict | None:
    """Merge or queue ``unit_id`` against the store; returns what happened, or None.

    ``{"status": "merged", "merged_into", "merged_from", "reason", "score"?}`` or
    ``{"status": "review", "candidates": [candidate ids]}``.
    """
    row = units.get_row(tx.db, unit_id)
    if row is None or row["merged_into"]:
        return None
    legal = _same_legal_id(tx, row)
    if legal:
        return legal
    found = dedup_store.match(tx, unit_id, source)
    if found is None:
        return None
    if "review" in found:
        return {"status": "review", "candidates": found["review"]}
    return {"status": "merged", "merged_into": found["merged_into"], "merged_from": found["merged_from"],
            "reason": "dedup", "score": found["score"]}
