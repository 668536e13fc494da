"""Fitting the scorer's weights: L2-regularised logistic regression, plain Python.

Features are categorical levels, so labelled pairs collapse into a few
thousand distinct level patterns with counts; Newton's method (IRLS) over the
patterns converges in a dozen iterations with ~60 parameters, no numpy needed.

Every "none" level is pinned to weight 0 (a missing field is no evidence) and
so is the first level of a feature without "none" (its reference level).
"""

import math
from collections import Counter
from collections.abc import Iterable

from sync.dedup.features import LEVELS

Pattern = tuple[tuple[str, str], ...]


def pattern(feats: dict[str, str]) -> Pattern:
    return tuple(sorted(feats.items()))


# Levels pinned to 0 besides "none": they mean "no evidence" by definition, so
# a generator's missing-value habits must not turn them into evidence.
# name_shared is a rule (its "nothing" blocks an automatic merge), not evidence to weigh.
PINNED = {("legal_id", "one"), ("phone", "other"), ("name_shared", "some"), ("name_shared", "nothing")}

# Levels that must weigh in this order (most alike first). A fit that breaks
# the order on sparse data is refitted with the offending levels tied together
# (pool-adjacent-violators), so the weights stay sensible outside the generator.
ORDERED = {
    "name": ("exact", "s95", "s90", "s80", "s70", "low"),
    "name_words": ("all", "subset", "conflict"),
    "name_commonness": ("c0", "c1", "c2", "c3"),
    "distance": ("d50", "d150", "d300", "d1k", "d5k", "d50k", "far"),
    "activity": ("same", "similar", "differ"),
    "owner": ("same", "family", "differ"),
    "address": ("same", "similar", "differ"),
}


def parameters() -> list[tuple[str, str]]:
    """The (feature, level) pairs that get a free weight."""
    free = []
    for name, levels in LEVELS.items():
        reference = "none" if "none" in levels else levels[0]
        free.extend((name, level) for level in levels
                    if level != reference and (name, level) not in PINNED)
    return free


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the matrix is small and well-conditioned)."""
    n = len(vector)
    a = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        div = a[col][col]
        for r in range(col + 1, n):
            factor = a[r][col] / div
            if factor:
                row, top = a[r], a[col]
                for c in range(col, n + 1):
                    row[c] -= factor * top[c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x


def _newton(rows, size: int, l2: float, iterations: int) -> list[float]:
    """Penalised logistic regression over (active groups, positives, negatives) rows."""
    beta = [0.0] * size
    for _ in range(iterations):
        grad = [0.0] * size
        hess = [[0.0] * size for _ in range(size)]
        for active, pos, neg in rows:
            z = sum(beta[i] for i in active)
            p = 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0
            total = pos + neg
            g = pos - total * p
            h = total * p * (1.0 - p)
            for i in active:
                grad[i] += g
                hrow = hess[i]
                for j in active:
                    hrow[j] += h
        for i in range(1, size):  # no penalty on the bias
            grad[i] -= l2 * beta[i]
            hess[i][i] += l2
        hess[0][0] += 1e-9
        step = _solve(hess, grad)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return beta


def _violation(weights: dict[tuple[str, str], float]) -> tuple[tuple[str, str], ...] | None:
    """The first adjacent pair of ordered levels whose weights are out of order."""
    for name, order in ORDERED.items():
        for better, worse in zip(order, order[1:], strict=False):
            if weights[(name, better)] < weights[(name, worse)] - 1e-9:
                return (name, better), (name, worse)
    return None


def count_patterns(examples: Iterable[tuple[dict[str, str], bool]]) -> Counter:
    """Labelled pairs collapsed to counts of (level pattern, same?)."""
    counts: Counter = Counter()
    for feats, same in examples:
        counts[(pattern(feats), bool(same))] += 1
    return counts


def fit(counts: Counter, l2: float = 1.0,
        iterations: int = 25) -> tuple[float, dict[str, dict[str, float]]]:
    """(bias, weights) maximising the penalised likelihood of labelled pairs, order-constrained.

    ``counts`` comes from ``count_patterns`` (several sets may be added up).
    """
    grouped: dict[Pattern, list[int]] = {}
    for (pat, same), n in counts.items():
        grouped.setdefault(pat, [0, 0])[0 if same else 1] += n
    free = parameters()
    group = {p: i + 1 for i, p in enumerate(free)}  # 0 is the bias
    while True:
        ids = sorted(set(group.values()))
        renumber = {g: k + 1 for k, g in enumerate(ids)}
        rows = []
        for pat, (pos, neg) in grouped.items():
            active = sorted({0} | {renumber[group[item]] for item in pat if item in group})
            rows.append((active, pos, neg))
        beta = _newton(rows, len(ids) + 1, l2, iterations)
        weights = {p: beta[renumber[g]] for p, g in group.items()}
        for name, level in PINNED:
            weights[(name, level)] = 0.0
        bad = _violation({**weights, **{(n, "none"): 0.0 for n in LEVELS}})
        if bad is None:
            break
        keep, drop = group[bad[0]], group[bad[1]]
        group = {p: keep if g == drop else g for p, g in group.items()}
    table = {name: {level: 0.0 for level in levels} for name, levels in LEVELS.items()}
    for (name, level), w in weights.items():
        table[name][level] = round(w, 2)
    return round(beta[0], 2), table


def format_weights(bias: float, weights: dict[str, dict[str, float]]) -> str:
    """The weights as the Python literal written into ``scoring.py`` (lines <= 100 chars)."""
    lines = [f"BIAS = {bias}", "WEIGHTS: dict[str, dict[str, float]] = {"]
    for name, levels in weights.items():
        items = [f'"{level}": {w}' for level, w in levels.items()]
        line = f'    "{name}": {{{", ".join(items)}}},'
        if len(line) <= 100:
            lines.append(line)
            continue
        lines.append(f'    "{name}": {{')
        row = "       "
        for item in items:
            if len(row) + len(item) + 2 > 100:
                lines.append(row.rstrip())
                row = "       "
            row += f" {item},"
        lines.append(row)
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines)


def labelled_pairs(records: list[dict], truth: dict[str, str]):
    """(features, same?) for every candidate pair the blocking keys produce."""
    from sync.dedup.batch import prepare_all
    from sync.dedup.blocking import Index
    from sync.dedup.features import features

    units = prepare_all(records)
    left, right = Index(units).pairs()
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        yield features(units[i], units[j]), truth.get(units[i].id) == truth.get(units[j].id)
