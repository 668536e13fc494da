"""``fieldsync backup`` under load, and ``fieldsync restore``, through the CLI against a real server.

Devices sync continuously (units, edits, visits with photos) while ``fieldsync backup`` runs
as a separate process. The backup must hold every mutation acknowledged before it started,
nothing that was never acknowledged, the same answers the devices got, whole visits, a
gap-free change log and every photo it lists. Restoring it is refused while the server runs;
once stopped, the restore gives the store a new id, the devices reset and converge on it,
and what they lose is exactly what was acknowledged after the backup point — the documented
cost of a restore (docs/reliability.md, "Backups").
"""

import hashlib
import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync.client import Device, HttpTransport
from sync.store import connect
from tests.helpers import (
    HttpApi,
    ServerProcess,
    acked_ids,
    all_pages,
    assert_store_consistent,
    create_users,
    drain,
    server_database,
    start_field_work,
    stop_field_work,
)

pytestmark = pytest.mark.slow
TEHRAN = 8


def fieldsync(server, *args):
    return subprocess.run([sys.executable, "-m", "server", *args], env=server.env, capture_output=True,
                          text=True, timeout=300)


def read_only(database: str) -> sqlite3.Connection:
    """A backup must stay byte-identical (its manifest has its checksum): read it, never write."""
    return sqlite3.connect(f"file:{database}?mode=ro", uri=True)


def ledger(database: str) -> dict:
    """(device, mutation id) → stored answer."""
    db = read_only(database)
    try:
        return {(d, m): json.loads(r) for d, m, r in db.execute("SELECT device_id, mutation_id, result FROM mutations")}
    finally:
        db.close()


def assert_files_whole(database: str, folder: Path) -> int:
    db = read_only(database)
    try:
        held = db.execute("SELECT sha256, size FROM attachments").fetchall()
    finally:
        db.close()
    for sha, size in held:
        data = (folder / sha[:2] / sha).read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha
    return len(held)


def test_a_backup_under_load_restores_everything_acknowledged_before_it(tmp_path):
    server = ServerProcess(tmp_path / "instance").start()
    try:
        names = [f"eng{i}" for i in range(4)]
        create_users(server_database(server), [(n, "engineer", [TEHRAN]) for n in names]
                     + [("sara", "supervisor", [TEHRAN])])
        work, stop, threads = start_field_work(server, tmp_path, names, random.randrange(1 << 30))
        time.sleep(2)
        before = {w.path: acked_ids(w.path) for w in work}
        target = tmp_path / "backups" / "morning"
        result = fieldsync(server, "backup", str(target))
        assert result.returncode == 0, result.stderr
        assert "Backup written" in result.stdout
        time.sleep(1)
        stop_field_work(work, stop, threads)
        devices = {w.username: Device(w.path, HttpTransport(server.url, timeout=60)) for w in work}
        drain(devices.values(), rounds=1)
        final = {d.device_id: set(d.acked()) for d in devices.values()}
        original_store = json.loads((target / "manifest.json").read_text())["store_id"]

        # The backup: whatever was acknowledged before it began, nothing never acknowledged,
        # the same answers, a consistent store and every photo it lists.
        copy = str(target / "fieldsync.db")
        saved = ledger(copy)
        for w, device in zip(work, devices.values(), strict=True):
            in_backup = {m for d, m in saved if d == device.device_id}
            assert before[w.path] <= in_backup <= final[device.device_id], w.username
            for mutation_id in in_backup:
                answer = device.acked()[mutation_id]
                assert saved[(device.device_id, mutation_id)]["status"] == answer.get("first_status", answer["status"])
        db = read_only(copy)
        try:
            assert_store_consistent(db)
        finally:
            db.close()
        photos = assert_files_whole(copy, target / "attachments")
        assert sum(len(v) for v in before.values()) > 10 and photos > 0

        # Restoring is refused while the server runs, then works and changes the store's id.
        refused = fieldsync(server, "restore", str(target), "--yes")
        assert refused.returncode == 1 and "in use" in refused.stderr, refused.stderr
        server.stop()
        restored = fieldsync(server, "restore", str(target), "--yes")
        assert restored.returncode == 0, restored.stderr
        assert ledger(server_database(server)) == saved
        db = connect(server_database(server))
        try:
            assert_store_consistent(db)
            store_id = db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]
            assert db.execute("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0] == "store.restore"
        finally:
            db.close()
        assert store_id != original_store
        assert assert_files_whole(server_database(server), server.instance / "attachments") >= photos

        # Devices reset (store_replaced) and converge; they lose exactly what was acknowledged
        # after the backup point, and keep working.
        server.start()
        supervisor = HttpApi(server.url, "sara", "backup-console")
        for name, device in devices.items():
            lost = final[device.device_id] - {m for d, m in saved if d == device.device_id}
            device.sync()
            device.sync()
            server_units = {u["id"]: u for u in all_pages(supervisor, "/api/v1/units")}
            assert set(device.units()) == set(server_units)
            engineer = HttpApi(server.url, name, device.device_id)
            on_server = {v["id"] for v in all_pages(engineer, "/api/v1/visits")}
            assert on_server <= set(device.visits())
            lost_visits = {device.acked()[m].get("visit_id") for m in lost} - {None}
            assert set(device.visits()) - on_server == lost_visits, name
            unit = device.create_unit({"name": "پس از بازیابی", "province_id": TEHRAN})
            results = device.push()
            assert [r["status"] for r in results] == ["applied"] and results[0]["unit_id"] == unit
            device.close()
    finally:
        server.stop()


def test_restore_refuses_what_is_not_a_whole_backup(runner, tmp_path):
    (tmp_path / "empty").mkdir()
    result = runner.invoke(["restore", str(tmp_path / "empty"), "--yes"])
    assert result.exit_code == 1 and "not a fieldsync backup" in result.output
    result = runner.invoke(["backup", str(tmp_path / "good")])
    assert result.exit_code == 0, result.output
    assert runner.invoke(["backup", str(tmp_path / "good")]).exit_code == 1  # never over a backup
    with open(tmp_path / "good" / "fieldsync.db", "r+b") as damaged:
        damaged.seek(5000)
        damaged.write(b"damaged!" * 8)
    result = runner.invoke(["restore", str(tmp_path / "good"), "--yes"])
    assert result.exit_code == 1 and "differs" in result.output


def test_restore_asks_before_replacing_the_store(runner, tmp_path, db):
    assert runner.invoke(["backup", str(tmp_path / "b")]).exit_code == 0
    before = db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]
    result = runner.invoke(["restore", str(tmp_path / "b")], input="n\n")
    assert result.exit_code == 1 and "Replace" in result.output
    assert db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0] == before
    result = runner.invoke(["restore", str(tmp_path / "b")], input="y\n")
    assert result.exit_code == 0, result.output
    assert db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0] != before
