"""Losing the machine: the store and photos come back from the replica, and nothing any
device saw acknowledged is lost or doubled.

A real `fieldsync serve` replicates its store with Litestream to an S3 bucket and keeps the
photos in another prefix of it (moto in server mode on 127.0.0.1). Reference-client devices
record units, edits and visits with photos and sync all the time (tests/helpers.FieldWork).
At a random moment the server's whole process group — gunicorn, Litestream, the watermark
job — is SIGKILLed and its instance folder deleted: the database, its WAL, the staging area,
the signing key file, everything the machine had. `fieldsync restore --from-replica` builds a
new instance from the bucket and the server starts on it; the devices, which kept everything
not yet declared durable, learn `store_replaced` and send it again. ROUNDS times. Then:

* every mutation any device saw acknowledged is in the store exactly once, with the answer
  the device holds (``assert_acked_exactly_once``); the store is whole
  (``assert_store_consistent``: integrity_check, gap-free change log, …);
* every photo a visit refers to is held, and every held photo reads back from the bucket
  with its size and SHA-256;
* every device converges on the server.

CI runs 2 rounds; ``FIELDSYNC_REPLICA_ROUNDS`` (and ``FIELDSYNC_REPLICA_DEVICES``) for more.
"""

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from sync.client import Device, HttpTransport
from sync.store import connect
from tests.helpers import (
    PASSWORD,
    HttpApi,
    ServerProcess,
    assert_acked_exactly_once,
    assert_converged,
    assert_store_consistent,
    create_users,
    litestream_pids,
    retrying,
    server_database,
    start_field_work,
    stop_field_work,
)

pytestmark = pytest.mark.slow
TEHRAN = 8
ROUNDS = int(os.environ.get("FIELDSYNC_REPLICA_ROUNDS", "2"))
DEVICES = int(os.environ.get("FIELDSYNC_REPLICA_DEVICES", "4"))
SEED = int(os.environ.get("FIELDSYNC_REPLICA_SEED", str(random.randrange(1 << 30))))


def settings_env(moto_server, bucket) -> dict:
    settings = {**moto_server.settings(), "REPLICA_URL": f"s3://{bucket}/store",
                "ATTACHMENTS_S3_BUCKET": bucket, "ATTACHMENTS_S3_PREFIX": "photos/",
                "REPLICA_SYNC_INTERVAL_SECONDS": "0.5", "DURABLE_INTERVAL_SECONDS": "0.5"}
    return {f"FIELDSYNC_{k}": str(v) for k, v in settings.items()}


def durable_after(database: str, deadline_s: float = 60.0) -> None:
    """Wait until the watermark job has declared something durable (the devices' rows and
    the users are then on the replica too: they were committed before)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        db = connect(database)
        try:
            if db.execute("SELECT durable_seq FROM durability").fetchone()[0] > 0:
                return
        finally:
            db.close()
        time.sleep(0.2)
    raise AssertionError("the durable watermark never moved")


def settled(devices, deadline_s: float = 120.0) -> None:
    """Sync every device, round after round, until each has sent everything (a mutation that
    waited for another device's unit included) and heard that all of it is durable: nothing
    queued, nothing kept, every photo declared durable (so the phone may delete it)."""
    deadline = time.monotonic() + deadline_s
    while True:
        for device in devices:
            retrying(device.sync)
        waiting = {d.device_id: (d.outbox_size(), len(d.kept()), sum(not u["durable"] for u in d.uploads().values()))
                   for d in devices}
        if all(w == (0, 0, 0) for w in waiting.values()):
            return
        assert time.monotonic() < deadline, f"still not durable: {waiting}"
        time.sleep(0.5)


def assert_photos_in_bucket(db, moto_server, bucket) -> int:
    s3 = moto_server.client()
    held = db.execute("SELECT sha256, size, content_sha256 FROM attachments").fetchall()
    for sha, size, content in held:
        data = s3.get_object(Bucket=bucket, Key=f"photos/{sha[:2]}/{sha}")["Body"].read()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == content, sha
    wanted = {r[0] for r in db.execute("SELECT sha256 FROM visit_attachments")}
    assert wanted <= {sha for sha, _, _ in held}, "a photo a visit refers to is missing"
    return len(held)


def test_losing_the_machine_loses_nothing_acknowledged(tmp_path, moto_server):
    rng = random.Random(SEED)
    bucket = moto_server.new_bucket()
    server = ServerProcess(tmp_path / "instance", extra_env=settings_env(moto_server, bucket)).start()
    names = [f"eng{i}" for i in range(DEVICES)]
    create_users(server_database(server), [(n, "engineer", [TEHRAN]) for n in names]
                 + [("sara", "supervisor", [TEHRAN])])
    losses = []
    try:
        work, stop, threads = start_field_work(server, tmp_path, names, rng.randrange(1 << 30))
        durable_after(server_database(server))
        for _ in range(ROUNDS):
            time.sleep(rng.uniform(1.0, 3.0))
            server.kill()
            shutil.rmtree(server.instance)  # the machine is gone, disk and all
            started = time.monotonic()
            restore = subprocess.run([sys.executable, "-m", "server", "restore", "--from-replica", "--yes"],
                                     env=server.env, capture_output=True, text=True, timeout=300)
            assert restore.returncode == 0, restore.stdout + restore.stderr
            server.start(timeout=60)
            losses.append(round(time.monotonic() - started, 2))
            durable_after(server_database(server))
        stop_field_work(work, stop, threads)

        phones = {w.username: Device(w.path, HttpTransport(server.url, timeout=60)) for w in work}
        devices = list(phones.values())
        settled(devices)
        db = connect(server_database(server))
        try:
            counts = assert_acked_exactly_once(db, devices)
            assert_store_consistent(db)
            photos = assert_photos_in_bucket(db, moto_server, bucket)
            rejected = db.execute("SELECT error FROM dead_letters").fetchall()
            visits = db.execute("SELECT count(*) FROM visits").fetchone()[0]
            resent = db.execute("SELECT count(*) FROM mutations m JOIN devices d ON d.id = m.device_id"
                                " WHERE m.mutation_id <= d.restore_floor").fetchone()[0]
        finally:
            db.close()
        # An edit or visit of a unit another device created in the lost window, arriving before
        # that device sends the unit again, waits (``deferred``) rather than being refused:
        # nothing the devices sent is refused.
        assert rejected == [], rejected[:3]
        supervisor = HttpApi(server.url, "sara", "replica-console")
        for username, device in phones.items():
            assert_converged(device, HttpApi(server.url, username, device.device_id), supervisor)
            device.close()
        report = {"seed": SEED, "rounds": ROUNDS, "devices": DEVICES, **counts, "visits": visits,
                  "photos": photos, "refused_not_found": len(rejected), "restore_to_serving_s": losses,
                  "ledger_rows_at_or_below_floor": resent,
                  "interrupted_syncs": sum(len(w.failures) for w in work)}
        print("replica fault test:", json.dumps(report))
        assert counts["acked"] > 10 * ROUNDS and photos > 0  # the devices really worked
    finally:
        server.stop()


def test_a_litestream_that_stops_under_the_server_is_started_again(tmp_path):
    server = ServerProcess(tmp_path / "instance", workers=1, extra_env={
        "FIELDSYNC_REPLICA_URL": f"file://{tmp_path / 'replica'}",
        "FIELDSYNC_REPLICA_SYNC_INTERVAL_SECONDS": "0.2", "FIELDSYNC_DURABLE_INTERVAL_SECONDS": "0.2"}).start()
    try:
        create_users(server_database(server), [("reza", "engineer", [TEHRAN])])
        [first] = litestream_pids(server)
        os.kill(first, signal.SIGKILL)
        device = Device(str(tmp_path / "reza.sqlite"), HttpTransport(server.url, timeout=30))
        device.login("reza", PASSWORD)
        device.create_unit({"name": "کارخانه پس از توقف", "province_id": TEHRAN})
        deadline = time.monotonic() + 30
        while device.outbox_size() or device.kept():  # durable only if a Litestream replicates again
            assert time.monotonic() < deadline, "the acknowledgement never became durable"
            device.sync()
            time.sleep(0.3)
        assert [pid for pid in litestream_pids(server) if pid != first]
        assert "Litestream stopped" in server.log.read_text()
        device.close()
    finally:
        server.stop()
