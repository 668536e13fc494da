"""Test helpers: talking to the app in-process, and to a real server process."""

import gzip
import hashlib
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from sync.client import Device, HttpTransport, ServerError, TransportError
from sync.errors import Conflict
from sync.sample_visits import TEMPLATE_REF, sample_obstacles
from sync.sample_visits import diagnosis_answers as sample_answers

PASSWORD = "correct horse battery"
SECRET = "test-secret-key-that-is-long-enough-for-hs256"
# Cheap argon2 parameters: the suite logs in hundreds of times. Production keeps the defaults.
FAST_HASHING = {"PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_KIB": 1024}


class FlaskTransport:
    """The device client's transport over Flask's test client: real app, real SQLite, no sockets."""

    def __init__(self, client):
        self.client = client

    def request(self, method, path, *, body=None, params=None, token=None):
        headers = {"Accept-Encoding": "gzip"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(path, method=method, json=body, query_string=params or None,
                                    headers=headers)
        data = response.get_data()
        if response.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return response.status_code, (json.loads(data) if data else {})

    def request_bytes(self, method, path, *, data, headers=None, token=None):
        headers = {"Content-Type": "application/octet-stream", **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(path, method=method, data=data, headers=headers)
        return response.status_code, response.get_json(silent=True) or {}


class LoseResponses:
    """Wraps a transport: the request reaches the server, but the answer is lost on the way back."""

    def __init__(self, inner, lose_paths=("/api/v1/sync/push",), times=1):
        self.inner = inner
        self.lose_paths = lose_paths
        self.times = times

    def request(self, method, path, **kwargs):
        answer = self.inner.request(method, path, **kwargs)
        if self.times > 0 and path in self.lose_paths:
            self.times -= 1
            raise TransportError("connection reset by peer (simulated lost response)")
        return answer


class Offline:
    """A transport for a phone in a park with no network."""

    def request(self, method, path, **kwargs):
        raise TransportError("network unreachable")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``fieldsync serve`` (gunicorn) as a real process on 127.0.0.1."""

    def __init__(self, instance: Path, workers: int = 2, threads: int = 4, extra_env=None, code=None):
        # code: a checkout of another version of fieldsync to serve instead of this one (a
        # benchmark compares two); ``python -m server`` finds the package in its working folder.
        self.code = code
        self.instance = Path(instance)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.threads = threads
        self.env = {**os.environ, "FIELDSYNC_INSTANCE_PATH": str(self.instance),
                    "FIELDSYNC_SECRET_KEY": SECRET,
                    **{f"FIELDSYNC_{k}": str(v) for k, v in FAST_HASHING.items()}, **(extra_env or {})}
        self.process = None
        self.log = self.instance / "server.log"

    def start(self, timeout: float = 30.0) -> "ServerProcess":
        self.instance.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "server", "serve", "--port", str(self.port),
                   "--workers", str(self.workers), "--threads", str(self.threads)]
        log = open(self.log, "ab")  # noqa: SIM115 - the process writes to it until it stops
        self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True, cwd=self.code)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/api/v1/health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no graceful shutdown, like a power cut of the process."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def legal_id(first_ten: str) -> str:
    """An 11-digit legal national id with a correct check digit."""
    from sync.identifiers import legal_id_valid

    for check in "0123456789":
        if legal_id_valid(first_ten + check):
            return first_ten + check
    raise ValueError(first_ten)


def unit_fields(name="شرکت صنایع غذایی مهر", province_id=8, **more):
    return {"name": name, "province_id": province_id, **more}


def create_unit_mutation(mutation_id, unit_id, fields, observed_at="2026-03-01T06:00:00Z"):
    return {"mutation_id": mutation_id, "type": "create_unit", "unit_id": unit_id,
            "observed_at": observed_at, "fields": fields}


def update_unit_mutation(mutation_id, unit_id, fields, base_seq=None, observed_at="2026-03-01T06:10:00Z"):
    return {"mutation_id": mutation_id, "type": "update_unit", "unit_id": unit_id, "base_seq": base_seq,
            "observed_at": observed_at, "fields": fields}


DIAGNOSIS_V1 = {"code": "diagnosis", "version": 1}


def diagnosis_answers(**overrides) -> dict:
    """Valid answers to the shipped diagnosis template (every fixture app has it published)."""
    from sync.templates import default_template, example_answers

    return example_answers(default_template(), overrides)


def visit_mutation(mutation_id, visit_id, unit_id, observed_at="2026-03-01T06:20:00Z", **more):
    body = {"mutation_id": mutation_id, "type": "create_visit", "visit_id": visit_id, "unit_id": unit_id,
            "observed_at": observed_at, "template": DIAGNOSIS_V1,
            "answers": diagnosis_answers(summary="واحد نیمه‌فعال است"), "obstacles": []}
    body.update(more)
    return body


def table_counts(db) -> dict:
    """Row counts of every table: to prove a request wrote nothing (or exactly what it should)."""
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                      " AND name NOT LIKE 'sqlite_%'")]
    return {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


class HttpApi:
    """A logged-in caller of a real server over HTTP, shaped like the in-process ``Api``."""

    def __init__(self, url: str, username: str, device_id: str, password: str = PASSWORD):
        from sync.client import HttpTransport

        self.transport = HttpTransport(url)
        status, body = self.transport.request("POST", "/api/v1/auth/login", body={
            "username": username, "password": password, "device_id": device_id})
        assert status == 200, body
        self.token, self.user = body["access_token"], body["user"]

    def get(self, path, params=None):
        return self.transport.request("GET", path, params=params, token=self.token)

    def post(self, path, body=None):
        return self.transport.request("POST", path, body=body, token=self.token)


def all_pages(api, path, params=None) -> list[dict]:
    items, offset = [], 0
    while True:
        status, body = api.get(path, params={**(params or {}), "limit": 500, "offset": offset})
        assert status == 200, body
        items.extend(body["items"])
        offset += 500
        if offset >= body["total"]:
            return items


def assert_converged(device, engineer_api, supervisor_api) -> None:
    """The device's local copies equal the server's state in its scope."""
    server_units = {u["id"]: u for u in all_pages(supervisor_api, "/api/v1/units")}
    local_units = device.units()
    assert set(local_units) == set(server_units)
    for unit_id, unit in server_units.items():
        local = {k: local_units[unit_id].get(k) for k in unit}
        assert local == unit, (unit_id, {k: (local[k], unit[k]) for k in unit if local[k] != unit[k]})
    server_visits = {v["id"]: (v["unit_id"], v["review_state"], v["version"])
                     for v in all_pages(engineer_api, "/api/v1/visits")}
    local_visits = {v["id"]: (v["unit_id"], v["review_state"], v["version"]) for v in device.visits().values()}
    assert local_visits == server_visits, device.rejected()
    assert device.outbox_size() == 0


# --- fleets of devices against a real server, and what must hold afterwards ------------------
# Shared by the crash, concurrency and backup tests (tests/test_crash.py, test_concurrency.py,
# test_backup.py) and the load script (bench/load_morning.py).

def server_database(server: ServerProcess) -> str:
    """The SQLite file a ``ServerProcess`` serves (the instance default)."""
    return str(server.instance / "fieldsync.db")


def create_users(database: str, users, password: str = PASSWORD) -> None:
    """``users`` = [(username, role, [province ids])], created in one write through the domain
    (one CLI process per user costs a second each; the CLI uses the same function)."""
    from sync import users as users_domain
    from sync.clock import system_clock
    from sync.store import connect, write

    users_domain.configure_hasher(FAST_HASHING["PASSWORD_HASH_TIME_COST"], FAST_HASHING["PASSWORD_HASH_MEMORY_KIB"])
    db = connect(database)
    try:
        with write(db, system_clock()) as tx:
            for username, role, provinces in users:
                users_domain.create_user(tx, username, password, role, list(provinces))
    finally:
        db.close()


def collect_key(database: str, username: str, label: str = "") -> str:
    """A Collect key for ``username``, issued through the domain as the console or CLI would."""
    from sync import users as users_domain
    from sync.clock import system_clock
    from sync.odk import keys
    from sync.store import SYSTEM, connect, write

    db = connect(database)
    try:
        with write(db, system_clock(), SYSTEM) as tx:
            return keys.issue(tx, users_domain.find_user(db, username)["id"], label)[1]
    finally:
        db.close()


def retrying(action, deadline_s: float = 120.0, pause_s: float = 0.2, errors: list | None = None):
    """Run ``action()`` until it gets through: a network failure or a 5xx is retried after a
    pause, as a phone would; anything else propagates. Failures are appended to ``errors``."""
    from sync.client import ServerError

    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return action()
        except (TransportError, ServerError) as error:
            if isinstance(error, ServerError) and error.status < 500:
                raise
            if errors is not None:
                errors.append(error)
            if time.monotonic() > deadline:
                raise
            time.sleep(pause_s)


def drain(devices, rounds: int = 2, deadline_s: float = 180.0) -> None:
    """Sync every device until its outbox is empty, ``rounds`` times over, so that devices
    that synced early also receive what the later ones pushed."""
    for _ in range(rounds):
        for device in devices:
            retrying(device.sync, deadline_s)
            assert device.outbox_size() == 0, device.device_id


def fake_photo(rng, size: int) -> bytes:
    """Bytes the server accepts as a JPEG (it sniffs the magic number), unique per call."""
    return b"\xff\xd8\xff\xe0" + rng.randbytes(size - 4)


def _rows(db, sql, params=()):
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def assert_store_consistent(db) -> None:
    """Nothing half-written: the checks that must hold for any committed state of the store."""
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    count, high = db.execute("SELECT count(*), coalesce(max(seq), 0) FROM change_log").fetchone()
    assert count == high, f"change sequence has gaps: {count} rows, max seq {high}"
    # The seq stamped on a row was logged for that row in the same transaction, and every
    # logged change names a row that exists. (A merge that takes no field logs the winner
    # without restamping it, so a row's seq may be older than its last log entry.)
    for table, entity in (("units", "unit"), ("visits", "visit")):
        unlogged = db.execute(
            f"SELECT t.id FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM change_log c"
            f" WHERE c.entity = '{entity}' AND c.entity_id = t.id AND c.seq = t.seq)").fetchall()
        assert unlogged == [], f"{table} stamped with a seq that was never logged: {unlogged[:5]}"
        orphans = db.execute(
            f"SELECT DISTINCT c.entity_id FROM change_log c WHERE c.entity = '{entity}'"
            f" AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = c.entity_id)").fetchall()
        assert orphans == [], f"changes logged for {table} that do not exist: {orphans[:5]}"
    # A visit is its row, one stored version per version number, its thread and its obstacles.
    for visit in _rows(db, "SELECT id, version FROM visits"):
        versions = _rows(db, "SELECT version, content FROM visit_versions WHERE visit_id = ? ORDER BY version",
                         [visit["id"]])
        assert [v["version"] for v in versions] == list(range(1, visit["version"] + 1)), visit
        for stored in versions:
            obstacles = db.execute("SELECT count(*) FROM visit_obstacles WHERE visit_id = ? AND version = ?",
                                   [visit["id"], stored["version"]]).fetchone()[0]
            assert obstacles == len(json.loads(stored["content"])["obstacles"]), visit
        assert db.execute("SELECT count(*) FROM visit_events WHERE visit_id = ?", [visit["id"]]).fetchone()[0] >= 1
    # Every answer in the ledger names what it wrote, and that exists.
    for row in _rows(db, "SELECT device_id, mutation_id, type, status, result FROM mutations"):
        result = json.loads(row["result"])
        assert result["status"] == row["status"] != "duplicate", row
        if row["status"] == "rejected":
            continue
        if row["type"] in ("create_visit", "revise_visit"):
            assert db.execute("SELECT 1 FROM visits WHERE id = ?", [result["visit_id"]]).fetchone(), row
        assert db.execute("SELECT 1 FROM units WHERE id = ?", [result["unit_id"]]).fetchone(), row
    accepted = db.execute("SELECT count(*) FROM mutations WHERE type = 'create_visit'"
                          " AND status != 'rejected'").fetchone()[0]
    assert db.execute("SELECT count(*) FROM visits").fetchone()[0] == accepted


def assert_acked_exactly_once(db, devices) -> dict:
    """Every mutation a device saw acknowledged is in the ledger once, with the answer the
    device got; the ledger holds nothing the devices did not send. Returns counts."""
    counts = {"acked": 0, "devices": len(devices)}
    for device in devices:
        stored = {r["mutation_id"]: r for r in _rows(
            db, "SELECT mutation_id, status, result FROM mutations WHERE device_id = ?", [device.device_id])}
        acked = device.acked()
        assert set(stored) == set(acked), (device.device_id, set(stored) ^ set(acked))
        for mutation_id, answer in acked.items():
            first = answer.get("first_status", answer["status"])
            original = {k: v for k, v in answer.items() if k != "first_status"}
            original["status"] = first
            assert stored[mutation_id]["status"] == first
            assert json.loads(stored[mutation_id]["result"]) == original, (device.device_id, mutation_id)
        counts["acked"] += len(acked)
    return counts


# A few legal ids shared between devices: the same factory registered twice is merged on push,
# so redirects happen under load too.
SHARED_LEGAL_IDS = [legal_id(f"10{n:08d}") for n in (11, 22, 33)]


class FieldWork:
    """One engineer's morning on one device, in a thread of its own: record units, edits and
    visits (some with a photo), sync, and retry as a phone does when the server is gone.
    Used by the crash and backup tests."""

    def __init__(self, server, folder, username, seed, province=8):
        self.server, self.path, self.username = server, str(folder / f"{username}.sqlite"), username
        self.rng, self.province = random.Random(seed), province
        self.photos_dir = folder / f"{username}-photos"
        self.photos_dir.mkdir()
        self.failures = []  # TransportError / 5xx seen (5xx must stay empty)
        self.syncs = 0
        self.error = None

    def run(self, stop: threading.Event, ready: threading.Barrier) -> None:
        device = Device(self.path, HttpTransport(self.server.url, timeout=20))
        try:
            device.login(self.username, PASSWORD)
            ready.wait(timeout=60)  # whatever the test does starts once every device has logged in
            while not stop.is_set():
                for _ in range(self.rng.randint(1, 4)):
                    self.record(device)
                try:
                    device.sync()
                    self.syncs += 1
                except (TransportError, ServerError) as error:
                    if isinstance(error, ServerError) and error.status < 500:
                        raise
                    self.failures.append(error)
                    time.sleep(self.rng.uniform(0.05, 0.3))
        except BaseException as error:  # reported by the test, with the device that failed
            self.error = error
        finally:
            device.close()

    def record(self, device: Device) -> None:
        units = sorted(device.units())
        choice = self.rng.random()
        if not units or choice < 0.2:
            fields = {"name": f"واحد {self.username} {self.rng.randrange(10**6)}", "province_id": self.province,
                      "employees": self.rng.randint(0, 200)}
            if self.rng.random() < 0.15:
                fields["national_id"] = self.rng.choice(SHARED_LEGAL_IDS)
            device.create_unit(fields)
        elif choice < 0.55:
            # A unique phone per edit makes every applied edit recognisable in the audit log.
            mutation_id = int(device._get("next_mutation_id"))
            device.update_unit(self.rng.choice(units), {"phone": f"{self.username}-{mutation_id}",
                                                        "employees": self.rng.randint(0, 300)})
        else:
            photos = []
            if self.rng.random() < 0.3:
                path = self.photos_dir / f"{self.rng.randrange(10**9)}.jpg"
                path.write_bytes(fake_photo(self.rng, self.rng.randint(10_000, 600_000)))
                photos.append(device.attach(str(path)))
            device.record_visit(self.rng.choice(units), sample_answers(self.rng, photos=photos),
                                sample_obstacles(self.rng, self.rng.randint(0, 3)), template=TEMPLATE_REF)


def start_field_work(server, folder, usernames, seed) -> tuple[list, threading.Event, list]:
    """Start a ``FieldWork`` thread per username; returns (work, stop event, threads) once
    every device has logged in."""
    rng = random.Random(seed)
    work = [FieldWork(server, folder, name, rng.randrange(1 << 30)) for name in usernames]
    stop, ready = threading.Event(), threading.Barrier(len(work) + 1)
    threads = [threading.Thread(target=w.run, args=(stop, ready), daemon=True) for w in work]
    for thread in threads:
        thread.start()
    ready.wait(timeout=60)
    return work, stop, threads


def stop_field_work(work, stop, threads) -> None:
    """Stop the devices; fails with the first device that raised, or if a 5xx reached one."""
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    errors = [(w.username, repr(w.error)) for w in work if w.error]
    assert errors == [], errors
    assert not [f for w in work for f in w.failures if isinstance(f, ServerError)], "a 5xx reached a device"


def acked_ids(device_path: str) -> set[int]:
    """The mutation ids a device has seen acknowledged, read beside the thread that owns it."""
    import sqlite3

    conn = sqlite3.connect(f"file:{device_path}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT mutation_id FROM acked")}
    finally:
        conn.close()


class MemoryStorage:
    """The Storage protocol over a dict: what a deployment keeping files elsewhere would write."""

    def __init__(self):
        self.files, self.uploads = {}, {}

    def has(self, sha256):
        return sha256 in self.files

    def progress(self, sha256, uploader):
        upload = self.uploads.get((uploader, sha256))
        return upload and {"received": len(upload["data"]), "size": upload["size"],
                           "media_type": upload["media_type"]}

    def write(self, sha256, uploader, first, data, size, media_type):
        upload = self.uploads.get((uploader, sha256))
        if first > 0 and (upload is None or upload["size"] != size or first > len(upload["data"])):
            have = len(upload["data"]) if upload and upload["size"] == size else 0
            raise Conflict(f"send from byte {have}", {"received": have})
        if first == 0:
            upload = self.uploads[(uploader, sha256)] = {"data": bytearray(), "size": size,
                                                         "media_type": media_type}
        upload["data"][first:] = data
        return self.progress(sha256, uploader)

    def finish(self, sha256, uploader, verify=True):
        data = bytes(self.uploads.pop((uploader, sha256))["data"])
        if verify and hashlib.sha256(data).hexdigest() != sha256:
            return False
        self.files.setdefault(sha256, data)
        return True

    def open(self, sha256):
        return io.BytesIO(self.files[sha256])


def litestream_pids(server) -> list[int]:
    """Litestream processes started by the server's master (its children, by /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == server.process.pid and command[0].endswith(b"litestream") and b"replicate" in command:
            found.append(int(entry))
    return found
