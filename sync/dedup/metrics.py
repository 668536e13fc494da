"""Pairwise precision, recall and F1 of a clustering against the truth.

Pairwise: every pair of records put in one cluster is a predicted "same"
pair; it is right when the truth also puts them together. Counted from the
cluster contingency table, never by listing pairs, so 100k records are cheap.
"""

from collections import Counter


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(predicted: dict[str, str], truth: dict[str, str]) -> dict[str, float]:
    """Precision, recall, F1 and pair counts; both maps are record id -> cluster."""
    ids = [i for i in truth if i in predicted]
    both = Counter((predicted[i], truth[i]) for i in ids)
    tp = sum(_pairs(n) for n in both.values())
    pred = sum(_pairs(n) for n in Counter(predicted[i] for i in ids).values())
    true = sum(_pairs(n) for n in Counter(truth[i] for i in ids).values())
    precision = tp / pred if pred else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1,
            "true_pairs": true, "predicted_pairs": pred, "correct_pairs": tp}
