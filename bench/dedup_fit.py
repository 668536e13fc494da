"""Fit the dedup scorer's weights and pick its thresholds on generated labelled data.

    .venv/bin/python bench/dedup_fit.py            # fit, print weights, sweep thresholds
    .venv/bin/python bench/dedup_fit.py --write    # ... and write them into scoring.py

Tuning data: vocabularies "a" and "b" at several noise/missing mixes and seeds.
The held-out configuration ("heldout", vocabulary "c") is only *measured* here,
after the weights and thresholds are fixed - never used to choose them.
"""

import sys
import time
from collections import Counter
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.dedup import scoring  # noqa: E402
from sync.dedup.batch import labels_for, link, prepare_all  # noqa: E402
from sync.dedup.fit import count_patterns, fit, format_weights, labelled_pairs  # noqa: E402
from sync.dedup.generator import PRESETS, generate  # noqa: E402
from sync.dedup.metrics import pairwise  # noqa: E402

TUNING = [
    replace(PRESETS["a"], seed=101),
    replace(PRESETS["a"], seed=102, noise=0.6, missing=0.7),
    replace(PRESETS["a"], seed=103, noise=1.5, missing=1.4, trap_rate=0.2),
    replace(PRESETS["b"], seed=201),
    replace(PRESETS["b"], seed=202, noise=0.9, missing=0.8, duplicate_rate=0.45),
    replace(PRESETS["b"], seed=203, noise=1.7, missing=1.5, trap_rate=0.25),
    # the density of a 100k batch: more firms share a name in one town
    replace(PRESETS["a"], seed=104, size=50000),
    replace(PRESETS["b"], seed=204, size=50000),
]
THRESHOLDS = [x / 2 for x in range(0, 13)]


def _counts(cfg) -> Counter:
    records, truth = generate(cfg)
    return count_patterns(labelled_pairs(records, truth))


def _metrics(job) -> list[dict]:
    """Pairwise metrics of one config at each threshold, under the given weights."""
    cfg, thresholds, bias, weights = job
    scoring.BIAS, scoring.WEIGHTS = bias, weights
    scoring.refresh()
    records, truth = generate(cfg)
    units = prepare_all(records)
    links, _ = link(units, min(thresholds))
    rows = []
    for threshold in thresholds:
        labels = labels_for(units, links, threshold)
        predicted = {u.id: label for u, label in zip(units, labels, strict=True)}
        rows.append(pairwise(predicted, truth))
    return rows


def sweep(pool, configs, thresholds, bias, weights) -> dict[float, list[dict]]:
    """Pairwise metrics of each config at each merge threshold (links scored once)."""
    per_config = pool.map(_metrics, [(cfg, thresholds, bias, weights) for cfg in configs])
    return {t: [rows[k] for rows in per_config] for k, t in enumerate(thresholds)}


def report(results: dict[float, list[dict]]) -> None:
    for threshold, rows in results.items():
        print(f"{threshold:5.1f}  P>={min(r['precision'] for r in rows):.4f}  "
              f"R~{sum(r['recall'] for r in rows) / len(rows):.4f}  "
              f"F1~{sum(r['f1'] for r in rows) / len(rows):.4f}", file=sys.stderr)


SCORING = Path(__file__).resolve().parents[1] / "sync" / "dedup" / "scoring.py"
BEGIN, END = "# BEGIN FITTED WEIGHTS", "# END FITTED WEIGHTS"


def write_weights(literal: str) -> None:
    """Replace the fitted block of sync/dedup/scoring.py with ``literal``."""
    text = SCORING.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    first_line = rest.split("\n", 1)[0]
    SCORING.write_text(f"{head}{BEGIN}{first_line}\n{literal}\n{END}{tail}", encoding="utf-8")


def main() -> None:
    started = time.time()
    with Pool(2) as pool:
        counts = sum(pool.map(_counts, TUNING), Counter())
        positives = sum(n for (_, same), n in counts.items() if same)
        print(f"# {counts.total()} candidate pairs, {positives} same-unit, "
              f"{time.time() - started:.0f}s", file=sys.stderr)
        bias, weights = fit(counts, l2=1.0)
        literal = format_weights(bias, weights)
        print(literal, flush=True)
        if "--write" in sys.argv:
            write_weights(literal)
        print("\n# threshold sweep (min precision / mean recall / mean F1), small tuning sets",
              file=sys.stderr)
        small = [cfg for cfg in TUNING if cfg.size <= 10000]
        report(sweep(pool, small, THRESHOLDS, bias, weights))
        print("# ... large tuning sets", file=sys.stderr)
        report(sweep(pool, [cfg for cfg in TUNING if cfg not in small], THRESHOLDS, bias,
                     weights))


if __name__ == "__main__":
    main()
