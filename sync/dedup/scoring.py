"""Scoring a pair: fitted weights, two thresholds and hard rules.

The score is a log-odds: ``BIAS`` plus one weight per feature level (see
``features.LEVELS``). A "none" level always weighs 0 - a missing field is no
evidence - and the other weights were fitted by L2-regularised logistic
regression on labelled pairs from ``sync.dedup.generator`` (two vocabularies x
several noise mixes; see ``sync.dedup.fit`` and docs/dedup.md). They are
written out here as constants so a change of weights is a reviewed code change.

Verdicts:
  merge    score >= MERGE_THRESHOLD and no hard rule fires
  review   score >= REVIEW_THRESHOLD (or a hard rule blocked a merge)
  distinct otherwise

Hard rules (never an automatic merge, whatever the score):
  * two different valid legal national ids;
  * two different licence numbers;
  * two different branch numbers (…شماره ۲ is another plant of the firm).
"""

from typing import NamedTuple

from sync.dedup.features import FEATURES, GATE
from sync.dedup.features import features as _features
from sync.dedup.record import Unit, prepare

# BEGIN FITTED WEIGHTS - written by `bench/dedup_fit.py --write` (sync.dedup.fit)
BIAS = -0.03
WEIGHTS: dict[str, dict[str, float]] = {
    "name": {
        "exact": 1.31, "s95": 1.31, "s90": 1.31, "s80": -0.48, "s70": -2.85, "low": -3.65,
        "none": 0.0,
    },
    "name_words": {"all": -0.44, "subset": -1.86, "conflict": -3.37, "none": 0.0},
    "branch": {"same": 0.0, "differ": -10.24},
    "legal_id": {"match": 1.98, "conflict": -3.68, "one": 0.0, "none": 0.0},
    "license": {"match": 3.84, "conflict": -3.11, "none": 0.0},
    "phone": {"match": 4.24, "conflict": -1.73, "other": 0.0, "none": 0.0},
    "distance": {
        "d50": 3.68, "d150": 1.83, "d300": -0.74, "d1k": -4.09, "d5k": -4.09, "d50k": -4.09,
        "far": -4.23, "none": 0.0,
    },
    "province": {"same": 1.21, "differ": -4.94, "none": 0.0},
    "city": {"same": 1.05, "differ": -4.19, "none": 0.0},
    "park": {"same": 1.22, "differ": -2.81, "none": 0.0},
    "activity": {"same": 0.75, "similar": 0.3, "differ": -3.68, "none": 0.0},
    "owner": {"same": 1.38, "family": 1.38, "differ": -1.59, "none": 0.0},
    "address": {"same": 1.74, "similar": 0.27, "differ": -0.6, "none": 0.0},
    "plate": {"match": 3.74, "conflict": -5.01, "none": 0.0},
}
# END FITTED WEIGHTS
MERGE_THRESHOLD = 2.0  # log-odds; chosen for >= 0.995 pairwise precision on held-out data
REVIEW_THRESHOLD = -1.0  # below this a pair is not worth a supervisor's time

# Feature levels that forbid an automatic merge.
HARD_RULES = {
    ("legal_id", "conflict"): "different valid legal national ids",
    ("license", "conflict"): "different licence numbers",
    ("branch", "differ"): "different branch/plant numbers",
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


def verdict(total: float, blocked: bool) -> str:
    if total >= MERGE_THRESHOLD and not blocked:
        return MERGE
    return REVIEW if total >= REVIEW_THRESHOLD else DISTINCT


_GATED = list(FEATURES.items())[:GATE]
_REST = list(FEATURES.items())[GATE:]
_HARD: dict[str, set[str]] = {}
for (_name, _level) in HARD_RULES:
    _HARD.setdefault(_name, set()).add(_level)
_REST_BEST = 0.0


def refresh() -> None:
    """Recompute what is derived from WEIGHTS (after replacing them, as fitting does)."""
    global _REST_BEST
    # the most the features after the gate can add together
    _REST_BEST = sum(max(WEIGHTS.get(name, {}).values(), default=0.0) for name, _ in _REST)


refresh()


def quick_score(a: Unit, b: Unit, floor: float) -> tuple[float, bool] | None:
    """(score, blocked by a hard rule) of two prepared units, or None when below ``floor``.

    The gate features (name, identifiers) are scored first; when even the best
    level of every remaining feature could not lift the pair to ``floor`` the
    rest is skipped. Same result as ``score(features(a, b))`` for kept pairs.
    """
    total = BIAS
    blocked = False
    for name, level_of in _GATED:
        level = level_of(a, b)
        total += WEIGHTS[name][level]
        if level in _HARD.get(name, ()):
            blocked = True
    if total + _REST_BEST < floor:
        return None
    for name, level_of in _REST:
        level = level_of(a, b)
        total += WEIGHTS[name][level]
        if level in _HARD.get(name, ()):
            blocked = True
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
    return Decision(round(total, 3), verdict(total, bool(rules)), feats, reasons)
