"""Batch deduplication of a list of records: prepare, block, score, cluster.

No database: the candidates come from an array join of the same ``keys`` an indexed
table would use (``blocking``). On a multi-core machine forked worker processes read
and prepare the records chunk by chunk and make their keys and columns, while this
process gathers them in order; then the comparing step runs in forked workers that
share the prepared units, the index and the columns copy-on-write, each joining its
part of the pairs, bounding their scores (``prefilter``) and scoring the hopeful ones.
"""

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from operator import attrgetter

import numpy as np

from sync.dedup import prefilter, scoring
from sync.dedup.blocking import Index, keys_of
from sync.dedup.cluster import cluster
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


# What forked workers inherit: set just before a pool starts, cleared after.
_SHARED: dict = {}
_unit_row = attrgetter(*(f.name for f in fields(Unit)))  # a unit's fields as a tuple


def _prepare_chunk(bounds: tuple[int, int]):
    """(notes, which items have a record, unit rows, keys, columns) of a chunk of the
    input (see ``Reader``; the first two are None without one)."""
    items, read = _SHARED["records"][bounds[0]:bounds[1]], _SHARED["read"]
    notes = made = None
    records = items
    if read is not None:
        notes, records = [], []
        for note, record in map(read, items):
            notes.append(note)
            records.append(record)
        made = [record is not None for record in records]
    units = [prepare(record) for record in records if record is not None]
    # Sent back as plain tuples: made, pickled and rebuilt, they cost 60% of pickling the
    # dataclasses themselves. The keys travel as hashes in bytes (blocking.keys_of), the
    # prefilter's columns as arrays.
    return (notes, made,
            list(map(_unit_row, units)),
            keys_of(units, 0), prefilter.coded(units))


@dataclass
class Reader:
    """How raw input items become records, in the workers, and which become units.

    ``read(item) -> (note, record or None)`` runs where the records are prepared (the
    forked workers, which inherit it): parsing a line of JSON there shares the parsing
    out among the cores. ``accept(note)`` runs in this process, in input order, once per
    item: whether the item's record (when it has one) becomes a unit; the place to count
    skipped lines and drop repeated ids.
    """

    read: Callable
    accept: Callable


def prepared_and_indexed(records: Iterable, progress: Progress = _noop,
                         workers: int | None = None, reader: Reader | None = None,
                         ) -> tuple[list[Unit], Index, prefilter.Columns]:
    """The prepared units, their index and their prefilter columns. With several workers,
    forked processes prepare chunks of the records (reading them first with ``reader``)
    and make their keys and columns; this process gathers them, in order."""
    items = list(records)
    n = len(items)
    units: list[Unit] = []
    index, parts = Index(), []
    chunks = [(start, min(n, start + _TICK)) for start in range(0, n, _TICK)]
    with _forked(_workers(n, workers), records=items,
                 read=None if reader is None else reader.read) as pool:
        results = map(_prepare_chunk, chunks) if pool is None else pool.imap(_prepare_chunk, chunks)
        for (_, end), (notes, made, rows, keys, coded) in zip(chunks, results, strict=True):
            if notes is None:
                kept = np.ones(len(rows), dtype=bool)
            else:  # a decision for every item, in order; only those with a record have a row
                decisions = [reader.accept(note) for note in notes]
                kept = np.array([ok for ok, has in zip(decisions, made, strict=True) if has],
                                dtype=bool)
            numbers = np.where(kept, len(units) + np.cumsum(kept) - 1, -1)
            index.add(keys, numbers)
            parts.append(prefilter.subset(coded, kept))
            units.extend(Unit(*row) for row, ok in zip(rows, kept.tolist(), strict=True) if ok)
            progress("prepare", end, n)
    columns = prefilter.columns(units, parts)
    index.close(units, columns)
    return units, index, columns


def _link_part(units: list[Unit], index: Index, columns: prefilter.Columns, part: int,
               floor: float):
    """Scored candidate pairs of one part of the batch (``Index.pairs``):
    ([(i, j, score, blocked)] of those >= ``floor``, pairs looked at)."""
    left, right = index.pairs(part, _CHUNKS)
    hopeful = prefilter.hopeful(columns, left, right, floor)
    found = []
    finish_score = scoring.finish_score
    for i, j, known, unknown, known_sum, blocked in zip(
            left[hopeful.positions].tolist(), right[hopeful.positions].tolist(),
            hopeful.weights.tolist(), hopeful.unknown.tolist(), hopeful.known_sum.tolist(),
            hopeful.blocked.tolist(), strict=True):
        scored = finish_score(units[i], units[j], floor, known, unknown, known_sum, blocked)
        if scored is not None:
            found.append((i, j, scored[0], scored[1]))
    return found, len(left)


def _link_chunk(part: int):
    return _link_part(_SHARED["units"], _SHARED["index"], _SHARED["columns"], part,
                      _SHARED["floor"])


def _workers(n: int, workers: int | None) -> int:
    if workers is None:
        workers = (os.cpu_count() or 1) if n >= PARALLEL_FROM else 1
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        return 1  # sharing the index needs fork; elsewhere stay serial
    return max(1, workers)


@contextmanager
def _forked(workers: int, **shared) -> Iterator:
    """A pool of forked workers that inherit ``shared`` (in ``_SHARED``) copy-on-write.

    With one worker there is no pool (None): the caller runs the work itself, from
    the same ``_SHARED``."""
    _SHARED.update(shared)
    try:
        if workers == 1:
            yield None
            return
        # Nothing created so far will be freed while the workers run: keep the garbage
        # collector from walking (and so copying, page by page) the shared objects.
        gc.freeze()
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                yield pool
        finally:
            gc.unfreeze()
    finally:
        _SHARED.clear()


def link(units: list[Unit], floor: float, progress: Progress = _noop,
         workers: int | None = None, index: Index | None = None,
         columns: prefilter.Columns | None = None) -> tuple[Links, int]:
    """Scored links (i, j) -> (score, blocked) of candidate pairs scoring >= ``floor``.

    Returns the links and the number of candidate pairs looked at. ``index`` and
    ``columns``: the units' ``Index`` and ``prefilter.columns`` when already made.
    """
    n = len(units)
    columns = prefilter.columns(units) if columns is None else columns
    index = Index(units, columns) if index is None else index
    links: Links = {}
    looked = 0
    workers = _workers(n, workers)
    with _forked(workers, units=units, index=index, columns=columns, floor=floor) as pool:
        parts = map(_link_chunk, range(_CHUNKS)) if pool is None else pool.imap_unordered(
            _link_chunk, range(_CHUNKS))
        for done, (found, seen) in enumerate(parts, start=1):
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


def deduplicate(records: Iterable, progress: Progress = _noop,
                merge_threshold: float | None = None,
                review_threshold: float | None = None,
                workers: int | None = None, reader: Reader | None = None) -> BatchResult:
    """Cluster records judged the same unit. Labels follow input order.

    Thresholds default to ``scoring.MERGE_THRESHOLD`` / ``REVIEW_THRESHOLD``;
    ``workers`` defaults to every core for big batches, one for small ones. ``reader``:
    the records are raw items to read first (``Reader``); labels then follow the items
    it accepted.
    """
    merge = scoring.MERGE_THRESHOLD if merge_threshold is None else merge_threshold
    review_floor = scoring.REVIEW_THRESHOLD if review_threshold is None else review_threshold
    # A batch builds millions of small objects and frees none of them until the
    # end: cyclic garbage collection passes would only re-walk them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        units, index, columns = prepared_and_indexed(records, progress, workers, reader)
        n = len(units)
        links, looked = link(units, min(review_floor, merge), progress, workers, index, columns)
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
