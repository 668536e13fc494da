"""The candidate pairs of a whole batch, found as array joins instead of unit by unit.

The rule is ``keys.candidate_ids``' (the one incremental matching applies to a
single unit against the store): a pair sharing a key of a strong kind is a candidate,
and so is a pair sharing both a D and a P key; a pair sharing keys of one weak kind
only must pass ``keys.weak_pair_plausible``. For a batch that rule runs here over
numpy arrays, for every pair at once:

1. every key a unit is indexed under becomes its 64-bit hash, and its posting list a
   run of the index entries sorted by (key, unit); lists that cannot yield a pair or
   are longer than ``keys.posting_cap`` are dropped;
2. each query key of unit ``i`` reads the part of its list above ``i``, so each pair
   is met from its lower index only;
3. the pairs met several times are folded into one, with the kinds of key they share;
4. pairs of one weak kind are tested: D alone by the units' place codes, P alone by
   rapidfuzz scoring all of them in one call.

GPS keys (own cell + name word when indexed, the 2 x 2 nearest cells + word when
looked up) mix the word's hash with the grid cell into 64 bits, so the four cells a
unit looks in are worked out for every unit at once.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from sync.dedup import geo, prefilter
from sync.dedup.keys import (
    MIN_UNITS_FOR_COMMONNESS,
    WEAK_SUBSET_SIMILARITY,
    WEAK_WORD_SIMILARITY,
    count_keys,
    name_words,
    posting_cap,
    shared_keys,
)
from sync.dedup.prefilter import Columns
from sync.dedup.record import Unit

_STRONG, _NAME, _WORD = 1, 2, 4  # what a shared key says: strong kind, D, P
_KINDS = "LCTDPAG"  # key kinds by their prefix (keys.py); an entry carries its kind's position
_KIND_FLAGS = np.array([_NAME if k == "D" else _WORD if k == "P" else _STRONG for k in _KINDS],
                       dtype=np.int8)
_KIND_CAPS = np.array([posting_cap(k) for k in _KINDS], dtype=np.int64)
_KIND_OF = {k: n for n, k in enumerate(_KINDS)}
_GPS_KIND = _KIND_OF["G"]


_DTYPES = {"keys": np.int64, "kinds": np.int8, "words": np.int64, "counted": np.int64,
           "counted_slots": np.int16}


class ChunkKeys(NamedTuple):
    """The keys of a run of units, as 64-bit hashes packed in bytes (``keys_of``).

    Made where the units are prepared (a forked worker), so that only bytes travel and
    the process that indexes has nothing to do per key. Python's string hash is the
    same in a process and the workers it forks.
    """

    units: bytes  # per entry: the unit's number in the batch
    keys: bytes  # per entry: hash of the key
    kinds: bytes  # per entry: position of the key's kind in _KINDS
    located: bytes  # per name word of a unit with a position: the unit's number
    words: bytes  # and the word's hash
    counted_units: bytes  # per count key (keys.count_keys) of every unit: the unit,
    counted: bytes  # the key's hash,
    counted_slots: bytes  # and its place in keys.commonness_of's product (-1: the place;
    # 16 bits: a name of 500 letters has up to 250 words)


def keys_of(units: Iterable[Unit], first: int = 0) -> ChunkKeys:
    """The keys of ``units``, numbered from ``first`` (see ``ChunkKeys``).

    Per unit only lists are extended; hashing, kinds and numbering run once per chunk,
    in C (``map``) and numpy.
    """
    entries, located_words, counted = [], [], []
    entry_counts, located_counts, counted_counts = [], [], []
    for unit in units:
        words = name_words(unit)
        keys = shared_keys(unit, words)
        entries += keys
        entry_counts.append(len(keys))
        if unit.lat is not None:
            located_words += words
            located_counts.append(len(words))
        else:
            located_counts.append(0)
        # count keys: the name's words in keys.commonness_of's order (slot 0, 1, ...), then
        # the place (slot -1)
        count = count_keys(unit)
        counted += count
        counted_counts.append(len(count))
    numbers = np.arange(first, first + len(entry_counts))
    counts = np.array(counted_counts, dtype=np.int64)
    slots = np.arange(len(counted)) - np.repeat(np.cumsum(counts) - counts, counts)
    slots[_first_letters(counted) == ord("Z")] = -1
    kinds = _KIND_CODES[_first_letters(entries)]
    return ChunkKeys(np.repeat(numbers, entry_counts).tobytes(), _hashes(entries).tobytes(),
                     kinds.tobytes(), np.repeat(numbers, located_counts).tobytes(),
                     _hashes(located_words).tobytes(), np.repeat(numbers, counts).tobytes(),
                     _hashes(counted).tobytes(), slots.astype(np.int16).tobytes())


def _hashes(keys: list[str]) -> np.ndarray:
    return np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys))


def _first_letters(keys: list[str]) -> np.ndarray:
    """Each key's kind letter, as its ASCII code."""
    return np.frombuffer("".join(map(itemgetter(0), keys)).encode("ascii"), dtype=np.uint8)


# a key's kind (its first letter) as its position in _KINDS, looked up by the letter's code
_KIND_CODES = np.zeros(128, dtype=np.int8)
_KIND_CODES[[ord(k) for k in _KINDS]] = np.arange(len(_KINDS), dtype=np.int8)


class Index:
    """The blocking keys of a batch, and from them its candidate pairs (``pairs``).

    Built from all the units at once (``Index(units)``), or chunk by chunk as they are
    prepared (``add`` each chunk's ``keys_of`` in order, then ``close``). Closing fills
    each unit's ``commonness`` (``keys.name_commonness``).

    Keys are compared by their 64-bit hashes: two different keys of one batch share a
    hash with odds of about 1e-7 in 100,000 records, and would then only merge two
    posting lists.
    """

    def __init__(self, units: list[Unit] | None = None, columns: Columns | None = None):
        self._chunks: list[tuple[ChunkKeys, np.ndarray]] = []
        self._join: _Join | None = None
        if units is not None:
            self.add(keys_of(units, 0), np.arange(len(units)))
            self.close(units, columns)

    def add(self, keys: ChunkKeys, numbers: np.ndarray) -> None:
        """Index the keys of a chunk of units (``keys_of`` it); ``numbers``: each of its
        units' number in the batch (as ``keys_of`` numbered them), -1 to leave one out."""
        self._chunks.append((keys, numbers))

    def close(self, units: list[Unit], columns: Columns | None = None) -> None:
        """Finish the index of ``units`` (every unit added, in order): count, then join.
        ``columns``: their ``prefilter.columns`` when already made."""
        groups = {"units": ("keys", "kinds"), "located": ("words",),
                  "counted_units": ("counted", "counted_slots")}
        arrays: dict[str, list[np.ndarray]] = {}
        for keys, numbers in self._chunks:
            for owner, fields in groups.items():
                number = numbers[np.frombuffer(getattr(keys, owner), dtype=np.int64)]
                kept = number >= 0
                arrays.setdefault(owner, []).append(number[kept])
                for name in fields:
                    values = np.frombuffer(getattr(keys, name), dtype=_DTYPES[name])
                    arrays.setdefault(name, []).append(values[kept])

        def column(name: str, dtype) -> np.ndarray:
            return np.concatenate(arrays[name]) if arrays.get(name) else np.zeros(0, dtype=dtype)

        commonness = _commonness(len(units), column("counted_units", np.int64),
                                 column("counted", np.int64), column("counted_slots", np.int16))
        for unit, value in zip(units, commonness.tolist(), strict=True):
            unit.commonness = value
        columns = prefilter.columns(units) if columns is None else columns
        self._join = _join_tables(units, columns, column("units", np.int64), column("keys", np.int64),
                                  column("kinds", np.int8), column("located", np.int64),
                                  column("words", np.int64))
        self._chunks = []

    def pairs(self, part: int = 0, parts: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """The candidate pairs (i, j), i < j, as two arrays sorted by i then j.

        ``part`` of ``parts``: only the pairs whose ``i`` is ``part`` modulo ``parts``,
        so that workers can share the join (the parts are about equal in work).
        """
        assert self._join is not None, "close the index first"
        return _candidate_pairs(self._join, part, parts)


def _commonness(total: int, units: np.ndarray, keys: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """``keys.commonness_of`` of every unit at once, from its count keys' entries.

    The same arithmetic in the same order (a product of word frequencies taken word by
    word, then the place's count), so each figure is the one ``commonness_of`` gives.
    """
    result = np.full(total, -1.0)
    if total < MIN_UNITS_FOR_COMMONNESS or not len(keys):
        return result
    _, where, tally = np.unique(keys, return_inverse=True, return_counts=True)
    count = tally[where.ravel()]
    chance, named = np.ones(total), np.zeros(total, dtype=bool)
    for slot in range(int(slots.max()) + 1):
        mine = slots == slot
        chance[units[mine]] *= np.maximum(count[mine], 1) / total
        named[units[mine]] = True
    place = np.zeros(total, dtype=np.int64)
    mine = slots == -1
    place[units[mine]] = count[mine]
    result[named] = (np.where(place > 0, place, total) * chance)[named]
    return result


def _gps_keys(lat: np.ndarray, lon: np.ndarray, words: np.ndarray, near: bool) -> np.ndarray:
    """GPS keys of (position, word hash) rows: for the position's own cell, or its 4
    nearest cells. A key is the word's hash and the cell mixed into 64 bits (splitmix64's
    finaliser), like the other keys' string hashes.
    """
    # the same float arithmetic as geo.cell and geo.near_cells, so the same cells
    row_f, col_f = lat / geo.CELL, lon / geo.CELL
    row, col = np.floor(row_f).astype(np.int64), np.floor(col_f).astype(np.int64)
    cells = [(row, col)]
    if near:
        dr = np.where(row_f - row >= 0.5, 1, -1)
        dc = np.where(col_f - col >= 0.5, 1, -1)
        cells += [(row + dr, col), (row, col + dc), (row + dr, col + dc)]
    word = words.view(np.uint64)
    mixed = []
    for r, c in cells:
        x = word + ((r.astype(np.uint64) << np.uint64(32)) | c.astype(np.uint64)) * _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * _MIX1
        x = (x ^ (x >> np.uint64(27))) * _MIX2
        mixed.append((x ^ (x >> np.uint64(31))).view(np.int64))
    return np.stack(mixed, axis=1).ravel()


_GOLDEN, _MIX1, _MIX2 = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9),
                         np.uint64(0x94D049BB133111EB))


@dataclass
class _Join:
    """What every part of the join reads: the usable posting lists and the look-ups."""

    size: int
    listed: np.ndarray  # units of every posting list, list after list, each ascending
    start: np.ndarray  # per key: where its list begins in ``listed``
    length: np.ndarray  # per key: its list's length
    position_code: np.ndarray  # per entry of ``listed``: key * (size + 1) + unit, ascending
    flag: np.ndarray  # per key: _STRONG, _NAME or _WORD
    query_units: np.ndarray  # look-ups into usable lists: who looks,
    query_keys: np.ndarray  # and under which key
    places: tuple[tuple[np.ndarray, np.ndarray], ...]  # province and town: codes, scripts
    names: list[str]  # per unit: name_sorted
    parts: dict[int, tuple[np.ndarray, np.ndarray]]  # parts -> look-ups in part order, bounds


def _join_tables(units: list[Unit], columns: Columns, entry_units: np.ndarray,
                 entry_keys: np.ndarray, entry_kinds: np.ndarray, located: np.ndarray,
                 located_words: np.ndarray) -> _Join:
    n = len(units)
    # the index: every (key, unit) entry, GPS ones under the unit's own cell
    lat, lon = columns.lat[located], columns.lon[located]
    own_gps = _gps_keys(lat, lon, located_words, near=False)
    hashes = np.concatenate([entry_keys, own_gps])
    # one stable sort makes the posting lists: entries came in unit order, so each list
    # is ascending; the keys are numbered densely in that order
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    new_key = np.empty(len(ordered), dtype=bool)
    new_key[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new_key[1:])
    start = np.flatnonzero(new_key)
    keys = ordered[start]
    dense = np.cumsum(new_key) - 1  # of each entry, in sorted order
    listed = np.concatenate([entry_units, located])[order]
    kinds = np.concatenate([entry_kinds, np.full(len(own_gps), _GPS_KIND, dtype=np.int8)])[order]
    flag, cap = _KIND_FLAGS[kinds[start]], _KIND_CAPS[kinds[start]]
    length = np.diff(np.append(start, len(ordered)))
    usable = (length > 1) & (length <= cap)

    # the look-ups: every entry but the GPS ones (a unit looks under its own keys), plus
    # GPS keys of the 4 nearest cells, searched among the usable GPS keys only (a small
    # table: most keys have a list of one)
    near_gps = _gps_keys(lat, lon, located_words, near=True)
    near_units = np.repeat(located, 4)
    gps = np.flatnonzero(usable & (kinds[start] == _GPS_KIND))
    gps_keys = keys[gps]
    found = np.minimum(np.searchsorted(gps_keys, near_gps), max(len(gps) - 1, 0))
    hit = gps_keys[found] == near_gps if len(gps) else np.zeros(len(near_gps), dtype=bool)
    own = (kinds != _GPS_KIND) & usable[dense]
    query_units = np.concatenate([listed[own], near_units[hit]])
    query_keys = np.concatenate([dense[own], gps[found[hit]]])
    places = ((columns.province, columns.province_script), (columns.city, columns.city_script))
    return _Join(n, listed, start, length, dense * (n + 1) + listed, flag,
                 query_units, query_keys, places, [u.name_sorted for u in units], {})


def _candidate_pairs(join: _Join, part: int, parts: int) -> tuple[np.ndarray, np.ndarray]:
    n = join.size
    if parts not in join.parts:  # once per process: the look-ups grouped by part
        # small integers: numpy's stable sort of them is a radix sort, one pass
        part_of = (join.query_units % parts).astype(np.int16 if parts < 1 << 15 else np.int64)
        order = np.argsort(part_of, kind="stable")
        bounds = np.searchsorted(part_of[order], np.arange(parts + 1))
        join.parts[parts] = order, bounds
    order, bounds = join.parts[parts]
    mine = order[bounds[part]:bounds[part + 1]]
    query_units, query_keys = join.query_units[mine], join.query_keys[mine]
    # each look-up reads the part of its list above the unit looking
    first = np.searchsorted(join.position_code, query_keys * (n + 1) + query_units, side="right")
    taken = join.start[query_keys] + join.length[query_keys] - first
    rows = np.repeat(np.arange(len(query_keys)), taken)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(taken) - taken, taken)
    left = query_units[rows]
    right = join.listed[first[rows] + offsets]
    shared = join.flag[query_keys[rows]]

    # one row per pair, with every kind of key it shares
    code = left * n + right
    order = np.argsort(code)
    code, shared = code[order], shared[order]
    if len(code):
        firsts = np.flatnonzero(np.concatenate([[True], code[1:] != code[:-1]]))
        code, shared = code[firsts], np.bitwise_or.reduceat(shared, firsts)
    left, right = code // n, code % n

    # the candidate rule of keys.candidate_ids
    keep = ((shared & _STRONG) != 0) | (shared == _NAME | _WORD)
    name_only = np.flatnonzero(shared == _NAME)
    keep[name_only] = _places_agree(join, left[name_only], right[name_only])
    word_only = np.flatnonzero(shared == _WORD)
    keep[word_only] = _names_alike(join.names, left[word_only], right[word_only])
    return left[keep], right[keep]


def _places_agree(join: _Join, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``weak_pair_plausible("D", ...)`` of each pair: neither province nor town known to differ."""
    agree = np.ones(len(left), dtype=bool)
    for codes, scripts in join.places:
        x, y = codes[left], codes[right]
        # known on both sides, different, and in one script (record.comparable)
        agree &= ~((x != 0) & (y != 0) & (x != y) & (scripts[left] == scripts[right]))
    return agree


def _names_alike(names: list[str], left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``weak_pair_plausible("P", ...)`` of each pair, scored by rapidfuzz in one call each."""
    if not len(left):
        return np.zeros(0, dtype=bool)
    a = [names[i] for i in left.tolist()]
    b = [names[j] for j in right.tolist()]
    alike = process.cpdist(a, b, scorer=fuzz.ratio, score_cutoff=WEAK_WORD_SIMILARITY) > 0
    rest = np.flatnonzero(~alike)
    if len(rest):
        subset = process.cpdist([a[k] for k in rest.tolist()], [b[k] for k in rest.tolist()],
                                scorer=fuzz.token_set_ratio, score_cutoff=WEAK_SUBSET_SIMILARITY)
        alike[rest] = subset > 0
    return alike
