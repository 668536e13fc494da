"""Scoring a pair: fitted weights, two thresholds and hard rules.

The score is a log-odds: ``BIAS`` plus one weight per feature level (see
``features.LEVELS``). A "none" level always weighs 0 - a missing field is no
evidence - and the other weights were fitted by L2-regularised logistic
regression on labelled pairs from ``sync.dedup.generator`` (two vocabularies x
several noise mixes and two densities; see ``sync.dedup.fit``, bench/dedup_fit.py
and docs/dedup.md). They are
written out here as constants so a change of weights is a reviewed code change.

Verdicts:
  merge    score >= MERGE_THRESHOLD and no hard rule fires
  review   score >= REVIEW_THRESHOLD and some feature agrees (this includes a
           merge a hard rule blocked)
  distinct otherwise

Hard rules (never an automatic merge, whatever the score):
  * two different valid legal national ids;
  * two different licence numbers;
  * two different branch numbers (…شماره ۲ is another plant of the firm);
  * names that share no word (``name_shared`` "nothing"): an owner with two factories
    and one mobile number is common, so such a pair goes to review, whatever agrees.
"""

from typing import NamedTuple

from sync.dedup.features import FEATURES, LEVELS
from sync.dedup.features import features as _features
from sync.dedup.record import Unit, prepare

# BEGIN FITTED WEIGHTS - written by `bench/dedup_fit.py --write` (sync.dedup.fit)
BIAS = -6.08
WEIGHTS: dict[str, dict[str, float]] = {
    "name": {
        "exact": 3.18, "s95": 3.18, "s90": 2.95, "s80": 1.31, "s70": -1.38, "low": -2.7,
        "none": 0.0,
    },
    "name_words": {"all": 2.91, "subset": 0.88, "conflict": -0.42, "none": 0.0},
    "name_commonness": {"c0": 0.45, "c1": 0.0, "c2": -0.39, "c3": -1.34, "none": 0.0},
    "name_shared": {"some": 0.0, "nothing": 0.0, "none": 0.0},
    "branch": {"same": 0.0, "differ": -15.58},
    "legal_id": {"match": 4.95, "conflict": -4.78, "one": 0.0, "none": 0.0},
    "license": {"match": 7.74, "conflict": -5.24, "none": 0.0},
    "phone": {"match": 8.34, "conflict": -1.83, "other": 0.0, "none": 0.0},
    "distance": {
        "d50": 4.74, "d150": 1.93, "d300": -0.25, "d1k": -6.12, "d5k": -6.12, "d50k": -6.12,
        "far": -6.7, "none": 0.0,
    },
    "province": {"same": 0.56, "differ": -7.32, "none": 0.0},
    "city": {"same": 0.9, "differ": -8.32, "none": 0.0},
    "park": {"same": 0.85, "differ": -3.88, "none": 0.0},
    "activity": {"same": 1.58, "similar": -0.26, "differ": -4.24, "none": 0.0},
    "owner": {"same": 3.47, "family": 2.08, "differ": -2.15, "none": 0.0},
    "address": {"same": 2.44, "similar": 0.63, "differ": -0.99, "none": 0.0},
    "plate": {"match": 3.67, "conflict": -7.27, "none": 0.0},
}
# END FITTED WEIGHTS
MERGE_THRESHOLD = 2.5  # log-odds; worst tuning-set precision 0.998 (docs/dedup.md, section 4)
REVIEW_THRESHOLD = -1.0  # log-odds: about one chance in four on the candidates fitted on

# Feature levels that forbid an automatic merge.
HARD_RULES = {
    ("legal_id", "conflict"): "different valid legal national ids",
    ("license", "conflict"): "different licence numbers",
    ("branch", "differ"): "different branch/plant numbers",
    ("name_shared", "nothing"): "names that share no word",
}

MERGE, REVIEW, DISTINCT = "merge", "review", "distinct"


class Decision(NamedTuple):
    score: float
    verdict: str  # "merge", "review" or "distinct"
    features: dict[str, str]
    reasons: list[str]  # human-readable: contributions, then any hard rule


def score(features: dict[str, str]) -> tuple[float, list[tuple[str, str, float]]]:
    """Log-odds that two units are the same, and the (feature, level, weight) terms behind it.

    Unknown features or levels weigh 0, so an older weight table never breaks.
    """
    terms = [(name, level, WEIGHTS.get(name, {}).get(level, 0.0))
             for name, level in features.items()]
    return BIAS + sum(w for _, _, w in terms), terms


def hard_rules(features: dict[str, str]) -> list[str]:
    """The hard rules this pair breaks (empty: an automatic merge is allowed)."""
    return [why for (name, level), why in HARD_RULES.items() if features.get(name) == level]


def verdict(total: float, blocked: bool, agreeing: bool = True) -> str:
    """merge / review / distinct for a score; ``agreeing``: some feature spoke for the pair.

    A pair with nothing in common is never worth a supervisor's time, whatever
    the bias of the fitted score says.
    """
    if total >= MERGE_THRESHOLD and not blocked:
        return MERGE
    return REVIEW if total >= REVIEW_THRESHOLD and agreeing else DISTINCT


_ORDER = list(FEATURES.items())
# The order quick_score looks at features in: the cheap ones first and the name, which
# costs more than all the others together (aligning words, three string distances),
# last, so that most pairs a place, a phone or a distance already rules out never have
# their names compared. Any order gives the same answer; this one looks at half as much.
QUICK_ORDER = ("branch", "legal_id", "license", "phone", "province", "distance", "plate", "park", "city",
               "activity", "address", "owner", "name", "name_words", "name_commonness", "name_shared")
_HARD: dict[str, set[str]] = {}
for (_name, _level) in HARD_RULES:
    _HARD.setdefault(_name, set()).add(_level)
# (position in FEATURES, level function, level -> (weight, breaks a hard rule), the most
# all the later features together can still add), in QUICK_ORDER
_STEPS: list[tuple[int, object, dict[str, tuple[float, bool]], float]] = []
# Pruning leaves this much room, so float rounding in a different order of addition can
# never drop a pair the canonical sum keeps.
ROOM = 1e-9


def refresh() -> None:
    """Recompute what is derived from WEIGHTS (after replacing them, as fitting does)."""
    assert sorted(QUICK_ORDER) == sorted(FEATURES), "QUICK_ORDER names every feature once"
    position = {name: k for k, (name, _) in enumerate(_ORDER)}
    best = [max(WEIGHTS.get(name, {}).values(), default=0.0) for name in QUICK_ORDER]
    _STEPS.clear()
    _PLANS.clear()
    for k, name in enumerate(QUICK_ORDER):
        table = {level: (WEIGHTS.get(name, {}).get(level, 0.0), level in _HARD.get(name, ()))
                 for level in LEVELS[name]}
        _STEPS.append((position[name], FEATURES[name], table, sum(best[k + 1:])))


# The steps for pairs of which only some features are still to work out, by the set of
# their positions in FEATURES as a bit mask (``finish_score``): made once per such set.
_PLANS: dict[int, list] = {}


def _plan(unknown: int) -> list:
    plan = _PLANS.get(unknown)
    if plan is None:
        steps = [step for step in _STEPS if unknown >> step[0] & 1]
        best = [max(weight for weight, _ in table.values()) for _, _, table, _ in steps]
        plan = _PLANS[unknown] = [(position, level_of, table, sum(best[k + 1:]))
                                  for k, (position, level_of, table, _) in enumerate(steps)]
    return plan


refresh()


def quick_score(a: Unit, b: Unit, floor: float) -> tuple[float, bool] | None:
    """(score, blocked by a hard rule) of two prepared units, or None when below ``floor``.

    Features are looked at in ``QUICK_ORDER``; as soon as the best the remaining ones could
    add cannot reach ``floor`` the pair is dropped. A pair kept is scored by adding the
    weights in ``FEATURES`` order, as ``score(features(a, b))`` does.
    """
    return _finish(a, b, floor, [0.0] * len(_STEPS), BIAS, False, _STEPS)


def finish_score(a: Unit, b: Unit, floor: float, known: list[float], unknown: int,
                 known_sum: float, blocked: bool) -> tuple[float, bool] | None:
    """``quick_score`` of a pair some of whose features are already worked out (the batch's
    ``prefilter`` works many out at once).

    ``known``: their weights in ``FEATURES`` order (anything where ``unknown``, a bit mask
    of positions, is set; the list is filled in); ``known_sum`` their sum (it only decides when to stop early, and
    may be added in any order); ``blocked``: one of them breaks a hard rule. Only the
    features in ``unknown`` are looked at, and the score is the same sum as quick_score's.
    """
    return _finish(a, b, floor, known, BIAS + known_sum, blocked, _plan(unknown))


def _finish(a, b, floor, weights, partial, blocked, steps):
    for position, level_of, table, still_possible in steps:
        weight, hard = table[level_of(a, b)]
        weights[position] = weight
        partial += weight
        blocked = blocked or hard
        if partial + still_possible < floor - ROOM:
            return None
    total = BIAS
    for weight in weights:
        total += weight
    return (total, blocked) if total >= floor else None


def decide(a, b) -> Decision:
    """Compare two units (raw record dicts or prepared ``Unit``s)."""
    a = a if isinstance(a, Unit) else prepare(a)
    b = b if isinstance(b, Unit) else prepare(b)
    feats = _features(a, b)
    total, terms = score(feats)
    rules = hard_rules(feats)
    reasons = [f"{name}={level} {weight:+.2f}" for name, level, weight in terms if weight]
    reasons += [f"hard rule: {why}" for why in rules]
    agreeing = any(weight > 0 for _, _, weight in terms)
    return Decision(round(total, 3), verdict(total, bool(rules), agreeing), feats, reasons)
