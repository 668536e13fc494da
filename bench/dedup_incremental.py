"""Incremental matching: one new unit against a store of 100,000 units.

Seeds N realistic generated unit records (the dedup engine's labelled generator) into a
fresh store through the write path, then, for M further records, times what a push does
after writing a unit: candidate lookup in the blocking-key index and scoring
(``sync.matching.match_written_unit``). Each measured unit is created and matched in a
transaction that is then rolled back, so the store stays at N units.

    python bench/dedup_incremental.py [--units 100000] [--probes 1000]
"""

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import scratch_folder  # noqa: E402
from sync import dedup_store, matching, units  # noqa: E402
from sync.clock import system_clock  # noqa: E402
from sync.dedup.generator import Config, generate  # noqa: E402
from sync.errors import DomainError  # noqa: E402
from sync.importing import Places, unit_fields  # noqa: E402
from sync.reference import load_reference, shipped_reference  # noqa: E402
from sync.store import open_store, write  # noqa: E402


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    return (f"median {statistics.median(ms):.2f} ms, p95 {ms[int(0.95 * len(ms)) - 1]:.2f} ms, "
            f"max {ms[-1]:.1f} ms")


class Rollback(Exception):
    """Leaves the store as it was after each probe."""


def fields_of(places, record):
    try:
        return units.validate_fields(None, unit_fields(places, record), creating=True)
    except DomainError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--store", help="Keep the seeded store in this file and reuse it on the next run.")
    args = parser.parse_args()
    records, _truth = generate(Config(size=int((args.units + args.probes) * 1.2), seed=11))
    path = Path(args.store or scratch_folder("fieldsync-dedup-") / "store.db")
    reuse = path.exists()
    db = open_store(str(path))
    if not reuse:
        with write(db, system_clock()) as tx:
            load_reference(tx, shipped_reference())
    places = Places(db)
    rows = [f for f in (fields_of(places, r) for r in records) if f]
    stored, probes = rows[:-args.probes][:args.units], rows[-args.probes:]
    started = time.perf_counter()
    for start in range(0, 0 if reuse else len(stored), 5000):
        with write(db, system_clock()) as tx:
            for fields in stored[start:start + 5000]:
                units.create(tx, str(uuid.uuid4()), fields, tx.at)
    seeding = time.perf_counter() - started
    timings, applied, outcomes = [], [], {"merged": 0, "review": 0, "none": 0}
    for fields in probes:
        try:
            with write(db, system_clock()) as tx:
                unit_id = str(uuid.uuid4())
                units.create(tx, unit_id, fields, tx.at)
                t0 = time.perf_counter()
                dedup_store.likely_duplicates(db, units.get_row(db, unit_id))
                t1 = time.perf_counter()
                outcome = matching.match_written_unit(tx, unit_id)
                timings.append((t1 - t0) * 1000)
                applied.append((time.perf_counter() - t1) * 1000)
                outcomes[outcome["status"] if outcome else "none"] += 1
                raise Rollback
        except Rollback:
            pass
    keys = db.execute("SELECT count(*) FROM unit_keys").fetchone()[0]
    count = db.execute("SELECT count(*) FROM units").fetchone()[0]
    print(f"store: {count} units ({keys} blocking keys), " + ("reused" if reuse else f"seeded in {seeding:.0f} s"))
    print(f"matching one new unit (candidates + scoring, {len(timings)} probes): {summary(timings)}")
    print(f"matching and applying the outcome (merge or queue, as a push does): {summary(applied)}")
    print(f"outcomes: {outcomes}")


if __name__ == "__main__":
    main()
