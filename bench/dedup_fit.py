"""Fit the dedup scorer's weights and pick its thresholds on generated labelled data.

    .venv/bin/python bench/dedup_fit.py            # fit, print weights, sweep thresholds
    .venv/bin/python bench/dedup_fit.py --write    # ... and write them into scoring.py
    .venv/bin/python bench/dedup_fit.py --sweep    # thresholds x cluster guard, current weights

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

# dropped_words: some writers leave a word of the name out ("مهرام" for "غذایی مهرام"); without
# it the fit only ever sees such pairs as two firms sharing a brand (a trap), and learns that
# a shorter name means another firm whatever the phone or legal id say
TUNING = [
    replace(PRESETS["a"], seed=101, dropped_words=0.1),
    replace(PRESETS["a"], seed=102, noise=0.6, missing=0.7, dropped_words=0.05),
    replace(PRESETS["a"], seed=103, noise=1.5, missing=1.4, trap_rate=0.2, dropped_words=0.2),
    replace(PRESETS["b"], seed=201, dropped_words=0.1),
    replace(PRESETS["b"], seed=202, noise=0.9, missing=0.8, duplicate_rate=0.45, dropped_words=0.05),
    replace(PRESETS["b"], seed=203, noise=1.7, missing=1.5, trap_rate=0.25, dropped_words=0.2),
    # the density of a 100k batch: more firms share a name in one town
    replace(PRESETS["a"], seed=104, size=50000, dropped_words=0.1),
    replace(PRESETS["b"], seed=204, size=50000, dropped_words=0.1),
]
THRESHOLDS = [x / 2 for x in range(0, 13)]


def _counts(cfg) -> Counter:
    records, truth = generate(cfg)
    return count_patterns(labelled_pairs(records, truth))


# (merge threshold, cluster veto, cluster average) settings swept with --sweep
# ("merge": the cluster average must reach the merge threshold itself)
GRID = [(t, veto, average) for t in (2.0, 2.5, 3.0, 3.5, 4.0) for veto in (-3.0, -6.0)
        for average in (0.0, 1.0, "merge")]


def _metrics(job) -> list[dict]:
    """Pairwise metrics of one config at each setting, under the given weights."""
    cfg, settings, bias, weights = job
    scoring.BIAS, scoring.WEIGHTS = bias, weights
    scoring.refresh()
    records, truth = generate(cfg)
    units = prepare_all(records)
    # already inside a worker: no nested pool
    links, _ = link(units, min(scoring.REVIEW_THRESHOLD, *(t for t, _, _ in settings)), workers=1)
    rows = []
    for threshold, veto, average in settings:
        labels = labels_for(units, links, threshold, veto,
                            threshold if average == "merge" else average)
        predicted = {u.id: label for u, label in zip(units, labels, strict=True)}
        rows.append(pairwise(predicted, truth))
    return rows


def sweep(pool, configs, settings, bias, weights) -> dict[tuple, list[dict]]:
    """Pairwise metrics of each config at each setting (links scored once per config)."""
    per_config = pool.map(_metrics, [(cfg, settings, bias, weights) for cfg in configs])
    return {s: [rows[k] for rows in per_config] for k, s in enumerate(settings)}


def report(results: dict[tuple, list[dict]]) -> None:
    for (threshold, veto, average), rows in results.items():
        print(f"merge>={threshold:4.1f} veto<{veto} average>={average}  "
              f"P>={min(r['precision'] for r in rows):.4f}  "
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
        if "--sweep" in sys.argv:  # keep the weights in scoring.py, sweep thresholds only
            bias, weights = scoring.BIAS, scoring.WEIGHTS
            settings = GRID
        else:
            counts = sum(pool.map(_counts, TUNING), Counter())
            positives = sum(n for (_, same), n in counts.items() if same)
            print(f"# {counts.total()} candidate pairs, {positives} same-unit, "
                  f"{time.time() - started:.0f}s", file=sys.stderr)
            bias, weights = fit(counts, l2=1.0)
            literal = format_weights(bias, weights)
            print(literal, flush=True)
            if "--write" in sys.argv:
                write_weights(literal)
            settings = [(t, None, None) for t in THRESHOLDS]
        small = [cfg for cfg in TUNING if cfg.size <= 10000]
        print("# small tuning sets (min precision / mean recall / mean F1)", file=sys.stderr)
        report(sweep(pool, small, settings, bias, weights))
        print("# large tuning sets", file=sys.stderr)
        report(sweep(pool, [cfg for cfg in TUNING if cfg not in small], settings, bias, weights))


if __name__ == "__main__":
    main()
