"""A realistic morning: thousands of devices syncing within an hour, in compressed time.

Before the morning, every device has logged in and pulled its province (units seeded across
all 31 provinces), so it holds a cursor from "yesterday", as a phone in daily use does. In
the morning each device, at its own arrival time (Poisson arrivals spread over the "hour"):

1. refreshes its access token (it expired overnight; the refresh token lasts 60 days),
2. pushes what the engineer recorded offline — 1-3 diagnosis visits (~40 answers, 0-3
   obstacles, 2 photos each) and sometimes an edit of a unit of its province — in one batch,
3. uploads the photos as the reference client does: a fresh upload starts at byte 0 without
   asking the status, in 1 MiB chunks each with its digest (``--ask-status`` and
   ``--chunk-bytes 262144`` replay the client before the fix, for comparison),
4. pulls its province from its cursor until the server has nothing more.

``--hour`` compresses the hour: ``--devices 3000 --hour 300`` is 3,000 devices in five
minutes, twelve times the real rate. Latency percentiles, throughput and errors are printed
per request kind, as Markdown for docs/benchmarks.md ("Load").

The devices here are a lean client speaking the protocol directly (tokens, cursor and
mutation counter in memory): thousands of reference-client SQLite files would measure the
load generator, not the server. Client and server share the machine's cores.

    python bench/load_morning.py [--devices 3000] [--hour 300] [--concurrency 48]
                                 [--units-per-province 150] [--workers 2] [--threads 4]
                                 [--chunk-bytes N] [--ask-status] [--profile profile.txt]
"""

import argparse
import base64
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from support import PASSWORD, Timer, machine, start_server

from server import create_app
from sync import units as units_domain
from sync.client import Device, HttpTransport, TransportError
from sync.clock import iso, system_clock
from sync.ids import new_id
from sync.sample_visits import TEMPLATE_REF, diagnosis_answers, sample_obstacles
from sync.store import SYSTEM, connect, write
from tests.helpers import create_users, fake_photo

CHUNK = Device.UPLOAD_CHUNK_BYTES  # --chunk-bytes


class Recorder:
    """Latency (seconds) and outcome of every request, by kind; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.outcomes = defaultdict(Counter)
        self.sent_bytes = Counter()

    def timed(self, kind, send, size=0):
        started = time.perf_counter()
        try:
            status, body = send()
        except TransportError as error:
            status, body = "transport", {"error": {"code": str(error)[:60]}}
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latency[kind].append(elapsed)
            code = status if status == "transport" or status < 400 else f"{status} {body.get('error', {}).get('code')}"
            self.outcomes[kind][code] += 1
            self.sent_bytes[kind] += size
        return status, body


class LeanDevice:
    """One phone, reduced to what the protocol needs it to remember."""

    def __init__(self, url, username, province, rng):
        self.transport = HttpTransport(url, timeout=120)
        self.username, self.province, self.rng = username, province, rng
        self.device_id = str(uuid.uuid4())
        self.next_mutation = 1
        self.cursor = self.access = self.refresh_token = None
        self.units = []  # (id, seq) of its province, from its pulls
        self.chunk = CHUNK
        self.ask_status = False

    def login(self):
        status, body = self.transport.request("POST", "/api/v1/auth/login", body={
            "username": self.username, "password": PASSWORD, "device_id": self.device_id})
        assert status == 200, body
        self.access, self.refresh_token = body["access_token"], body["refresh_token"]

    def pull(self, recorder=None):
        while True:
            send = lambda: self.transport.request("GET", "/api/v1/sync/pull",  # noqa: E731
                                                  params={"cursor": self.cursor}, token=self.access)
            status, page = recorder.timed("pull page", send) if recorder else send()
            if status != 200:
                return False
            self.units.extend((u["id"], u["seq"]) for u in page["units"] if "name" in u)
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return True

    def mutation(self, type_, **body):
        body = {"mutation_id": self.next_mutation, "type": type_, "observed_at": iso(system_clock()), **body}
        self.next_mutation += 1
        return body

    def morning(self, recorder, photo_bytes, photos_per_visit=2):
        """One sync session; returns (visits pushed, photos uploaded, ok)."""
        status, body = recorder.timed("refresh", lambda: self.transport.request(
            "POST", "/api/v1/auth/refresh", token=self.refresh_token))
        if status != 200:
            return 0, 0, False
        self.access = body["access_token"]
        photos, mutations = [], []
        for _ in range(self.rng.randint(1, 3)):
            shot = [fake_photo(self.rng, max(20_000, int(self.rng.gauss(photo_bytes, photo_bytes / 4))))
                    for _ in range(photos_per_visit)]
            shas = [hashlib.sha256(p).hexdigest() for p in shot]
            photos.extend(zip(shas, shot, strict=True))
            unit_id = self.rng.choice(self.units)[0]
            mutations.append(self.mutation(
                "create_visit", visit_id=new_id(), unit_id=unit_id, template=TEMPLATE_REF,
                answers=diagnosis_answers(self.rng, photos=shas),
                obstacles=sample_obstacles(self.rng, self.rng.randint(0, 3)), attachments=[]))
        if self.rng.random() < 0.3:
            unit_id, seq = self.rng.choice(self.units)
            mutations.append(self.mutation("update_unit", unit_id=unit_id, base_seq=seq,
                                           fields={"employees": self.rng.randint(0, 300)}))
        size = len(json.dumps({"mutations": mutations}, ensure_ascii=False).encode())
        status, body = recorder.timed("push", lambda: self.transport.request(
            "POST", "/api/v1/sync/push", body={"mutations": mutations}, token=self.access), size)
        if status != 200:
            return 0, 0, False
        uploaded = sum(self.upload(recorder, sha, data) for sha, data in photos)
        return len([m for m in mutations if m["type"] == "create_visit"]), uploaded, self.pull(recorder)

    def upload(self, recorder, sha, data) -> bool:
        offset = 0
        if self.ask_status:
            status, state = recorder.timed("photo status", lambda: self.transport.request(
                "GET", f"/api/v1/attachments/{sha}/status", token=self.access))
            if status != 200:
                return False
            offset = state["received"] if state.get("size") == len(data) else 0
        while offset < len(data):
            chunk = data[offset:offset + self.chunk]
            headers = {"Content-Range": f"bytes {offset}-{offset + len(chunk) - 1}/{len(data)}",
                       "Content-Digest": "sha-256=:" + base64.b64encode(hashlib.sha256(chunk).digest()).decode() + ":"}
            status, state = recorder.timed("photo chunk", lambda c=chunk, h=headers: self.transport.request_bytes(
                "PUT", f"/api/v1/attachments/{sha}", data=c, headers=h, token=self.access), len(chunk))
            if status != 200:
                return False
            offset = state.get("received", len(data)) if not state.get("complete") else len(data)
        return True


WORDS = ["صنایع", "غذایی", "بسته‌بندی", "پلاستیک", "البرز", "مهر", "پارس", "آریا", "فولاد", "نساجی", "کاشی",
         "شیمیایی", "دارویی", "قطعه‌سازی", "تولیدی", "کارخانه", "شرکت", "سپاهان"]


def seed_units(database: str, per_province: int, rng) -> list[int]:
    """``per_province`` units in each province, through the write path; returns the provinces."""
    db = connect(database)
    provinces = [p for (p,) in db.execute("SELECT id FROM provinces ORDER BY id")]
    with write(db, system_clock(), SYSTEM) as tx:
        for province in provinces:
            for i in range(per_province):
                units_domain.create(tx, str(uuid.uuid4()), {
                    "name": " ".join(rng.sample(WORDS, 3)) + f" {province}-{i}", "province_id": province,
                    "status": rng.choice(["active", "semi_active", "stalled", "closed"]),
                    "employees": rng.randint(0, 300), "phone": f"0{rng.randint(10**9, 10**10 - 1)}"}, tx.at)
    db.close()
    return provinces


def percentiles(values) -> dict:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"n": len(ordered), "p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": ordered[-1] * 1000}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children still running, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid] + [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0.0
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine_ticks() -> list[int]:
    """Jiffies of the whole machine since boot: user, nice, system, idle, iowait, ... (/proc/stat)."""
    return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]


def profile_workers(server, seconds: int, out: str):
    """py-spy (if installed) sampling the gunicorn workers for the morning, as collapsed stacks;
    only threads holding the GIL, so the samples show where server CPU goes."""
    return subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(server.process.pid),
                             "--subprocesses", "--gil", "--duration", str(seconds), "--rate", "50", "--format", "raw",
                             "--output", out, "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=3000)
    parser.add_argument("--hour", type=float, default=300.0, help="seconds the morning hour is compressed into")
    parser.add_argument("--concurrency", type=int, default=48, help="devices syncing at once, at most")
    parser.add_argument("--units-per-province", type=int, default=150)
    parser.add_argument("--photo-bytes", type=int, default=300_000)
    parser.add_argument("--photos-per-visit", type=int, default=2)
    parser.add_argument("--chunk-bytes", type=int, default=CHUNK)
    parser.add_argument("--ask-status", action="store_true",
                        help="ask the upload status before every photo (the reference client's old protocol)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", help="write py-spy's collapsed stacks of the workers here")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    server = start_server(args.workers, args.threads)
    try:
        database = create_app({"INSTANCE_PATH": str(server.instance)}).config["DATABASE"]
        with Timer() as seeding:
            provinces = seed_units(database, args.units_per_province, rng)
            names = [(f"eng{i:05d}", rng.choice(provinces)) for i in range(args.devices)]
            create_users(database, [(n, "engineer", [p]) for n, p in names])
        devices = [LeanDevice(server.url, n, p, random.Random(rng.random())) for n, p in names]
        for device in devices:
            device.chunk, device.ask_status = args.chunk_bytes, args.ask_status
        with Timer() as yesterday, ThreadPoolExecutor(16) as pool:  # logged in and synced before today
            list(pool.map(lambda d: (d.login(), d.pull()), devices))
        print(f"# machine: {machine()}; gunicorn {args.workers} workers x {args.threads} threads; "
              f"seeded {len(provinces)} provinces x {args.units_per_province} units and {args.devices} devices "
              f"in {seeding.seconds:.0f} s; first syncs in {yesterday.seconds:.0f} s", flush=True)

        recorder, lags, sessions, failed = Recorder(), [], [], Counter()
        totals = Counter()
        arrivals = sorted(rng.uniform(0, args.hour) for _ in devices)
        profiler = profile_workers(server, int(args.hour) + 30, args.profile) if args.profile else None
        server_cpu, client_cpu = cpu_seconds(server.process.pid), time.process_time()
        ticks = machine_ticks()
        start = time.perf_counter()

        def session(device, at):
            wait = at - (time.perf_counter() - start)
            if wait > 0:
                time.sleep(wait)
            lags.append(max(0.0, -wait))
            began = time.perf_counter()
            visits, photos, ok = device.morning(recorder, args.photo_bytes, args.photos_per_visit)
            sessions.append(time.perf_counter() - began)
            totals.update(visits=visits, photos=photos)
            failed["sessions"] += not ok

        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(session, devices, arrivals))
        wall = time.perf_counter() - start
        server_cpu, client_cpu = cpu_seconds(server.process.pid) - server_cpu, time.process_time() - client_cpu
        ticks = [b - a for a, b in zip(ticks, machine_ticks(), strict=True)]
        if profiler:
            profiler.wait(timeout=120)
    finally:
        server.stop()

    requests = sum(len(v) for v in recorder.latency.values())
    errors = {k: {c: n for c, n in v.items() if c not in (200, 201)} for k, v in recorder.outcomes.items()}
    print(f"\nmorning: {args.devices} devices over {args.hour:.0f} s "
          f"(= {args.devices * 3600 / args.hour:,.0f} devices/hour offered), finished in {wall:.0f} s")
    print(f"sessions: p50 {statistics.median(sessions):.2f} s, p95 {percentiles(sessions)['p95'] / 1000:.2f} s; "
          f"start lag p95 {percentiles(lags)['p95'] / 1000:.2f} s (devices waiting for a free slot); "
          f"failed sessions: {failed['sessions']}")
    print(f"throughput: {requests / wall:.1f} requests/s, {totals['visits'] / wall:.1f} visits/s, "
          f"{totals['photos'] / wall:.1f} photos/s ({sum(recorder.sent_bytes.values()) / wall / 1e6:.1f} MB/s up); "
          f"{totals['visits']} visits, {totals['photos']} photos, {requests} requests")
    print(f"cpu: server {server_cpu / wall:.2f} cores, load generator {client_cpu / wall:.2f} cores "
          f"(of {os.cpu_count()}); whole machine {1 - (ticks[3] + ticks[4]) / sum(ticks):.0%} busy, "
          f"{ticks[4] / sum(ticks):.0%} waiting for I/O")
    print("\n| request | count | p50 ms | p95 ms | p99 ms | max ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for kind, values in recorder.latency.items():
        p = percentiles(values)
        print(f"| {kind} | {p['n']} | {p['p50']:.0f} | {p['p95']:.0f} | {p['p99']:.0f} | {p['max']:.0f} | "
              f"{json.dumps(errors[kind], ensure_ascii=False) if errors[kind] else 'none'} |")


if __name__ == "__main__":
    main()
