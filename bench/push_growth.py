"""How push cost grows with the store: latency and throughput with N visits already stored.

A fresh instance gets ``--seed`` visits through the real push (HTTP, gunicorn); the store is
then grown to ``--stored`` visits by copying those rows under new ids with SQL (every table a
push writes: visits, their versions, obstacle records, obstacles, events, change log, audit,
ledger), so the indexes are as large and as scattered as real pushes would have made them,
in minutes instead of hours. Then the server is started on it and devices push ``--visits``
more, in batches of 100, recording each request's latency.

    python bench/push_growth.py --stored 10000
    python bench/push_growth.py --stored 1000000 --folder /tmp/growth   # about 9 GB of store
    python bench/push_growth.py --stored 1000000 --against 10000 --visits 8000 --folder /tmp/growth
        # the two alternately, three rounds, with the median p95 of each and their ratio

With ``--folder``, a store already grown there is used again (only the measuring is
repeated): each run logs its devices in afresh, so their mutations are new.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from push_throughput import ID_KINDS, make_visits, push_all, push_together
from support import PASSWORD, machine, scratch_folder, session_cpu_seconds

from sync.client import HttpTransport
from sync.store import connect
from tests.helpers import ServerProcess

TEHRAN = 8
UNITS = 2000

# Copies of the seed's rows under new ids; ``map`` pairs each seed visit with its copy and
# ``omap`` each seed obstacle with its copy. Seqs, numbers and ledger ids continue upwards.
COPY = """
INSERT INTO visits (id, no, unit_id, original_unit_id, engineer_id, device_id, province_id, template_code,
    template_version, observed_at, observed_at_device, received_at, lat, lon, version, review_state,
    review_comment, reviewed_by, reviewed_at, seq, observed_status, observed_employees, observed_capacity)
SELECT m.new, m.no, v.unit_id, v.original_unit_id, v.engineer_id, v.device_id, v.province_id, v.template_code,
    v.template_version, v.observed_at, v.observed_at_device, v.received_at, v.lat, v.lon, v.version,
    v.review_state, v.review_comment, v.reviewed_by, v.reviewed_at, v.seq + :shift, v.observed_status,
    v.observed_employees, v.observed_capacity
FROM visits v JOIN map m ON m.old = v.id;
INSERT INTO visit_versions (visit_id, visit_no, version, content, received_at, device_id, observed_at)
SELECT m.new, m.no, c.version, c.content, c.received_at, c.device_id, c.observed_at
FROM visit_versions c JOIN map m ON m.old = c.visit_id;
INSERT INTO obstacles (id, unit_id, area, group_code, severity, description, proposed_action, responsible_body,
    status, opened_visit_id, opened_at, last_visit_id, resolved_visit_id, resolved_at, updated_at, seq)
SELECT om.new, o.unit_id, o.area, o.group_code, o.severity, o.description, o.proposed_action, o.responsible_body,
    o.status, m.new, o.opened_at, m.new, NULL, NULL, o.updated_at, o.seq + :shift
FROM obstacles o JOIN omap om ON om.old = o.id JOIN map m ON m.old = o.opened_visit_id;
INSERT INTO visit_obstacles (visit_id, visit_no, version, position, unit_id, area, group_code, severity,
    description, proposed_action, responsible_body, obstacle_id, resolved)
SELECT m.new, m.no, vo.version, vo.position, vo.unit_id, vo.area, vo.group_code, vo.severity, vo.description,
    vo.proposed_action, vo.responsible_body, om.new, vo.resolved
FROM visit_obstacles vo JOIN map m ON m.old = vo.visit_id JOIN omap om ON om.old = vo.obstacle_id;
INSERT INTO visit_events (visit_id, visit_no, at, user_id, kind, action, from_state, to_state, version, text)
SELECT m.new, m.no, e.at, e.user_id, e.kind, e.action, e.from_state, e.to_state, e.version, e.text
FROM visit_events e JOIN map m ON m.old = e.visit_id;
INSERT INTO change_log (seq, entity, entity_id, scope, at)
SELECT c.seq + :shift, c.entity, coalesce(m.new, om.new, c.entity_id), c.scope, c.at
FROM change_log c LEFT JOIN map m ON c.entity = 'visit' AND m.old = c.entity_id
LEFT JOIN omap om ON c.entity = 'obstacle' AND om.old = c.entity_id
WHERE c.seq > :first_seq AND c.seq <= :last_seq;
INSERT INTO audit_log (at, user_id, device_id, action, entity, entity_id, details)
SELECT a.at, a.user_id, a.device_id, a.action, a.entity, m.new, a.details
FROM audit_log a JOIN map m ON a.entity = 'visit' AND m.old = a.entity_id;
INSERT INTO mutations (device_id, mutation_id, type, body_hash, status, result, received_at)
SELECT :device, :ledger + row_number() OVER (), l.type, l.body_hash, l.status, l.result, l.received_at
FROM mutations l WHERE l.type = 'create_visit';
"""


def login(transport, name: str, device: str) -> str:
    status, body = transport.request("POST", "/api/v1/auth/login", body={
        "username": name, "password": PASSWORD, "device_id": device})
    assert status == 200, body
    return body["access_token"]


def push_seed(server, count: int, ids: str) -> None:
    """The first ``count`` visits through the real push, on units made for them."""
    transport = HttpTransport(server.url, timeout=600)
    token = login(transport, "seed", "seed-device")
    unit_ids = [ID_KINDS[ids]() for _ in range(UNITS)]
    creates = [{"type": "create_unit", "unit_id": u, "observed_at": "2026-03-01T05:00:00Z",
                "fields": {"name": f"واحد رشد {i} {u[:6]}", "province_id": TEHRAN}} for i, u in enumerate(unit_ids)]
    errors = []
    push_all(transport, token, creates, 500, 1, errors)
    push_all(transport, token, make_visits(count, unit_ids, 99, ids), 100, 10_000, errors)
    assert not errors, errors[:1]


# A copy's new id: random (v4) or, as a device of ours would have made it earlier, a UUIDv7
# whose milliseconds are a month back plus the copy's number (older than anything pushed now).
NEW_ID = {
    "v4": "lower(hex(randomblob(16)))",
    "v7": "printf('%08x-%04x-7%03x-%04x-%012x', (:t0 + {no}) >> 16, (:t0 + {no}) & 65535, abs(random()) % 4096,"
          " 32768 + abs(random()) % 16384, abs(random()) % 281474976710656)",
}


def grow(database: str, target: int, ids: str) -> float:
    """Copy the stored visits until the store holds ``target`` (or just more); returns seconds."""
    db = connect(database, cache_mb=512, checkpoints=False)
    db.execute("PRAGMA synchronous = OFF")  # the copy is set-up, not what is measured
    started = time.perf_counter()
    copies = 0
    while True:
        have = db.execute("SELECT count(*) FROM visits").fetchone()[0]
        if have >= target:
            break
        take = min(have, target - have)
        db.execute("BEGIN")
        db.execute("DROP TABLE IF EXISTS temp.map")
        db.execute("DROP TABLE IF EXISTS temp.omap")
        db.execute("CREATE TEMP TABLE map (old TEXT PRIMARY KEY, new TEXT, no INTEGER)")
        db.execute("INSERT INTO map (old, no) SELECT id, (SELECT max(no) FROM visits)"
                   " + row_number() OVER (ORDER BY no) FROM (SELECT id, no FROM visits ORDER BY no LIMIT ?)", [take])
        month_ago = int(time.time() * 1000) - 30 * 86_400_000
        db.execute(f"UPDATE map SET new = {NEW_ID[ids].format(no='no')}", {"t0": month_ago})
        db.execute("CREATE TEMP TABLE omap (old TEXT PRIMARY KEY, new TEXT)")
        db.execute(f"INSERT INTO omap SELECT o.id, {NEW_ID[ids].format(no='min(m.no)')} FROM obstacles o"
                   " JOIN map m ON m.old = o.opened_visit_id GROUP BY o.id", {"t0": month_ago})
        first_seq = db.execute("SELECT min(seq) - 1 FROM change_log WHERE entity = 'visit'").fetchone()[0]
        last_seq = db.execute("SELECT max(seq) FROM change_log").fetchone()[0]
        # The copies' ledger rows go to the seed's device, numbered past its own.
        device, ledger = db.execute("SELECT device_id, max(mutation_id) FROM mutations WHERE type = 'create_visit'"
                                    " GROUP BY device_id LIMIT 1").fetchone()
        params = {"shift": last_seq - first_seq, "first_seq": first_seq, "last_seq": last_seq,
                  "device": device, "ledger": ledger}
        for statement in COPY.strip().split(";\n"):
            db.execute(statement, params)
        db.execute("COMMIT")
        copies += 1
        print(f"  grown to {db.execute('SELECT count(*) FROM visits').fetchone()[0]:,} visits", flush=True)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return time.perf_counter() - started if copies else 0.0


def _stored(database: Path) -> int:
    if not database.exists():
        return 0
    db = connect(str(database), checkpoints=False)
    try:
        return db.execute("SELECT count(*) FROM visits").fetchone()[0]
    finally:
        db.close()


def _unit_ids(database: Path) -> list[str]:
    db = connect(str(database), checkpoints=False)
    try:
        return [r[0] for r in db.execute("SELECT id FROM units WHERE merged_into IS NULL LIMIT ?", [UNITS])]
    finally:
        db.close()


def measure(server, unit_ids, visits: int, devices: int, ids: str) -> dict:
    names = [f"dev{i}" for i in range(devices)]
    transport = HttpTransport(server.url, timeout=600)
    run_id = uuid.uuid4().hex[:8]
    tokens = {n: login(transport, n, f"growth-{n}-{run_id}") for n in names}
    work = {n: make_visits(visits // devices, unit_ids, seed, ids) for seed, n in enumerate(names)}
    latencies, errors = [], []
    # One batch per device first, untimed: workers import, open the store and fill their caches.
    for seed, name in enumerate(names):
        push_all(transport, tokens[name], make_visits(100, unit_ids, 500 + seed, ids), 100, 1, errors)
    assert not errors, errors[:1]

    cpu_before = session_cpu_seconds(server.process.pid)
    seconds = push_together(server.url, tokens, work, 100, 1000, errors, latencies, timeout=600)
    cpu = session_cpu_seconds(server.process.pid) - cpu_before
    latencies.sort()
    return {"rate": visits / seconds, "p50": statistics.median(latencies) * 1000,
            "p95": latencies[int(len(latencies) * 0.95)] * 1000, "cpu_ms": cpu / visits * 1000,
            "errors": len(errors)}


def ensure_store(instance: Path, stored: int, args) -> float:
    """A store of at least ``stored`` visits in ``instance`` (seeded through the real push, then
    grown by copying); returns the seconds spent growing it, 0 when it was there already."""
    database = instance / "fieldsync.db"
    if _stored(database) >= stored:
        return 0.0
    server = ServerProcess(instance, workers=args.workers, threads=args.threads)
    try:
        server.start()
        for name in ["seed", *(f"dev{i}" for i in range(args.devices))]:
            subprocess.run([sys.executable, "-m", "server", "users", "create", name, "--role", "engineer",
                            "--province", str(TEHRAN), "--password", PASSWORD],
                           env=server.env, check=True, capture_output=True)
        push_seed(server, min(args.seed, stored), args.ids)
    finally:
        server.stop()
    return grow(str(database), stored, args.ids)


def measure_store(instance: Path, args) -> dict:
    """Serve ``instance`` and measure pushes into it (``measure``), with the store's size."""
    database = instance / "fieldsync.db"
    size, stored, unit_ids = database.stat().st_size, _stored(database), _unit_ids(database)
    server = ServerProcess(instance, workers=args.workers, threads=args.threads)
    try:
        server.start(timeout=120)
        found = measure(server, unit_ids, args.visits, args.devices, args.ids)
    finally:
        server.stop()
    return {"stored": stored, "size": size, **found}


def _line(found: dict) -> str:
    return (f"{found['stored']:,} stored ({found['size'] / 1e9:.1f} GB): {found['rate']:,.0f} visits/s, "
            f"request p50 {found['p50']:.0f} ms, p95 {found['p95']:.0f} ms, "
            f"server CPU {found['cpu_ms']:.2f} ms per visit, errors {found['errors']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=10_000, help="visits in the store before measuring")
    parser.add_argument("--seed", type=int, default=10_000, help="visits pushed for real, then copied")
    parser.add_argument("--visits", type=int, default=4000, help="visits pushed while measuring")
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ids", choices=sorted(ID_KINDS), default="v7",
                        help="ids the devices give visits and obstacles: v7 time-ordered (ours), v4 random (Collect)")
    parser.add_argument("--folder", default=None, help="where the instance goes (default: a temporary folder)")
    parser.add_argument("--against", type=int, default=None,
                        help="also a store of this many visits (e.g. 10000), measured alternately with --stored "
                             "for --rounds rounds, each round on a fresh copy of it; prints the p95 ratio")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    folder = Path(args.folder or scratch_folder("fieldsync-growth-"))
    print(f"machine: {machine()}; server: gunicorn {args.workers} workers x {args.threads} threads; ids {args.ids}")
    grown = ensure_store(folder / "instance", args.stored, args)
    if args.against is None:
        found = measure_store(folder / "instance", args)
        print(f"grown by copying in {grown:.0f} s" if grown else "no copying (seeded only, or grown before)")
        print(f"push {args.visits} more by {args.devices} devices in batches of 100 into {_line(found)}")
        print(json.dumps({"ids": args.ids, **{k: round(v, 2) for k, v in found.items()}}))
        return
    base = folder / f"against-{args.against}"
    ensure_store(base, args.against, args)
    copy = folder / "against-run"
    ratios, small, large = [], [], []
    for round_no in range(1, args.rounds + 1):
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(base, copy)  # the same small store each round: its measuring adds visits
        small.append(measure_store(copy, args))
        large.append(measure_store(folder / "instance", args))
        ratios.append(large[-1]["p95"] / small[-1]["p95"])
        print(f"round {round_no}: {_line(small[-1])}")
        print(f"round {round_no}: {_line(large[-1])}; p95 ratio {ratios[-1]:.2f}", flush=True)
    shutil.rmtree(copy, ignore_errors=True)
    p95_small, p95_large = (statistics.median(r["p95"] for r in runs) for runs in (small, large))
    print(f"median p95: {p95_small:.0f} ms with {args.against:,} stored, {p95_large:.0f} ms with {args.stored:,} "
          f"({p95_large / p95_small:.2f}x); round by round {min(ratios):.2f}-{max(ratios):.2f}x")


if __name__ == "__main__":
    main()
