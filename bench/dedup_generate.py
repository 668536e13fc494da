"""Write a labelled set of generated Persian unit records.

    .venv/bin/python bench/dedup_generate.py OUT.jsonl TRUTH.csv [--size N] [--preset a|b|heldout]
        [--seed S] [--duplicate-rate R] [--noise X] [--missing X] [--trap-rate R]

OUT.jsonl holds one record per line in the batch format of ``fieldsync dedup``;
TRUTH.csv holds ``id,cluster`` with the real unit of each record.
"""

import argparse
import csv
import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.dedup.generator import PRESETS, generate  # noqa: E402


def write_set(records: list[dict], truth: dict[str, str], out: Path, truth_path: Path) -> None:
    with out.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    with truth_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "cluster"])
        writer.writerows((record["id"], truth[record["id"]]) for record in records)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("truth", type=Path)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="a")
    parser.add_argument("--size", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--duplicate-rate", type=float)
    parser.add_argument("--noise", type=float)
    parser.add_argument("--missing", type=float)
    parser.add_argument("--trap-rate", type=float)
    args = parser.parse_args(argv)
    changes = {field: value for field, value in (
        ("size", args.size), ("seed", args.seed), ("duplicate_rate", args.duplicate_rate),
        ("noise", args.noise), ("missing", args.missing), ("trap_rate", args.trap_rate),
    ) if value is not None}
    records, truth = generate(replace(PRESETS[args.preset], **changes))
    write_set(records, truth, args.out, args.truth)
    print(f"{len(records)} records, {len(set(truth.values()))} units -> {args.out}, {args.truth}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
