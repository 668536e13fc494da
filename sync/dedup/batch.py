"""Batch deduplication of a list of records: prepare, block, score, cluster.

No database: the blocking index is an in-memory dict built from the same
``keys`` functions an indexed table would use. On a multi-core machine forked
worker processes prepare the records, chunk by chunk, while this process indexes
the chunks already prepared; then the comparing step (most of the time) runs in
forked workers that share the prepared units and the index copy-on-write.
"""

import gc
import multiprocessing
import os
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields

from sync.dedup import scoring
from sync.dedup.cluster import cluster
from sync.dedup.keys import (
    candidate_ids,
    commonness_of,
    count_keys,
    name_words,
    near_cell_keys,
    own_cell_keys,
    posting_cap,
    shared_keys,
)
from sync.dedup.record import Unit, prepare

# progress(stage, done, total): stage is "prepare", "compare" or "cluster"
Progress = Callable[[str, int, int], None]
Links = dict[tuple[int, int], tuple[float, bool]]
_TICK = 2000  # report progress every this many items
PARALLEL_FROM = 20000  # below this many records forking costs more than it saves
_CHUNKS = 64  # pieces of the comparing work handed to workers (progress granularity)


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


class Index:
    """Posting lists of a batch, pruned to the selective ones, plus each unit's query keys.

    Built from all the units at once (``Index(units)``), or chunk by chunk as they are
    prepared (``add`` each chunk in order, then ``close``). Closing fills each unit's
    ``commonness`` (``keys.name_commonness``).
    """

    def __init__(self, units: list[Unit] | None = None):
        self._growing: defaultdict[str, list[int]] = defaultdict(list)
        self._counted: list[list[str]] = []
        # the keys shared by index and query, kept so look-ups reuse the hashed strings;
        # the GPS query keys are made where candidates are looked up (in the workers)
        self.shared: list[list[str]] = []
        self.postings: dict[str, list[int]] = {}
        if units is not None:
            self.add(units)
            self.close(units)

    def add(self, units: Iterable[Unit]) -> None:
        """Index the next units, numbered after those added before."""
        postings, shared_of, counted = self._growing, self.shared, self._counted
        for i, unit in enumerate(units, start=len(shared_of)):
            words = name_words(unit)
            shared = shared_keys(unit, words)
            for key in shared:
                postings[key].append(i)
            for key in own_cell_keys(unit, words):
                postings[key].append(i)
            shared_of.append(shared)
            counted.append(count_keys(unit))

    def close(self, units: list[Unit]) -> None:
        """Finish the index of ``units`` (every unit added, in order)."""
        counts = Counter(k for keys in self._counted for k in keys)
        for unit in units:
            unit.commonness = commonness_of(unit, counts.__getitem__, len(units))
        # only posting lists that can yield a pair and are short enough to be evidence
        self.postings = {k: v for k, v in self._growing.items() if 1 < len(v) <= posting_cap(k)}
        self._growing, self._counted = defaultdict(list), []

    def candidates(self, i: int, units: list[Unit]) -> set[int]:
        """Indices above ``i`` worth scoring against unit ``i`` (``keys.candidate_ids``)."""
        get = self.postings.get
        query = self.shared[i] + near_cell_keys(units[i])
        # posting lists hold indices in ascending order: each pair is looked at once, from
        # its lower index, by keeping only the part of each list above ``i``
        found = ((key, posting[bisect_right(posting, i):]) for key in query
                 if (posting := get(key)) is not None)
        return candidate_ids(units[i], found, units.__getitem__)


# What forked workers inherit: set just before a pool starts, cleared after.
_SHARED: dict = {}
_UNIT_FIELDS = tuple(f.name for f in fields(Unit))


def _prepare_chunk(bounds: tuple[int, int]) -> list[tuple]:
    # Sent back as plain tuples: made, pickled and rebuilt, they cost 60% of pickling the
    # dataclasses themselves.
    records = _SHARED["records"]
    return [tuple([getattr(unit, name) for name in _UNIT_FIELDS])
            for unit in map(prepare, records[bounds[0]:bounds[1]])]


def prepared_and_indexed(records: Iterable[dict], progress: Progress = _noop,
                         workers: int | None = None) -> tuple[list[Unit], Index]:
    """The prepared units and their index. With several workers, forked processes prepare
    chunks of the records while this one indexes the chunks already back, in order."""
    records = list(records)
    n = len(records)
    workers = _workers(n, workers)
    if workers == 1:
        units = prepare_all(records, progress)
        return units, Index(units)
    units, index = [], Index()
    chunks = [(start, min(n, start + _TICK)) for start in range(0, n, _TICK)]
    with _forked(workers, records=records) as pool:
        for rows in pool.imap(_prepare_chunk, chunks):
            chunk = [Unit(*row) for row in rows]
            index.add(chunk)
            units.extend(chunk)
            progress("prepare", len(units), n)
    index.close(units)
    return units, index


def _link_rows(units: list[Unit], index: Index, rows: Iterable[int], floor: float):
    """Scored pairs of the given rows: ([(i, j, score, blocked)], pairs looked at)."""
    found, looked = [], 0
    quick_score = scoring.quick_score
    for i in rows:
        unit = units[i]
        others = index.candidates(i, units)
        looked += len(others)
        for j in others:
            scored = quick_score(unit, units[j], floor)
            if scored is not None:
                found.append((i, j, scored[0], scored[1]))
    return found, looked


def _link_chunk(chunk: int):
    units, index, floor = _SHARED["units"], _SHARED["index"], _SHARED["floor"]
    return _link_rows(units, index, range(chunk, len(units), _CHUNKS), floor)


def _workers(n: int, workers: int | None) -> int:
    if workers is None:
        workers = (os.cpu_count() or 1) if n >= PARALLEL_FROM else 1
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        return 1  # sharing the index needs fork; elsewhere stay serial
    return max(1, workers)


@contextmanager
def _forked(workers: int, **shared) -> Iterator:
    """A pool of forked workers that inherit ``shared`` (in ``_SHARED``) copy-on-write."""
    _SHARED.update(shared)
    # Nothing created so far will be freed while the workers run: keep the garbage
    # collector from walking (and so copying, page by page) the shared objects.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield pool
    finally:
        _SHARED.clear()
        gc.unfreeze()


def link(units: list[Unit], floor: float, progress: Progress = _noop,
         workers: int | None = None, index: Index | None = None) -> tuple[Links, int]:
    """Scored links (i, j) -> (score, blocked) of candidate pairs scoring >= ``floor``.

    Returns the links and the number of candidate pairs looked at. ``index``: the units'
    ``Index`` when already built.
    """
    n = len(units)
    index = Index(units) if index is None else index
    workers = _workers(n, workers)
    links: Links = {}
    looked = 0
    if workers == 1:
        for start in range(0, n, _TICK):
            found, seen = _link_rows(units, index, range(start, min(n, start + _TICK)), floor)
            links.update(((i, j), (s, b)) for i, j, s, b in found)
            looked += seen
            progress("compare", min(n, start + _TICK), n)
        return links, looked
    with _forked(workers, units=units, index=index, floor=floor) as pool:
        for done, (found, seen) in enumerate(pool.imap_unordered(_link_chunk, range(_CHUNKS)), start=1):
            links.update(((i, j), (s, b)) for i, j, s, b in found)
            looked += seen
            progress("compare", n * done // _CHUNKS, n)
    return links, looked


def labels_for(units: list[Unit], links: Links, merge_threshold: float,
               veto: float | None = None, average: float | None = None) -> list[str]:
    """Cluster label of each unit (its cluster's first member's id), clustering ``links``."""

    def judge(i: int, j: int) -> tuple[float, bool]:
        decision = scoring.decide(units[i], units[j])
        return decision.score, bool(scoring.hard_rules(decision.features))

    roots = cluster(len(units), dict(links), judge, merge_threshold, veto, average)
    first: dict[int, str] = {}
    return [first.setdefault(root, units[i].id) for i, root in enumerate(roots)]


def deduplicate(records: Iterable[dict], progress: Progress = _noop,
                merge_threshold: float | None = None,
                review_threshold: float | None = None,
                workers: int | None = None) -> BatchResult:
    """Cluster records judged the same unit. Labels follow input order.

    Thresholds default to ``scoring.MERGE_THRESHOLD`` / ``REVIEW_THRESHOLD``;
    ``workers`` defaults to every core for big batches, one for small ones.
    """
    merge = scoring.MERGE_THRESHOLD if merge_threshold is None else merge_threshold
    review_floor = scoring.REVIEW_THRESHOLD if review_threshold is None else review_threshold
    # A batch builds millions of small objects and frees none of them until the
    # end: cyclic garbage collection passes would only re-walk them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        units, index = prepared_and_indexed(records, progress, workers)
        n = len(units)
        links, looked = link(units, min(review_floor, merge), progress, workers, index)
        labels = labels_for(units, links, merge)
    finally:
        if collecting:
            gc.enable()
    progress("cluster", n, n)
    # ties in input order: links arrive in the order the workers finish, which varies
    review = sorted(
        ((i, j, s) for (i, j), (s, _) in links.items()
         if labels[i] != labels[j] and s >= review_floor),
        key=lambda t: (-t[2], t[0], t[1]),
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
