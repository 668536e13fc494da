"""Crash safety: the real server is SIGKILLed at random moments while devices sync.

Several reference-client devices (threads, HTTP to gunicorn on 127.0.0.1) record units,
edits and diagnosis visits with photos and sync continuously. The server's whole process
group is killed with SIGKILL — no graceful shutdown, like a power cut of the process — at
random moments, then restarted on the same instance, ROUNDS times. The devices retry as
phones do until their outboxes drain. Then:

* every mutation any device saw acknowledged is in the ledger exactly once, with the very
  answer the device got, and nothing else is (``assert_acked_exactly_once``);
* every edit that was applied was applied once (one audit row per applied edit);
* nothing is half-written, the change sequence is gap-free, ``PRAGMA integrity_check`` is ok
  (``assert_store_consistent``); every photo the devices sent is held, under its hash;
* every device converges on the server's state.

CI runs a few rounds; ``FIELDSYNC_CRASH_ROUNDS=200`` (and ``FIELDSYNC_CRASH_DEVICES``) for
the long run reported in docs/reliability.md.
"""

import gzip
import hashlib
import json
import os
import random
import socket
import threading
import time

import pytest

from sync.client import Device, HttpTransport, TransportError
from sync.store import connect
from tests.helpers import (
    HttpApi,
    ServerProcess,
    assert_acked_exactly_once,
    assert_converged,
    assert_store_consistent,
    create_users,
    drain,
    server_database,
    start_field_work,
    stop_field_work,
)

pytestmark = pytest.mark.slow
TEHRAN = 8
ROUNDS = int(os.environ.get("FIELDSYNC_CRASH_ROUNDS", "6"))
DEVICES = int(os.environ.get("FIELDSYNC_CRASH_DEVICES", "5"))
SEED = int(os.environ.get("FIELDSYNC_CRASH_SEED", str(random.randrange(1 << 30))))


def assert_edits_applied_once(db, devices: dict) -> int:
    """Each acknowledged edit that took effect left exactly one ``unit.update`` in the audit log
    (``devices``: username → device); an edit whose every field lost its conflict left none."""
    edits = 0
    for username, device in devices.items():
        acked = device.acked()
        for (mutation_id,) in db.execute("SELECT mutation_id FROM mutations WHERE device_id = ?"
                                         " AND type = 'update_unit' AND status != 'rejected'",
                                         [device.device_id]).fetchall():
            lost = any(c["field"] == "phone" and c["kept"] == "theirs"
                       for c in acked[mutation_id].get("conflicts", []))
            found = db.execute("SELECT count(*) FROM audit_log WHERE action = 'unit.update'"
                               " AND json_extract(details, '$.fields.phone') = ?",
                               [f"{username}-{mutation_id}"]).fetchone()[0]
            assert found == (0 if lost else 1), (username, mutation_id, acked[mutation_id])
            edits += 1
    return edits


def assert_photos_held(db, instance) -> int:
    held = db.execute("SELECT sha256, size FROM attachments").fetchall()
    for sha, size in held:
        data = (instance / "attachments" / sha[:2] / sha).read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha
    wanted = {r[0] for r in db.execute("SELECT sha256 FROM visit_attachments")}
    assert wanted <= {sha for sha, _ in held}, "a photo the devices uploaded is missing"
    return len(held)


def test_nothing_acknowledged_is_lost_or_doubled_when_the_server_is_killed(tmp_path):
    rng = random.Random(SEED)
    server = ServerProcess(tmp_path / "instance").start()
    database = server_database(server)
    names = [f"eng{i}" for i in range(DEVICES)]
    create_users(database, [(n, "engineer", [TEHRAN]) for n in names] + [("sara", "supervisor", [TEHRAN])])
    kills = []
    try:
        work, stop, threads = start_field_work(server, tmp_path, names, rng.randrange(1 << 30))
        for _ in range(ROUNDS):
            time.sleep(rng.uniform(0.3, 2.0))
            server.kill()
            kills.append(time.monotonic())
            time.sleep(rng.uniform(0.0, 0.5))
            server.start(timeout=60)
        stop_field_work(work, stop, threads)

        phones = {w.username: Device(w.path, HttpTransport(server.url, timeout=60)) for w in work}
        devices = list(phones.values())
        drain(devices)
        db = connect(database)
        try:
            counts = assert_acked_exactly_once(db, devices)
            assert_store_consistent(db)
            edits = assert_edits_applied_once(db, phones)
            photos = assert_photos_held(db, server.instance)
            rejected = db.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
            assert rejected == 0, db.execute("SELECT error FROM dead_letters LIMIT 3").fetchall()
            visits = db.execute("SELECT count(*) FROM visits").fetchone()[0]
        finally:
            db.close()
        supervisor = HttpApi(server.url, "sara", "crash-console")
        for username, device in phones.items():
            assert_converged(device, HttpApi(server.url, username, device.device_id), supervisor)
            device.close()
        report = {"seed": SEED, "rounds": len(kills), "devices": DEVICES, **counts, "edits": edits,
                  "visits": visits, "photos": photos,
                  "interrupted_syncs": sum(len(w.failures) for w in work),
                  "completed_syncs": sum(w.syncs for w in work)}
        print("crash test:", json.dumps(report))
        assert counts["acked"] > ROUNDS  # the devices really worked between the kills
    finally:
        server.stop()


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"results\": [",
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 12\r\n\r\n"
    + gzip.compress(b'{"results": []}')[:12],
])
def test_an_answer_cut_short_is_a_lost_answer_not_a_crash(answer):
    """Found by the crash test: a server killed mid-body made the reference client raise
    IncompleteRead out of sync() instead of TransportError (which means: send it again)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve_once():
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(answer)
        connection.close()

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()
    transport = HttpTransport(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=5)
    with pytest.raises(TransportError):
        transport.request("POST", "/api/v1/sync/push", body={"mutations": []}, token="t")
    thread.join(5)
    listener.close()
