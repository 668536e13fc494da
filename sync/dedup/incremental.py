"""Incremental matching of one unit against stored ones: the reference the store mirrors.

``MemoryIndex`` keeps what the store keeps in an indexed ``(key, unit_id)``
table: every unit under its ``keys.blocking_keys``. Matching a new unit reads
the posting lists of its ``keys.query_keys`` (skipping lists longer than
``keys.posting_cap``, which SQL does with ``GROUP BY key HAVING COUNT(*) <=
cap``), keeps the ``keys.candidate_ids``, and scores them with
``scoring.quick_score``: the cost is O(candidates), never O(stored units).
"""

from typing import NamedTuple

from sync.dedup import scoring
from sync.dedup.keys import candidate_ids, commonness_of, count_keys, posting_cap, unit_keys
from sync.dedup.record import Unit, prepare


class Match(NamedTuple):
    unit_id: str
    score: float
    verdict: str  # "merge" or "review" (distinct candidates are not returned)


class MemoryIndex:
    def __init__(self):
        self.postings: dict[str, list[str]] = {}
        self.units: dict[str, Unit] = {}
        self.counts: dict[str, int] = {}  # count keys (exact names, places) -> units

    def __len__(self) -> int:
        return len(self.units)

    def add(self, record_or_unit) -> Unit:
        """Store a unit (a raw record or a prepared ``Unit``) under its blocking keys."""
        unit = record_or_unit if isinstance(record_or_unit, Unit) else prepare(record_or_unit)
        self.units[unit.id] = unit
        for key in unit_keys(unit)[0]:
            self.postings.setdefault(key, []).append(unit.id)
        for key in count_keys(unit):
            self.counts[key] = self.counts.get(key, 0) + 1
        return unit

    def commonness(self, unit: Unit) -> float:
        """``keys.name_commonness`` of a unit about to be matched (counted as stored)."""
        return commonness_of(unit, lambda key: self.counts.get(key, 0) + 1, len(self.units) + 1)

    def match(self, record_or_unit) -> list[Match]:
        """Stored units that may be the same as this one, best first (merge or review)."""
        unit = record_or_unit if isinstance(record_or_unit, Unit) else prepare(record_or_unit)
        unit.commonness = self.commonness(unit)
        lists = []
        for key in unit_keys(unit)[1]:
            ids = self.postings.get(key)
            if ids and len(ids) <= posting_cap(key):
                lists.append((key, ids))
        found = candidate_ids(unit, lists, self.units.__getitem__,
                              lambda other: other != unit.id)
        matches = []
        for other in found:
            scored = scoring.quick_score(unit, self.units[other], scoring.REVIEW_THRESHOLD)
            if scored is not None:
                total, blocked = scored
                matches.append(Match(other, round(total, 3), scoring.verdict(total, blocked)))
        return sorted(matches, key=lambda m: -m.score)
