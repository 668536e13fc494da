"""Push throughput: visits per second through HTTP, next to the raw SQLite insert rate.

Each visit carries ~40 answers of the shipped diagnosis template and 3 obstacles; devices
push batches of 100. Several devices push at once against `fieldsync serve` (gunicorn).
In the same run, the same rows are inserted straight into SQLite (one transaction per 100
visits, synchronous=FULL) to show what the storage alone costs. The server runs as
docs/deployment.md sets one up for pushes: 4 worker processes of 1 thread each.

    python bench/push_throughput.py [--visits 20000] [--devices 4] [--workers 4 --threads 1]
    python bench/push_throughput.py --ids v4 v7 --rounds 3       # alternating, medians
    python bench/push_throughput.py --against ../before          # paired with a checkout
    python bench/push_throughput.py --workers 2 --threads 2      # threads share one interpreter lock
"""

import argparse
import json
import random
import sqlite3
import statistics
import threading
import time
import uuid

from support import PASSWORD, Timer, machine, scratch_folder, session_cpu_seconds, start_server

from sync.client import HttpTransport
from sync.ids import new_id
from sync.sample_visits import TEMPLATE_REF, diagnosis_answers, sample_obstacles

TEHRAN = 8


# How devices make the ids of what they record: "v7" as our clients do (sync/ids.py, time
# ordered), "v4" random as ODK Collect does.
ID_KINDS = {"v7": new_id, "v4": lambda: str(uuid.uuid4())}


def make_visits(count: int, unit_ids: list[str], seed: int, ids: str = "v7") -> list[dict]:
    """Visits as a device records them: each visit and each of its obstacles given an id."""
    rng, make_id = random.Random(seed), ID_KINDS[ids]
    return [{"type": "create_visit", "visit_id": make_id(), "unit_id": rng.choice(unit_ids),
             "observed_at": "2026-03-01T06:00:00Z", "template": TEMPLATE_REF, "answers": diagnosis_answers(rng),
             "obstacles": [{**o, "obstacle_id": make_id()} for o in sample_obstacles(rng, 3)]}
            for _ in range(count)]


def login(transport, name):
    status, body = transport.request("POST", "/api/v1/auth/login", body={
        "username": name, "password": PASSWORD, "device_id": f"bench-{name}"})
    assert status == 200, body
    return body["access_token"]


def push_all(transport, token, mutations, batch, start_id, errors, latencies=None):
    """Push ``mutations`` in batches, numbered from ``start_id``; what was not applied goes to
    ``errors``, and each request's seconds to ``latencies`` when given."""
    for i in range(0, len(mutations), batch):
        chunk = [{**m, "mutation_id": start_id + i + j} for j, m in enumerate(mutations[i:i + batch])]
        started = time.perf_counter()
        status, body = transport.request("POST", "/api/v1/sync/push", body={"mutations": chunk}, token=token)
        if latencies is not None:
            latencies.append(time.perf_counter() - started)
        if status != 200 or any(r["status"] != "applied" for r in body["results"]):
            errors.append((status, body if status != 200 else [r for r in body["results"]
                                                               if r["status"] != "applied"][:1]))


def push_together(url: str, tokens: dict, work: dict, batch: int, start_id: int, errors, latencies=None,
                  timeout: float = 300) -> float:
    """Every device (``work``: name -> mutations) pushes at once, each from its own thread and
    connection (``push_all``); returns the seconds until the last one finished."""
    threads = [threading.Thread(target=push_all, args=(HttpTransport(url, timeout=timeout), tokens[n], work[n],
                                                       batch, start_id, errors, latencies)) for n in work]
    with Timer() as timer:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return timer.seconds


def raw_insert_rate(visits: list[dict], batch: int) -> float:
    """The same rows straight into SQLite: visits, versions, obstacles, change log, ledger, audit."""
    folder = scratch_folder("fieldsync-raw-")
    conn = sqlite3.connect(f"{folder}/raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.executescript("""
        CREATE TABLE visits (id TEXT PRIMARY KEY, unit_id TEXT, engineer_id INT, device_id TEXT, province_id INT,
            template_code TEXT, template_version INT, observed_at TEXT, received_at TEXT, version INT,
            review_state TEXT, seq INT);
        CREATE TABLE visit_versions (visit_id TEXT, version INT, content TEXT, PRIMARY KEY (visit_id, version));
        CREATE TABLE visit_obstacles (id INTEGER PRIMARY KEY, visit_id TEXT, position INT, area TEXT,
            group_code TEXT, severity TEXT, description TEXT);
        CREATE TABLE change_log (seq INTEGER PRIMARY KEY, entity TEXT, entity_id TEXT, scope TEXT, at TEXT);
        CREATE TABLE mutations (device_id TEXT, mutation_id INT, result TEXT, PRIMARY KEY (device_id, mutation_id));
        CREATE TABLE audit_log (id INTEGER PRIMARY KEY, at TEXT, action TEXT, entity_id TEXT, details TEXT);
    """)
    with Timer() as timer:
        for start in range(0, len(visits), batch):
            conn.execute("BEGIN IMMEDIATE")
            for n, v in enumerate(visits[start:start + batch], start):
                seq = conn.execute("INSERT INTO change_log (entity, entity_id, scope, at) VALUES "
                                   "('visit', ?, 'u:1', 'now')", (v["visit_id"],)).lastrowid
                conn.execute("INSERT INTO visits VALUES (?, ?, 1, 'd', 8, 'diagnosis', 1, ?, 'now', 1, "
                             "'submitted', ?)", (v["visit_id"], v["unit_id"], v["observed_at"], seq))
                conn.execute("INSERT INTO visit_versions VALUES (?, 1, ?)",
                             (v["visit_id"], json.dumps(v, ensure_ascii=False)))
                conn.executemany("INSERT INTO visit_obstacles (visit_id, position, area, group_code, severity,"
                                 " description) VALUES (?, ?, ?, ?, ?, ?)",
                                 [(v["visit_id"], i, o["area"], o["group"], o["severity"], o["description"])
                                  for i, o in enumerate(v["obstacles"])])
                conn.execute("INSERT INTO mutations VALUES ('d', ?, '{}')", (n,))
                conn.execute("INSERT INTO audit_log (at, action, entity_id, details) VALUES ('now',"
                             " 'visit.create', ?, '{}')", (v["visit_id"],))
            conn.execute("COMMIT")
    return len(visits) / timer.seconds


def start_side(args, ids: str, visits_per_device: int, code=None) -> dict:
    """A fresh server (of ``code``, a checkout, or this tree) with its devices logged in, 200
    units created, and each device's visits made: what one measurement pushes."""
    names = [f"eng{i}" for i in range(args.devices)]
    server = start_server(args.workers, args.threads, [(n, "engineer", TEHRAN) for n in names], code=code)
    try:
        transport = HttpTransport(server.url, timeout=300)
        tokens = {n: login(transport, n) for n in names}
        unit_ids = [str(uuid.uuid4()) for _ in range(200)]
        creates = [{"mutation_id": i + 1, "type": "create_unit", "unit_id": u, "observed_at": "2026-03-01T05:00:00Z",
                    "fields": {"name": f"واحد {i}", "province_id": TEHRAN}} for i, u in enumerate(unit_ids)]
        status, _ = transport.request("POST", "/api/v1/sync/push", body={"mutations": creates}, token=tokens[names[0]])
        assert status == 200
    except BaseException:
        server.stop()
        raise
    work = {n: make_visits(visits_per_device, unit_ids, seed, ids) for seed, n in enumerate(names)}
    return {"server": server, "tokens": tokens, "work": work, "names": names, "pushed": 0}


def push_burst(side: dict, per_device: int, batch: int) -> tuple[float, float, list]:
    """The next ``per_device`` visits of every device of ``side``, pushed at once: (seconds,
    server CPU seconds, errors)."""
    start = side["pushed"]
    chunk = {n: side["work"][n][start:start + per_device] for n in side["names"]}
    errors = []
    pid = side["server"].process.pid
    cpu_before = session_cpu_seconds(pid)
    seconds = push_together(side["server"].url, side["tokens"], chunk, batch, 1_000 + start, errors)
    side["pushed"] += per_device
    return seconds, session_cpu_seconds(pid) - cpu_before, errors


def run_once(args, ids: str) -> dict:
    """One measurement on a fresh server: pushes through HTTP, then the raw insert of the same rows."""
    per_device = args.visits // args.devices
    side = start_side(args, ids, per_device)
    server, names, work = side["server"], side["names"], side["work"]
    try:
        sample = json.dumps({"mutations": work[names[0]][:args.batch]}, ensure_ascii=False).encode()
        client_before = time.process_time()
        master_before = session_cpu_seconds(server.process.pid, only_pid=server.process.pid)
        seconds, server_cpu, errors = push_burst(side, per_device, args.batch)
        client_cpu = time.process_time() - client_before
        master_cpu = session_cpu_seconds(server.process.pid, only_pid=server.process.pid) - master_before
        total = per_device * args.devices
        http_rate = total / seconds
        raw_rate = raw_insert_rate([v for n in names for v in work[n]], args.batch)
    finally:
        server.stop()
    print(f"machine: {machine()}; server: gunicorn {args.workers} workers x {args.threads} threads; ids {ids}")
    print(f"visits pushed: {total} by {args.devices} devices in batches of {args.batch} "
          f"({len(sample) / 1024:.0f} KiB per batch before gzip, "
          f"{len(work[names[0]][0]['answers'])} answers and 3 obstacles per visit)")
    print(f"push through HTTP: {http_rate:,.0f} visits/s ({seconds:.1f} s), errors: {len(errors)}; "
          f"server CPU {server_cpu / total * 1000:.2f} ms per visit ({server_cpu / seconds:.2f} cores), "
          f"of which the master (checkpoints) {master_cpu / total * 1000:.2f} ms; "
          f"client {client_cpu / total * 1000:.2f} ms ({client_cpu / seconds:.2f} cores)")
    print(f"raw SQLite insert of the same rows: {raw_rate:,.0f} visits/s", flush=True)
    if errors:
        print("first error:", str(errors[0])[:500])
    return {"ids": ids, "rate": http_rate, "raw": raw_rate}


def run_paired(args) -> None:
    """This tree against the checkout ``args.against``, both served at once: bursts of pushes
    alternate between them (ABBA order), so both see the same moments of a machine whose
    speed drifts within minutes. Prints each burst and the medians of the paired ratios."""
    per_device = args.burst_batches * args.batch
    sides = {}
    try:
        for name, code in (("against", args.against), ("this tree", None)):
            sides[name] = start_side(args, args.ids[0], per_device * (args.bursts + 1), code=code)
        for side in sides.values():
            push_burst(side, per_device, args.batch)  # warm: connections, caches, first pages
        figures = {name: [] for name in sides}
        for round_ in range(args.bursts):
            for name in (list(sides) if round_ % 2 == 0 else list(sides)[::-1]):
                seconds, cpu, errors = push_burst(sides[name], per_device, args.batch)
                if errors:
                    raise SystemExit(f"{name}: {str(errors[0])[:500]}")
                visits = per_device * args.devices
                figures[name].append((visits / seconds, cpu / visits * 1000))
    finally:
        for side in sides.values():
            side["server"].stop()
    print(f"machine: {machine()}; server: gunicorn {args.workers} workers x {args.threads} threads; "
          f"ids {args.ids[0]}; {args.bursts} bursts of {args.burst_batches} batches of {args.batch} per device, "
          f"{args.devices} devices, alternating; against {args.against}")
    for name, rows in figures.items():
        print(f"{name:>10}: visits/s {' '.join(f'{r:,.0f}' for r, _ in rows)}")
        print(f"{'':>10}  server CPU ms/visit {' '.join(f'{c:.2f}' for _, c in rows)}")
    ours, theirs = figures["this tree"], figures["against"]
    rates = [o[0] / t[0] for o, t in zip(ours, theirs, strict=True)]
    cpus = [o[1] / t[1] for o, t in zip(ours, theirs, strict=True)]
    for name, rows in (("this tree", ours), ("against", theirs)):
        print(f"median {name}: {statistics.median(r for r, _ in rows):,.0f} visits/s, "
              f"{statistics.median(c for _, c in rows):.2f} ms server CPU per visit")
    print(f"paired ratios (this tree / against), median: visits/s {statistics.median(rates):.3f}, "
          f"server CPU per visit {statistics.median(cpus):.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=20_000)
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker")
    parser.add_argument("--ids", choices=sorted(ID_KINDS), nargs="+", default=["v7"],
                        help="ids the devices give visits and obstacles: v7 time-ordered (ours), v4 random "
                             "(Collect); several are measured one after the other in each round")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat the measurement; the machine's speed drifts, so compare neighbours and medians")
    parser.add_argument("--against", metavar="CHECKOUT",
                        help="a checkout of another version (git worktree add ../before COMMIT): serve both and "
                             "alternate bursts between them; prints paired ratios")
    parser.add_argument("--bursts", type=int, default=10, help="with --against: bursts per side")
    parser.add_argument("--burst-batches", type=int, default=5,
                        help="with --against: batches each device pushes per burst")
    args = parser.parse_args()
    if args.against:
        run_paired(args)
        return
    runs = [run_once(args, ids) for _ in range(args.rounds) for ids in args.ids]
    if len(runs) > 1:
        for ids in args.ids:
            mine = [r for r in runs if r["ids"] == ids]
            rates = [r["rate"] for r in mine]
            shares = [r["raw"] / r["rate"] for r in mine]
            print(f"ids {ids}, {len(mine)} runs: median {statistics.median(rates):,.0f} visits/s "
                  f"(best {max(rates):,.0f}), median 1/{statistics.median(shares):.1f} of the raw insert, "
                  f"1/6 or better in {sum(s <= 6 for s in shares)} of {len(mine)}")


if __name__ == "__main__":
    main()
