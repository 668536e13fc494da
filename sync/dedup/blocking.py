"""The candidate pairs of a whole batch, found as array joins instead of unit by unit.

The rule is ``keys.candidate_ids``' (the one incremental matching applies to a
single unit against the store): a pair sharing a key of a strong kind is a candidate,
and so is a pair sharing both a D and a P key; a pair sharing keys of one weak kind
only must pass ``keys.weak_pair_plausible``. For a batch that rule runs here over
numpy arrays, for every pair at once:

1. every key a unit is indexed under becomes an integer, and its posting list a run
   of the index entries sorted by (key, unit); lists that cannot yield a pair or are
   longer than ``keys.posting_cap`` are dropped;
2. each query key of unit ``i`` reads the part of its list above ``i``, so each pair
   is met from its lower index only;
3. the pairs met several times are folded into one, with the kinds of key they share;
4. pairs of one weak kind are tested: D alone by the units' place codes, P alone by
   rapidfuzz scoring all of them in one call.

GPS keys (own cell + name word when indexed, the 2 x 2 nearest cells + word when
looked up) are packed into integers from the grid cell and the word, so the four
cells a unit looks in are computed for every unit at once.
"""

from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from sync.dedup import geo
from sync.dedup.keys import (
    WEAK_SUBSET_SIMILARITY,
    WEAK_WORD_SIMILARITY,
    commonness_of,
    count_keys,
    name_words,
    posting_cap,
    shared_keys,
)
from sync.dedup.record import Unit, place_script

_STRONG, _NAME, _WORD = 1, 2, 4  # what a shared key says: strong kind, D, P
_GPS = 1 << 60  # GPS keys: this bit | word << 28 | grid row << 14 | grid column
_GPS_CAP = posting_cap("G")


class Index:
    """The blocking keys of a batch, and from them its candidate pairs (``pairs``).

    Built from all the units at once (``Index(units)``), or chunk by chunk as they are
    prepared (``add`` each chunk in order, then ``close``). Closing fills each unit's
    ``commonness`` (``keys.name_commonness``).
    """

    def __init__(self, units: list[Unit] | None = None):
        self._key_ids: dict[str, int] = {}
        self._key_kinds = array("b")  # per key id: _STRONG, _NAME or _WORD
        self._key_caps = array("q")  # per key id: keys.posting_cap
        self._entry_units, self._entry_keys = array("q"), array("q")
        self._word_ids: dict[str, int] = {}
        self._located, self._located_words = array("q"), array("q")  # unit per name word
        self._counted: list[list[str]] = []
        self._size = 0
        self._join: _Join | None = None
        if units is not None:
            self.add(units)
            self.close(units)

    def add(self, units: Iterable[Unit]) -> None:
        """Index the next units, numbered after those added before."""
        key_ids, kinds, caps, entry_units, entry_keys = (
            self._key_ids, self._key_kinds, self._key_caps, self._entry_units, self._entry_keys)
        word_ids, located, located_words = self._word_ids, self._located, self._located_words
        i = self._size - 1
        for i, unit in enumerate(units, start=self._size):
            words = name_words(unit)
            for key in shared_keys(unit, words):
                key_id = key_ids.get(key)
                if key_id is None:
                    key_id = key_ids[key] = len(key_ids)
                    kind = key[0]
                    kinds.append(_NAME if kind == "D" else _WORD if kind == "P" else _STRONG)
                    caps.append(posting_cap(key))
                entry_units.append(i)
                entry_keys.append(key_id)
            if unit.lat is not None:
                for word in words:
                    located.append(i)
                    located_words.append(word_ids.setdefault(word, len(word_ids)))
            self._counted.append(count_keys(unit))
        self._size = i + 1

    def close(self, units: list[Unit]) -> None:
        """Finish the index of ``units`` (every unit added, in order): count, then join."""
        counts = Counter(k for keys in self._counted for k in keys)
        for unit in units:
            unit.commonness = commonness_of(unit, counts.__getitem__, len(units))
        self._counted = []
        self._join = _join_tables(self, units)
        self._key_ids, self._word_ids = {}, {}

    def pairs(self, part: int = 0, parts: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """The candidate pairs (i, j), i < j, as two arrays sorted by i then j.

        ``part`` of ``parts``: only the pairs whose ``i`` is ``part`` modulo ``parts``,
        so that workers can share the join (the parts are about equal in work).
        """
        assert self._join is not None, "close the index first"
        return _candidate_pairs(self._join, part, parts)


def _gps_keys(units: list[Unit], located: np.ndarray, words: np.ndarray, near: bool) -> np.ndarray:
    """Packed GPS keys of (unit, word) rows: the unit's own cell, or its 4 nearest cells."""
    lat = np.array([units[i].lat for i in located.tolist()], dtype=np.float64)
    lon = np.array([units[i].lon for i in located.tolist()], dtype=np.float64)
    # the same float arithmetic as geo.cell and geo.near_cells, so the same cells
    row_f, col_f = lat / geo.CELL, lon / geo.CELL
    row, col = np.floor(row_f).astype(np.int64), np.floor(col_f).astype(np.int64)
    base = _GPS | (words << 28)
    if not near:
        return base | (row << 14) | col
    dr = np.where(row_f - row >= 0.5, 1, -1)
    dc = np.where(col_f - col >= 0.5, 1, -1)
    cells = [(row, col), (row + dr, col), (row, col + dc), (row + dr, col + dc)]
    return np.stack([base | (r << 14) | c for r, c in cells], axis=1).ravel()


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
    province: np.ndarray  # per unit: a code of its province (0: unknown)
    city: np.ndarray
    province_script: np.ndarray  # per code: its script (record.place_script)
    city_script: np.ndarray
    names: list[str]  # per unit: name_sorted


def _join_tables(index: Index, units: list[Unit]) -> _Join:
    n = len(units)
    entry_units = np.frombuffer(index._entry_units, dtype=np.int64)
    entry_keys = np.frombuffer(index._entry_keys, dtype=np.int64)
    located = np.frombuffer(index._located, dtype=np.int64)
    located_words = np.frombuffer(index._located_words, dtype=np.int64)

    # the index: every (key, unit) entry, GPS ones under the unit's own cell
    own_gps = _gps_keys(units, located, located_words, near=False)
    keys, dense = np.unique(np.concatenate([entry_keys, own_gps]), return_inverse=True)
    holders = np.concatenate([entry_units, located])
    flag = np.full(len(keys), _STRONG, dtype=np.int8)
    flag[dense[:len(entry_keys)]] = np.frombuffer(index._key_kinds, dtype=np.int8)[entry_keys]
    cap = np.full(len(keys), _GPS_CAP, dtype=np.int64)
    cap[dense[:len(entry_keys)]] = np.frombuffer(index._key_caps, dtype=np.int64)[entry_keys]
    order = np.argsort(dense, kind="stable")  # entries came in unit order: lists stay ascending
    listed = holders[order]
    length = np.bincount(dense, minlength=len(keys))
    start = np.cumsum(length) - length
    usable = (length > 1) & (length <= cap)

    # the look-ups: index keys but GPS, plus GPS keys of the 4 nearest cells
    near_gps = _gps_keys(units, located, located_words, near=True)
    near_units = np.repeat(located, 4)
    found = np.minimum(np.searchsorted(keys, near_gps), max(len(keys) - 1, 0))
    hit = keys[found] == near_gps if len(keys) else np.zeros(len(near_gps), dtype=bool)
    query_units = np.concatenate([entry_units, near_units[hit]])
    query_keys = np.concatenate([dense[:len(entry_units)], found[hit]])
    kept = usable[query_keys]
    province, province_script = _place_codes(units, "province")
    city, city_script = _place_codes(units, "city")
    return _Join(n, listed, start, length, dense[order] * (n + 1) + listed, flag,
                 query_units[kept], query_keys[kept], province, city, province_script,
                 city_script, [u.name_sorted for u in units])


def _place_codes(units: list[Unit], field: str) -> tuple[np.ndarray, np.ndarray]:
    """A code per unit for one place field (0: unknown), and each code's script."""
    codes: dict[str, int] = {"": 0}
    values = np.array([codes.setdefault(getattr(u, field), len(codes)) for u in units],
                      dtype=np.int64)
    scripts: dict[str, int] = {}
    return values, np.array([scripts.setdefault(place_script(v), len(scripts)) for v in codes],
                            dtype=np.int64)


def _candidate_pairs(join: _Join, part: int, parts: int) -> tuple[np.ndarray, np.ndarray]:
    n = join.size
    mine = join.query_units % parts == part if parts > 1 else slice(None)
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
    for values, script in ((join.province, join.province_script), (join.city, join.city_script)):
        x, y = values[left], values[right]
        # known on both sides, different, and in one script (record.comparable)
        agree &= ~((x != 0) & (y != 0) & (x != y) & (script[x] == script[y]))
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
