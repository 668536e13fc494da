"""Batch deduplication of a list of records: prepare, block, score, cluster.

No database: the blocking index is an in-memory dict built from the same
``keys`` functions an indexed table would use.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sync.dedup import scoring
from sync.dedup.cluster import cluster
from sync.dedup.keys import blocking_keys, posting_cap, query_keys
from sync.dedup.record import Unit, prepare

# progress(stage, done, total): stage is "prepare", "compare" or "cluster"
Progress = Callable[[str, int, int], None]
_TICK = 2000  # report progress every this many items


@dataclass
class BatchResult:
    labels: list[str]  # cluster label of each record, in input order (the first member's id)
    review: list[tuple[int, int, float]] = field(default_factory=list)  # (i, j, score) pairs
    stats: dict[str, int] = field(default_factory=dict)


def _noop(stage: str, done: int, total: int) -> None:
    pass


def prepare_all(records: Iterable[dict], progress: Progress = _noop) -> list[Unit]:
    records = list(records)
    units = []
    for i, record in enumerate(records):
        units.append(prepare(record))
        if i % _TICK == 0:
            progress("prepare", i, len(records))
    progress("prepare", len(records), len(records))
    return units


def build_index(units: list[Unit]) -> dict[str, list[int]]:
    """Posting lists: blocking key -> indices of the units indexed under it."""
    postings: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        for key in blocking_keys(unit):
            postings.setdefault(key, []).append(i)
    return postings


def candidates(i: int, unit: Unit, postings: dict[str, list[int]]) -> set[int]:
    """Indices above ``i`` sharing a selective key with unit ``i``."""
    found: set[int] = set()
    for key in query_keys(unit):
        posting = postings.get(key)
        if posting is not None and 1 < len(posting) <= posting_cap(key):
            found.update(posting)
    return {j for j in found if j > i}


def link(units: list[Unit], floor: float, progress: Progress = _noop,
         ) -> tuple[dict[tuple[int, int], tuple[float, bool]], int]:
    """Scored links (i, j) -> (score, blocked) of candidate pairs scoring >= ``floor``.

    Returns the links and the number of candidate pairs looked at.
    """
    postings = build_index(units)
    links = {}
    looked = 0
    for i, unit in enumerate(units):
        found = candidates(i, unit, postings)
        looked += len(found)
        for j in found:
            scored = scoring.quick_score(unit, units[j], floor)
            if scored is not None:
                links[(i, j)] = scored
        if i % _TICK == 0:
            progress("compare", i, len(units))
    progress("compare", len(units), len(units))
    return links, looked


def labels_for(units: list[Unit], links: dict[tuple[int, int], tuple[float, bool]],
               merge_threshold: float) -> list[str]:
    """Cluster label of each unit (its cluster's first member's id), clustering ``links``."""

    def judge(i: int, j: int) -> tuple[float, bool]:
        decision = scoring.decide(units[i], units[j])
        return decision.score, bool(scoring.hard_rules(decision.features))

    roots = cluster(len(units), dict(links), judge, merge_threshold)
    first: dict[int, str] = {}
    return [first.setdefault(root, units[i].id) for i, root in enumerate(roots)]


def deduplicate(records: Iterable[dict], progress: Progress = _noop,
                merge_threshold: float | None = None,
                review_threshold: float | None = None) -> BatchResult:
    """Cluster records judged the same unit. Labels follow input order.

    Thresholds default to ``scoring.MERGE_THRESHOLD`` / ``REVIEW_THRESHOLD``.
    """
    merge = scoring.MERGE_THRESHOLD if merge_threshold is None else merge_threshold
    review_floor = scoring.REVIEW_THRESHOLD if review_threshold is None else review_threshold
    units = prepare_all(records, progress)
    n = len(units)
    links, looked = link(units, min(review_floor, merge), progress)
    labels = labels_for(units, links, merge)
    progress("cluster", n, n)
    review = sorted(
        ((i, j, s) for (i, j), (s, _) in links.items()
         if labels[i] != labels[j] and s >= review_floor),
        key=lambda t: -t[2],
    )
    clusters = len(set(labels))
    stats = {
        "records": n,
        "candidate_pairs": looked,
        "clusters": clusters,
        "merged_records": n - clusters,
        "review_pairs": len(review),
    }
    return BatchResult(labels, review, stats)
