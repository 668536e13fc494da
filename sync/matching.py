"""What happens to a unit right after a push creates or edits it: is it one we already have?

Today: a valid legal national id already carried by a live unit of the same province
means the same firm, so the newcomer is merged into the older unit.
"""

from sync import merge, units
from sync.store import Tx


def match_written_unit(tx: Tx, unit_id: str) -> dict | None:
    """Merge ``unit_id`` into an existing unit if it is certainly the same; returns the merge."""
    row = units.get_row(tx.db, unit_id)
    if row is None or row["merged_into"] or not row["national_id_valid"]:
        return None
    existing = units.find_by_legal_id(tx.db, row["province_id"], row["national_id_key"], exclude=unit_id)
    if existing is None or existing == unit_id:
        return None
    # The older record survives: devices already hold it, so fewer ids need redirecting.
    return merge.merge(tx, unit_id, existing, reason="same_legal_id")
