"""A bound on the score of many candidate pairs at once, to drop the hopeless ones early.

``scoring.quick_score`` looks at one pair at a time, in Python. Most candidate pairs of
a batch fall below the review floor on features that are plain comparisons of codes
(identifiers, phones, places, distance) or one rapidfuzz scorer (activity, address,
owner). Here those are computed for all the pairs of a part of the batch at once, over
numpy columns of the units; the name features, which need word alignment, count at
their best weight. A pair whose bound cannot reach the floor is dropped; every other
pair goes to ``scoring.finish_score`` with the weights worked out here, which are
``scoring.WEIGHTS``' for the same levels, and the scorer looks only at the rest.

Each level computed here is the level ``features`` gives (tests compare them on
generated batches). Where float rounding could tip a distance across a band limit, the
bound takes the better weight of the two bands, and a unit with more phones than the
columns hold gets the best phone weight: a bound may be loose, never too tight.
"""

from dataclasses import MISSING, dataclass, field, fields
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from sync.dedup import features, geo, scoring
from sync.dedup.record import Unit, place_script

_PHONES = 3  # phone columns per unit; a unit with more is scored by its best weight


@dataclass
class Columns:
    """The units' fields as arrays, for comparing many pairs at once.

    Texts are compared by ``text_codes`` (0: not given). Two different texts of a batch
    share a code with odds of about 1e-19 a pair; such a pair would be scored as agreeing
    on that field.
    """

    named: np.ndarray  # has a name
    branch: np.ndarray
    legal_id: np.ndarray
    license: np.ndarray
    plate: np.ndarray
    phones: np.ndarray  # (units, _PHONES) codes
    many_phones: np.ndarray
    landlines: np.ndarray  # has a landline
    mobiles: np.ndarray
    province: np.ndarray
    city: np.ndarray
    park: np.ndarray
    province_script: np.ndarray  # script_codes
    city_script: np.ndarray
    park_script: np.ndarray
    lat: np.ndarray  # NaN: no position
    lon: np.ndarray
    activity_code: np.ndarray  # text_codes of the texts below: pairs of texts scored once
    address_code: np.ndarray
    owner_code: np.ndarray
    # per unit, the texts themselves (filled by ``columns``, not by ``coded``)
    city_name: list[str] = field(default_factory=list)
    park_name: list[str] = field(default_factory=list)
    activity: list[str] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    owner: list[str] = field(default_factory=list)


_ARRAYS = [f.name for f in fields(Columns) if f.default_factory is MISSING]


def _code(text: str) -> int:
    # (a text whose hash is 0 gets 1: 0 says "not given")
    return (hash(text) or 1) if text else 0


def text_codes(values: list[str]) -> np.ndarray:
    """A 64-bit code per text, its hash (0: empty): equal texts have equal codes, and two
    different texts of a batch share one with odds of about 1e-19 a pair."""
    return np.fromiter(map(_code, values), dtype=np.int64, count=len(values))


_SCRIPTS = {"id": 0, "latin": 1, "persian": 2}


def script_codes(places: list[str]) -> np.ndarray:
    """The script of each place key (``record.place_script``) as a small number."""
    return np.fromiter((_SCRIPTS[place_script(v)] for v in places), dtype=np.int8,
                       count=len(places))


def coded(units: list[Unit]) -> Columns:
    """The array columns of ``units`` (their texts left out): made where they are prepared,
    chunk by chunk, and joined by ``columns``."""
    padding = [0] * _PHONES
    phones = []
    for unit in units:
        some = [_code(phone) for phone in sorted(unit.phones)[:_PHONES]] if unit.phones else []
        phones += some + padding[len(some):]
    places = {name: [getattr(u, name) for u in units] for name in ("province", "city", "park")}
    return Columns(
        named=np.fromiter((bool(u.name) for u in units), dtype=bool, count=len(units)),
        branch=np.fromiter((-1 if u.branch is None else u.branch for u in units), dtype=np.int64,
                           count=len(units)),
        legal_id=text_codes([u.legal_id for u in units]),
        license=text_codes([u.license for u in units]),
        plate=text_codes([u.plate for u in units]),
        phones=np.array(phones, dtype=np.int64).reshape(len(units), _PHONES),
        many_phones=np.fromiter((len(u.phones) > _PHONES for u in units), dtype=bool,
                                count=len(units)),
        landlines=np.fromiter((bool(u.landlines) for u in units), dtype=bool, count=len(units)),
        mobiles=np.fromiter((bool(u.mobiles) for u in units), dtype=bool, count=len(units)),
        **{name: text_codes(values) for name, values in places.items()},
        **{name + "_script": script_codes(values) for name, values in places.items()},
        lat=np.fromiter((np.nan if u.lat is None else u.lat for u in units), dtype=np.float64,
                        count=len(units)),
        lon=np.fromiter((np.nan if u.lon is None else u.lon for u in units), dtype=np.float64,
                        count=len(units)),
        activity_code=text_codes([u.activity for u in units]),
        address_code=text_codes([u.address for u in units]),
        owner_code=text_codes([u.owner for u in units]),
    )


def subset(part: Columns, kept: np.ndarray) -> Columns:
    """The array columns of the units ``kept`` (a mask) of a ``coded`` part."""
    return Columns(**{name: getattr(part, name)[kept] for name in _ARRAYS})


def columns(units: list[Unit], parts: list[Columns] | None = None) -> Columns:
    """The columns of ``units``; ``parts``: their ``coded`` columns chunk by chunk, in order."""
    parts = [coded(units)] if parts is None else parts
    arrays = {name: np.concatenate([getattr(p, name) for p in parts]) if parts
              else getattr(coded([]), name) for name in _ARRAYS}
    return Columns(**arrays, city_name=[u.city for u in units], park_name=[u.park for u in units],
                   activity=[u.activity for u in units], address=[u.address for u in units],
                   owner=[u.owner for u in units])


# A feature's levels for many pairs: level indices (positions in features.LEVELS[feature]),
# -1 where the level is not worked out here, with the most its weight can be there.
Levels = tuple[np.ndarray, np.ndarray | float]
_UNKNOWN = -1


def _table(feature: str) -> np.ndarray:
    """The weight of each level of ``feature``, in ``features.LEVELS`` order."""
    weights = scoring.WEIGHTS.get(feature, {})
    return np.array([weights.get(level, 0.0) for level in features.LEVELS[feature]])


def _hard(feature: str) -> np.ndarray:
    """Whether each level of ``feature`` breaks a hard rule (``scoring.HARD_RULES``)."""
    return np.array([(feature, level) in scoring.HARD_RULES for level in features.LEVELS[feature]])


def _level(feature: str, choices: list[tuple[np.ndarray, str]], default: str) -> np.ndarray:
    """Level indices: the first level whose condition holds, else ``default``."""
    names = features.LEVELS[feature]
    return np.select([c for c, _ in choices], [names.index(level) for _, level in choices],
                     names.index(default))


def _identifier(feature: str, x: np.ndarray, y: np.ndarray) -> Levels:
    both = (x != 0) & (y != 0)
    return _level(feature, [(both & (x == y), "match"), (both, "conflict")], "none"), 0.0


def _legal(x: np.ndarray, y: np.ndarray) -> Levels:
    both = (x != 0) & (y != 0)
    return _level("legal_id", [(both & (x == y), "match"), (both, "conflict"),
                               ((x != 0) | (y != 0), "one")], "none"), 0.0


def _phone(c: Columns, a: np.ndarray, b: np.ndarray) -> Levels:
    pa, pb = c.phones[a], c.phones[b]
    given = (pa[:, 0] != 0) & (pb[:, 0] != 0)
    shared = np.zeros(len(a), dtype=bool)
    for i in range(_PHONES):
        for j in range(_PHONES):
            shared |= (pa[:, i] == pb[:, j]) & (pa[:, i] != 0)
    same_kind = (c.landlines[a] & c.landlines[b]) | (c.mobiles[a] & c.mobiles[b])
    levels = _level("phone", [(~given, "none"), (shared, "match"), (same_kind, "conflict")],
                    "other")
    # more phones than the columns hold: not worked out here
    return np.where(c.many_phones[a] | c.many_phones[b], _UNKNOWN, levels), _table("phone").max()


def _comparable(c: Columns, place: str, a: np.ndarray, b: np.ndarray):
    """(comparable, equal) of a place field (``record.comparable``)."""
    codes, scripts = getattr(c, place), getattr(c, place + "_script")
    x, y = codes[a], codes[b]
    equal = x == y
    return (x != 0) & (y != 0) & (equal | (scripts[a] == scripts[b])), equal


def _province(c: Columns, a: np.ndarray, b: np.ndarray) -> Levels:
    comparable, equal = _comparable(c, "province", a, b)
    return _level("province", [(~comparable, "none"), (equal, "same")], "differ"), 0.0


def _distinct(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, where): the position of one pair of each distinct (x, y) of codes, and
    which of those each pair is (``x[first[where]]`` is ``x``, and so for ``y``).
    A batch's pairs repeat the same two activities, owners or places again and again:
    a scorer asked once per distinct pair gives every pair its answer."""
    order = np.lexsort((y, x))
    sx, sy = x[order], y[order]
    new = np.empty(len(order), dtype=bool)
    new[:1] = True
    new[1:] = (sx[1:] != sx[:-1]) | (sy[1:] != sy[:-1])
    where = np.empty(len(order), dtype=np.int64)
    where[order] = np.cumsum(new) - 1
    return order[new], where


def _place(c: Columns, feature: str, a: np.ndarray, b: np.ndarray) -> Levels:
    """``features._place``: the fuzzy test asked once per distinct pair of places."""
    comparable, alike = _comparable(c, feature, a, b)
    unsure = np.flatnonzero(comparable & ~alike)
    if len(unsure):
        codes, names = getattr(c, feature), getattr(c, feature + "_name")
        ua, ub = a[unsure], b[unsure]
        first, where = _distinct(codes[ua], codes[ub])
        near = np.array([names[i][0] != "#" and bool(
            fuzz.ratio(names[i], names[j], score_cutoff=features.PLACE_SAME))
            for i, j in zip(ua[first].tolist(), ub[first].tolist(), strict=True)], dtype=bool)
        alike[unsure] = near[where]
    return _level(feature, [(~comparable, "none"), (alike, "same")], "differ"), 0.0


def _distance(c: Columns, a: np.ndarray, b: np.ndarray) -> Levels:
    lat1, lon1, lat2, lon2 = c.lat[a], c.lon[a], c.lat[b], c.lon[b]
    known = ~np.isnan(lat1) & ~np.isnan(lat2)
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    with np.errstate(invalid="ignore"):
        metres = 2 * geo.EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    far = np.abs(lat1 - lat2) > features.FAR_LATITUDES
    # numpy's sines may differ from libm's in the last bit: a pair this close to a band's
    # limit is not worked out here, and may weigh the better of the two bands
    near, off = (_level("distance", [(~known, "none"), (far, "far")] + [
        (metres * slack <= limit, level) for limit, level in features.DISTANCE_LEVELS], "far")
        for slack in (1 - 1e-9, 1 + 1e-9))
    table = _table("distance")
    return np.where(near == off, near, _UNKNOWN), np.maximum(table[near], table[off])


def _distinct_texts(texts: list[str], codes: np.ndarray, a: np.ndarray, b: np.ndarray):
    """(given, x, y, where) for the pairs (a[k], b[k]) of a text field: whether both texts
    are given, the texts of each distinct pair of them (``_distinct``), and which of those
    each pair is."""
    ca, cb = codes[a], codes[b]
    first, where = _distinct(ca, cb)
    return ((ca != 0) & (cb != 0), [texts[i] for i in a[first].tolist()],
            [texts[j] for j in b[first].tolist()], where)


def _graded(c: Columns, feature: str, a: np.ndarray, b: np.ndarray, same: float,
            similar: float) -> Levels:
    """``features._graded`` with token_set_ratio, for many pairs of ``feature``'s texts."""
    given, x, y, where = _distinct_texts(getattr(c, feature), getattr(c, feature + "_code"), a, b)
    sim = process.cpdist(x, y, scorer=fuzz.token_set_ratio, score_cutoff=similar,
                         dtype=np.float64)[where] if len(x) else np.zeros(0)
    return _level(feature, [(~given, "none"), (sim >= same, "same"), (sim >= similar, "similar")],
                  "differ"), 0.0


def _owner(c: Columns, a: np.ndarray, b: np.ndarray) -> Levels:
    """"same" or "none"; another owner ("family" or "differ") is not worked out here."""
    given, x, y, where = _distinct_texts(c.owner, c.owner_code, a, b)
    cut = features.OWNER_SAME
    same = process.cpdist(x, y, scorer=fuzz.token_sort_ratio, score_cutoff=cut,
                          dtype=np.float64) >= cut
    same |= process.cpdist([p.replace(" ", "") for p in x], [q.replace(" ", "") for q in y],
                           scorer=fuzz.ratio, score_cutoff=cut, dtype=np.float64) >= cut
    same |= np.array([p == q for p, q in zip(x, y, strict=True)], dtype=bool)
    same = same[where]
    table, names = scoring.WEIGHTS.get("owner", {}), features.LEVELS["owner"]
    levels = np.select([~given, same], [names.index("none"), names.index("same")], _UNKNOWN)
    return levels, max(table.get("family", 0.0), table.get("differ", 0.0))


def _best(names) -> float:
    return sum(max(scoring.WEIGHTS.get(n, {}).values(), default=0.0) for n in names)


# Features bounded here in two rounds, codes first; the name features stay at their best.
_CODED = ("branch", "legal_id", "license", "phone", "province", "distance", "plate", "park", "city")
_TEXT = ("activity", "address", "owner")
_POSITION = {name: k for k, name in enumerate(features.FEATURES)}
_NAMES = [name for name in features.FEATURES if name not in _CODED + _TEXT]


class Hopeful(NamedTuple):
    """The pairs whose score may reach a floor, and what is known of their score already
    (what ``scoring.finish_score`` takes)."""

    positions: np.ndarray  # of the pairs kept, in the arrays given
    weights: np.ndarray  # (kept, features) in features.FEATURES order; NaN: still to work out
    unknown: np.ndarray  # bit mask of the NaN positions
    known_sum: np.ndarray  # the sum of the other weights
    blocked: np.ndarray  # a known feature breaks a hard rule (scoring.HARD_RULES)


def _assess(c: Columns, a: np.ndarray, b: np.ndarray, floor: float):
    """(bound, weights, hard) of each pair: an upper bound on its score; per feature its
    weight (NaN: not worked out, counted in the bound at the most it can weigh); and
    whether a feature worked out breaks a hard rule."""
    weights = np.full((len(a), len(features.FEATURES)), np.nan)
    hard = np.zeros(len(a), dtype=bool)
    bound = np.full(len(a), scoring.BIAS + _best(_NAMES + list(_TEXT)))

    def settle(name: str, rows, found: Levels) -> None:
        levels, ceiling = found
        known = levels != _UNKNOWN
        weight = _table(name)[levels]
        weights[rows, _POSITION[name]] = np.where(known, weight, np.nan)
        hard[rows] |= known & _hard(name)[levels]
        bound[rows] += np.where(known, weight, ceiling) - (_best([name]) if name in _TEXT else 0)

    everyone = slice(None)
    settle("branch", everyone, _branch(c, a, b))
    settle("legal_id", everyone, _legal(c.legal_id[a], c.legal_id[b]))
    settle("license", everyone, _identifier("license", c.license[a], c.license[b]))
    settle("phone", everyone, _phone(c, a, b))
    settle("province", everyone, _province(c, a, b))
    settle("distance", everyone, _distance(c, a, b))
    settle("plate", everyone, _identifier("plate", c.plate[a], c.plate[b]))
    settle("park", everyone, _place(c, "park", a, b))
    settle("city", everyone, _place(c, "city", a, b))
    keep = np.flatnonzero(bound >= floor - scoring.ROOM)
    for name in _TEXT:
        if not len(keep):
            break
        ka, kb = a[keep], b[keep]
        if name == "owner":
            found = _owner(c, ka, kb)
        else:
            grades = features.ACTIVITY_GRADES if name == "activity" else features.ADDRESS_GRADES
            found = _graded(c, name, ka, kb, *grades)
        settle(name, keep, found)
        keep = keep[bound[keep] >= floor - scoring.ROOM]
    return bound, weights, hard


def bounds(c: Columns, left: np.ndarray, right: np.ndarray, floor: float) -> np.ndarray:
    """An upper bound on the score of each pair (left[k], right[k]).

    The text features are only worked out for the pairs still able to reach ``floor``:
    the others keep their best weight there, which leaves their bound an upper bound.
    """
    return _assess(c, left, right, floor)[0]


def hopeful(c: Columns, left: np.ndarray, right: np.ndarray, floor: float) -> Hopeful:
    """The pairs (left[k], right[k]) whose score may reach ``floor`` (``Hopeful``)."""
    bound, weights, hard = _assess(c, left, right, floor)
    kept = np.flatnonzero(bound >= floor - scoring.ROOM)
    weights = weights[kept]
    unknown = np.isnan(weights)
    bits = np.left_shift(1, np.arange(weights.shape[1], dtype=np.int64))
    return Hopeful(kept, weights, (unknown * bits).sum(axis=1), np.nansum(weights, axis=1),
                   hard[kept])


def _branch(c: Columns, a: np.ndarray, b: np.ndarray) -> Levels:
    differ = c.named[a] & c.named[b] & (c.branch[a] != c.branch[b])
    return _level("branch", [(differ, "differ")], "same"), 0.0
