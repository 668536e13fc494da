"""Batch dedup's array join (``sync.dedup.blocking``) and score bound (``sync.dedup.prefilter``).

Both are speed-ups of a rule written once elsewhere, so each is checked against that
rule, pair by pair: the join must find exactly the candidates ``keys.candidate_ids``
finds one unit at a time, and the bound must never fall below the score ``scoring``
gives, or a pair worth a review would be lost.
"""

import math
from collections import Counter, defaultdict
from dataclasses import replace

import numpy as np
import pytest

from sync.dedup import prefilter, scoring
from sync.dedup.batch import prepare_all
from sync.dedup.blocking import Index
from sync.dedup.generator import PRESETS, generate
from sync.dedup.keys import candidate_ids, commonness_of, count_keys, posting_cap, unit_keys

# Records that make the edge cases of blocking and of every coded feature: places given
# as reference numbers and in Latin letters, no name, one name, many phones, positions
# a band limit apart, names one letter apart in provinces that differ.
_MESSY = [
    {"id": "m1", "name": "صنایع غذایی مهرام", "province": "تهران", "city": "تهران",
     "park": "شهرک صنعتی عباس‌آباد", "phone": "021-36001234", "lat": 35.48, "lon": 51.68},
    {"id": "m2", "name": "صنايع غذايي مهرام", "province": "8", "city": "Tehran",
     "park": "ش.ص عباس آباد", "phone": "+98 21 3600 1234", "lat": 35.48045, "lon": 51.68},
    {"id": "m3", "name": "مهرام", "province": "اصفهان", "city": "کاشان", "lat": 35.48, "lon": 51.69},
    {"id": "m4", "name": "غذایی مهرم", "province": "تهران", "city": "ری",
     "phone": "09121234567 02136001234 02155556666 02177778888 09350000000"},
    {"id": "m5", "name": "", "park": "شهرک صنعتی عباس‌آباد", "address": "پلاک ۱۲",
     "lat": 35.48, "lon": 51.68},
    {"id": "m6", "name": "پلاستیک مهرام", "park": "شهرک صنعتی عباس‌آباد", "owner": "آقای رضا احمدی",
     "activity": "تولید ظروف پلاستیکی", "address": "خیابان اول پلاک ۱۲", "lat": 35.4801, "lon": 51.68},
    {"id": "m7", "name": "پلاستيک مهرام شماره ۲", "park": "عباس اباد", "owner": "احمدی",
     "activity": "ظروف پلاستیکی", "address": "خ اول پ ۱۲", "lat": 35.4801, "lon": 51.6801},
    {"id": "m8", "name": "مهرام", "province": "12", "city": "4", "national_id": "10320894878"},
    {"id": "m9", "name": "مهرام", "province": "12", "city": "5", "national_id": "10320894878"},
    # a name of 160 different words (pasted text): more than 127 slots in the commonness
    # product, which once overflowed the 8-bit slot numbers and stopped the batch
    {"id": "m10", "name": " ".join(a + b for a in "ابپتجچخدرژ" for b in "شعفکگلمنوییسزهقطپ")[:479],
     "park": "شهرک صنعتی عباس‌آباد"},
]


def _reference_pairs(units) -> set[tuple[int, int]]:
    """The candidates as the per-unit code finds them: a dict of posting lists, then
    ``candidate_ids`` for each unit against the units after it."""
    postings, queries = defaultdict(list), []
    for i, unit in enumerate(units):
        index_keys, query_keys = unit_keys(unit)
        for key in index_keys:
            postings[key].append(i)
        queries.append(query_keys)
    usable = {k: v for k, v in postings.items() if 1 < len(v) <= posting_cap(k)}
    pairs = set()
    for i, unit in enumerate(units):
        found = ((k, [j for j in usable[k] if j > i]) for k in queries[i] if k in usable)
        pairs |= {(i, j) for j in candidate_ids(unit, found, units.__getitem__)}
    return pairs


def _as_set(pairs) -> set[tuple[int, int]]:
    left, right = pairs
    return set(zip(left.tolist(), right.tolist(), strict=True))


def _batch(preset: str, size: int, seed: int):
    records, _ = generate(replace(PRESETS[preset], size=size, seed=seed))
    return prepare_all(records + _MESSY)


@pytest.fixture(scope="module", params=[("a", 2500, 3), ("b", 2500, 5), ("heldout", 2500, 8)],
                ids=lambda p: p[0])
def batch(request):
    units = _batch(*request.param)
    return units, Index(units)


def test_the_join_finds_exactly_the_candidates_of_the_per_unit_rule(batch):
    units, index = batch
    left, right = index.pairs()
    found = list(zip(left.tolist(), right.tolist(), strict=True))
    assert found == sorted(set(found))  # each pair once, sorted, lower index first
    assert all(i < j for i, j in found)
    assert set(found) == _reference_pairs(units)
    assert len(found) > len(units) // 2  # a batch with duplicates has candidates to find


def test_parts_of_the_join_share_out_the_pairs(batch):
    units, index = batch
    whole = _as_set(index.pairs())
    parts = [_as_set(index.pairs(part, 7)) for part in range(7)]
    assert set().union(*parts) == whole
    assert sum(len(p) for p in parts) == len(whole)
    assert all(i % 7 == part for part, pairs in enumerate(parts) for i, _ in pairs)


def test_a_batch_without_keys_has_no_pairs():
    units = prepare_all([{"id": "x"}, {"id": "y", "lat": 35.0, "lon": 51.0}, {}])
    left, right = Index(units).pairs()
    assert len(left) == len(right) == 0
    assert len(Index([]).pairs()[0]) == 0
    assert len(prefilter.hopeful(prefilter.columns([]), left[:0], right[:0], 0.0).positions) == 0


def test_the_bound_is_never_below_the_score(batch):
    units, index = batch
    left, right = index.pairs()
    columns = prefilter.columns(units)
    everything = prefilter.bounds(columns, left, right, -math.inf)
    scores = np.array([scoring.score(scoring.decide(units[i], units[j]).features)[0]
                       for i, j in zip(left.tolist(), right.tolist(), strict=True)])
    assert (everything >= scores - 1e-9).all()
    # with no floor, the bound is the score with the name features at their best weight and
    # an owner who is not the same person at the better of "family" and "differ"
    names = ("name", "name_words", "name_commonness", "name_shared")
    owner = scoring.WEIGHTS["owner"]
    expected = []
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        levels = scoring.decide(units[i], units[j]).features
        total = scoring.BIAS + sum(max(scoring.WEIGHTS[f].values()) for f in names)
        for feature, level in levels.items():
            if feature == "owner" and level in ("family", "differ"):
                total += max(owner["family"], owner["differ"])
            elif feature not in names:
                total += scoring.WEIGHTS[feature][level]
        expected.append(total)
    assert np.allclose(everything, expected, rtol=0, atol=1e-9)
    # a floor prunes, and keeps every pair quick_score keeps
    floor = scoring.REVIEW_THRESHOLD
    kept = set(prefilter.hopeful(columns, left, right, floor).positions.tolist())
    wanted = {k for k, (i, j) in enumerate(zip(left.tolist(), right.tolist(), strict=True))
              if scoring.quick_score(units[i], units[j], floor) is not None}
    assert wanted <= kept
    assert len(kept) < len(left)


def test_the_bound_of_units_at_a_band_limit_takes_the_better_band():
    # two positions about 50 m apart, the first distance band's limit
    base = {"name": "کاشی مهر", "park": "شهرک صنعتی مورچه خورت"}
    a = dict(base, id="a", lat=32.0, lon=51.5)
    for step in range(-3, 4):
        lat = 32.0 + (50 + step * 1e-7) / 6_371_000.0 * 180 / math.pi
        units = prepare_all([a, dict(base, id="b", lat=lat, lon=51.5)])
        bound = prefilter.bounds(prefilter.columns(units), np.array([0]), np.array([1]), -math.inf)
        exact = scoring.score(scoring.decide(units[0], units[1]).features)[0]
        assert bound[0] >= exact - 1e-9


def test_what_the_prefilter_works_out_is_what_the_scorer_would(batch):
    units, index = batch
    left, right = index.pairs()
    floor = scoring.REVIEW_THRESHOLD
    hopeful = prefilter.hopeful(prefilter.columns(units), left, right, floor)
    names = list(scoring.WEIGHTS)
    worked_out = 0
    for k, known, unknown, known_sum, blocked in zip(
            hopeful.positions.tolist(), hopeful.weights.tolist(), hopeful.unknown.tolist(),
            hopeful.known_sum.tolist(), hopeful.blocked.tolist(), strict=True):
        a, b = units[left[k]], units[right[k]]
        levels = scoring.decide(a, b).features
        order = list(levels)
        for feature, weight in zip(order, known, strict=True):
            if weight == weight:  # not NaN: worked out
                worked_out += 1
                assert weight == scoring.WEIGHTS[feature][levels[feature]], feature
        hard = {f for f, level in levels.items() if (f, level) in scoring.HARD_RULES
                and known[order.index(f)] == known[order.index(f)]}
        assert blocked == bool(hard)
        assert unknown == sum(1 << n for n, weight in enumerate(known) if weight != weight)
        assert known_sum == pytest.approx(sum(weight for weight in known if weight == weight))
        # the scorer, told what is known, gives the same answer as working everything out
        assert scoring.finish_score(a, b, floor, known, unknown, known_sum, blocked) \
            == scoring.quick_score(a, b, floor)
    assert worked_out > len(hopeful.positions) * len(names) // 2


def test_each_units_commonness_is_the_one_the_store_would_work_out(batch):
    units, _ = batch  # the Index has filled in every unit's commonness
    counts = Counter(key for unit in units for key in count_keys(unit))
    expected = [commonness_of(unit, counts.__getitem__, len(units)) for unit in units]
    assert [unit.commonness for unit in units] == expected
    assert sum(value >= 0 for value in expected) > len(units) // 2
    few = prepare_all([{"id": str(i), "name": "کاشی مهر"} for i in range(10)])
    Index(few)
    assert {unit.commonness for unit in few} == {-1.0}  # too few units to say
