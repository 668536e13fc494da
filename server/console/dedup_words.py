"""The duplicate engine's findings in words a supervisor reads the same way everywhere.

One vocabulary serves the pair's side-by-side table and the score's explanation: every
feature level has a *kind* (agree, close, differ, empty, neutral) and a description of its
real range ("300 m to 1 km", not "less than 1 km"), so a field never "agrees" in one table
and "differs" in the other, and two empty fields are never called identical. The score, a
log-odds, is shown as a probability in words.
"""

import math

from sync.dedup import scoring

# Which engine feature speaks for each unit field (fields without one are compared as typed).
FIELD_FEATURES = {"name": "name", "national_id": "legal_id", "license_no": "license", "phone": "phone",
                  "location": "distance", "province_id": "province", "city_id": "city", "park_id": "park",
                  "activity": "activity", "owner": "owner", "address": "address"}

_KINDS = {
    "name": {"exact": "agree", "s95": "agree", "s90": "agree", "s80": "close", "s70": "differ", "low": "differ"},
    "name_words": {"all": "agree", "subset": "close", "conflict": "differ"},
    "name_commonness": {"c0": "neutral", "c1": "neutral", "c2": "neutral", "c3": "neutral"},
    "name_shared": {"some": "agree", "nothing": "differ"},
    "branch": {"same": "agree", "differ": "differ"},
    "legal_id": {"match": "agree", "conflict": "differ", "one": "one_empty"},
    "license": {"match": "agree", "conflict": "differ"},
    "phone": {"match": "agree", "conflict": "differ", "other": "neutral"},
    "distance": {"d50": "agree", "d150": "agree", "d300": "close", "d1k": "differ", "d5k": "differ",
                 "d50k": "differ", "far": "differ"},
    "province": {"same": "agree", "differ": "differ"},
    "city": {"same": "agree", "differ": "differ"},
    "park": {"same": "agree", "differ": "differ"},
    "activity": {"same": "agree", "similar": "close", "differ": "differ"},
    "owner": {"same": "agree", "family": "close", "differ": "differ"},
    "address": {"same": "agree", "similar": "close", "differ": "differ"},
    "plate": {"match": "agree", "conflict": "differ"},
}

# A probability in words: the upper bound of each band (exclusive) and its message key.
CHANCE_BANDS = ((0.05, "very_unlikely"), (0.25, "unlikely"), (0.60, "possible"), (0.90, "likely"),
                (0.99, "very_likely"), (1.01, "almost_certain"))


def kind(feature: str, level: str | None) -> str:
    """agree, close, differ, one_empty, missing (no evidence: empty in one or both) or neutral."""
    if level in (None, "none"):
        return "missing"
    return _KINDS.get(feature, {}).get(level, "neutral")


def level_key(feature: str, level: str) -> str:
    """The message key that names ``level`` of ``feature`` by its real range."""
    return f"dupl.{feature}.{level}"


def chance(score: float) -> float:
    """The score is a log-odds; a supervisor reads a chance more easily."""
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, score))))


def chance_band(probability: float) -> str:
    return next(key for bound, key in CHANCE_BANDS if probability < bound)


def effect(weight: float) -> str:
    """How much a feature moved the score, in words: strong, moderate, weak, for or against."""
    size = abs(weight)
    if size < 0.05:
        return "none"
    strength = "strong" if size >= 4 else "moderate" if size >= 1.5 else "weak"
    return f"{strength}_{'for' if weight > 0 else 'against'}"


def field_state(field: str, left, right, features: dict) -> tuple[str, str | None]:
    """``(kind, level message key or None)`` of one unit field of a pair, judged as the engine
    judged it where a feature speaks for the field, else by the values as stored."""
    empty = [v in (None, "") for v in (left, right)]
    if all(empty):
        return "both_empty", None
    feature = FIELD_FEATURES.get(field)
    level = features.get(feature) if feature else None
    if level not in (None, "none"):
        return kind(feature, level), level_key(feature, level)
    if any(empty):
        return "one_empty", None
    return ("agree" if left == right else "differ"), None


def thresholds() -> tuple[float, float]:
    """The automatic-merge and the review thresholds, as probabilities."""
    return chance(scoring.MERGE_THRESHOLD), chance(scoring.REVIEW_THRESHOLD)
