"""A plain rapidfuzz blocking matcher: the yardstick ``fieldsync dedup`` is timed against.

    python bench/dedup_reference.py INPUT.jsonl --out CLUSTERS.csv

What an engineer would write in an afternoon with rapidfuzz, and nothing of ours but the
Persian text folding (without it no matcher finds anything in these names):

* the name folded (Arabic letters, digits, homophones) and stripped of legal-form words;
* blocks: the name's first two letters, and the national id's digits;
* inside a name block each record against the later ones with ``process.extract``
  (``fuzz.token_sort_ratio`` >= 90); such a pair is one unit when something else agrees
  (a phone number's last 8 digits, the park, the city, or GPS within 1 km) and nothing
  disagrees (national ids, parks or cities that both records give and that differ);
  everything in one national-id block is one unit;
* union-find over the pairs; a cluster is named by its first record's id.

``bench/dedup_batch.py --reference`` runs it beside ``fieldsync dedup`` on the same file,
as a child process the same way, and scores both against the same truth.
"""

import argparse
import csv
import json
import math
import re
import sys
from collections import defaultdict
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.normalize import digits, park_key, place_key, strip_legal_forms, to_ascii_digits  # noqa: E402

CUTOFF = 90
ID_LENGTH = 11  # a legal national id; anything else is noise
NEAR_KM = 1.0
_NUMBER = re.compile(r"\d[\d\s()+-]{6,}\d")


def _phones(value) -> set[str]:
    return {d[-8:] for m in _NUMBER.findall(to_ascii_digits(str(value or ""))) if len(d := digits(m)) >= 8}


def _number(value) -> float | None:
    try:
        number = float(to_ascii_digits(str(value)).replace("٫", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _point(record: dict) -> tuple[float, float] | None:
    lat, lon = _number(record.get("lat")), _number(record.get("lon"))
    return (lat, lon) if lat is not None and lon is not None else None


def _km(a, b) -> float | None:
    if a is None or b is None:
        return None
    dy = (a[0] - b[0]) * 111.2
    dx = (a[1] - b[1]) * 111.2 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def _differ(x: str, y: str) -> bool:
    return bool(x and y and x != y)


def _same(x: str, y: str) -> bool:
    return bool(x and x == y)


def _one_unit(a: dict, b: dict) -> bool:
    """A name-similar pair: does anything else agree, and nothing disagree?"""
    if _differ(a["nid"], b["nid"]) or _differ(a["park"], b["park"]) or _differ(a["city"], b["city"]):
        return False
    near = _km(a["point"], b["point"])
    return bool(a["phones"] & b["phones"]) or _same(a["park"], b["park"]) or _same(a["city"], b["city"]) \
        or (near is not None and near <= NEAR_KM)


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: list[int], i: int, j: int) -> None:
    a, b = _find(parent, i), _find(parent, j)
    if a != b:
        parent[max(a, b)] = min(a, b)


def match(records: list[dict]) -> list[str]:
    """Cluster label (first member's id) of each record, in input order."""
    names = [strip_legal_forms(r.get("name")) for r in records]
    facts = [{"point": _point(r), "nid": d if len(d := digits(r.get("national_id"))) == ID_LENGTH else "",
              "park": park_key(r.get("park")), "city": place_key(r.get("city")), "phones": _phones(r.get("phone"))}
             for r in records]
    parent = list(range(len(records)))
    by_prefix, by_id = defaultdict(list), defaultdict(list)
    for i, name in enumerate(names):
        if name:
            by_prefix[name.replace(" ", "")[:2]].append(i)
        if facts[i]["nid"]:
            by_id[facts[i]["nid"]].append(i)
    for members in by_id.values():
        for j in members[1:]:
            _union(parent, members[0], j)
    for members in by_prefix.values():
        choices = [names[i] for i in members]
        for k, i in enumerate(members[:-1]):
            for _, _, at in process.extract(names[i], choices[k + 1:], scorer=fuzz.token_sort_ratio,
                                            score_cutoff=CUTOFF, limit=None):
                j = members[k + 1 + at]
                if _one_unit(facts[i], facts[j]):
                    _union(parent, i, j)
    return [records[_find(parent, i)]["id"] for i in range(len(records))]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path, help="JSON Lines, one unit record per line")
    parser.add_argument("--out", type=Path, required=True, help="id,cluster CSV")
    args = parser.parse_args(argv)
    with args.input.open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    labels = match(records)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "cluster"])
        out.writerows((r["id"], label) for r, label in zip(records, labels, strict=True))


if __name__ == "__main__":
    main()
