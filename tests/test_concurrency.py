"""Many devices editing the same units at the same moment, against the real server.

Each round, every device edits a random subset of the fields of a few shared units, all
from the same base (they pulled just before), with distinct observation times, and all push
at once (a barrier releases them together) while other devices push batches of visits and
pull. Afterwards, for every unit and field:

* no field is lost: the value standing is the one observed last (the protocol's rule for
  concurrent edits), whatever order the pushes arrived in;
* every same-field collision is recorded: k devices editing one field from the same base
  leave exactly k - 1 conflicts (the first edit applies, each later one collides);
* no request failed: no 5xx, no ``database is locked`` — the write path queues writers.

``FIELDSYNC_CONCURRENCY_DEVICES`` / ``FIELDSYNC_CONCURRENCY_ROUNDS`` make it bigger.
"""

import os
import random
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from sync.client import Device, HttpTransport
from sync.sample_visits import TEMPLATE_REF, diagnosis_answers, sample_obstacles
from sync.store import connect
from tests.helpers import (
    PASSWORD,
    HttpApi,
    ServerProcess,
    assert_converged,
    assert_store_consistent,
    create_users,
    server_database,
)

pytestmark = pytest.mark.slow
TEHRAN = 8
EDITORS = int(os.environ.get("FIELDSYNC_CONCURRENCY_DEVICES", "12"))
ROUNDS = int(os.environ.get("FIELDSYNC_CONCURRENCY_ROUNDS", "4"))
BULK_PUSHERS = 3  # devices pushing 100-visit batches meanwhile, to hold the write lock longer
UNITS = 3
SEED = int(os.environ.get("FIELDSYNC_CONCURRENCY_SEED", str(random.randrange(1 << 30))))
FIELDS = ("employees", "phone", "owner", "address", "activity")


def field_value(field: str, device: int, round_: int):
    """A value no other device uses in this round (equal values would not collide)."""
    if field == "employees":
        return round_ * 1000 + device
    return f"{field} {device}/{round_}"


def in_thread(path: str, url: str, action, failures: list, start: threading.Barrier | None = None):
    """Run ``action(device)`` on the device stored at ``path`` in a thread of its own (a
    device's SQLite connection belongs to one thread); any exception is kept in ``failures``."""

    def run():
        device = Device(path, HttpTransport(url, timeout=120))
        try:
            if start:
                start.wait(timeout=60)
            action(device)
        except BaseException as error:
            failures.append((path, repr(error)))
        finally:
            device.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_concurrent_edits_lose_no_field_and_record_every_collision(tmp_path):
    rng = random.Random(SEED)
    server = ServerProcess(tmp_path / "instance", workers=2, threads=8).start()
    try:
        database = server_database(server)
        editors = [f"eng{i}" for i in range(EDITORS)]
        bulk = [f"bulk{i}" for i in range(BULK_PUSHERS)]
        create_users(database, [(n, "engineer", [TEHRAN]) for n in editors + bulk]
                     + [("sara", "supervisor", [TEHRAN])])
        paths = {n: str(tmp_path / f"{n}.sqlite") for n in editors + bulk}
        failures: list = []

        def log_in(name):
            return lambda device: device.login(name, PASSWORD)

        for thread in [in_thread(paths[n], server.url, log_in(n), failures) for n in paths]:
            thread.join()
        first = Device(paths[editors[0]], HttpTransport(server.url))
        unit_ids = [first.create_unit({"name": f"واحد مشترک {i}", "province_id": TEHRAN, "employees": 1})
                    for i in range(UNITS)]
        first.sync()
        first.close()

        expected_conflicts: Counter = Counter()
        start = datetime.now(UTC) - timedelta(days=1)
        for round_ in range(1, ROUNDS + 1):
            for thread in [in_thread(paths[n], server.url, lambda d: d.pull(), failures) for n in editors]:
                thread.join()
            # Who edits what, observed when: distinct times, pushed in an unrelated order.
            ranks = rng.sample(range(len(editors)), len(editors))
            plan = {}
            for index, name in enumerate(editors):
                observed = start + timedelta(hours=round_, seconds=ranks[index])
                edits = {unit: {f: field_value(f, index, round_) for f in rng.sample(FIELDS, rng.randint(1, 3))}
                         for unit in rng.sample(unit_ids, rng.randint(1, UNITS))}
                plan[name] = (observed, edits)

            def edit(name, plan=plan):
                observed, edits = plan[name]

                def action(device):
                    device.clock = lambda: observed
                    for unit_id, fields in edits.items():
                        device.update_unit(unit_id, fields)
                    device.push()

                return action

            def bulk_push(name):
                def action(device):
                    units = list(device.units()) or unit_ids
                    for _ in range(100):
                        device.record_visit(rng.choice(units), diagnosis_answers(random.Random()),
                                            sample_obstacles(random.Random(), 3), template=TEMPLATE_REF,
                                            visit_id=str(uuid.uuid4()))
                    device.sync()

                return action

            barrier = threading.Barrier(len(editors) + len(bulk))
            threads = [in_thread(paths[n], server.url, edit(n), failures, barrier) for n in editors]
            threads += [in_thread(paths[n], server.url, bulk_push(n), failures, barrier) for n in bulk]
            for thread in threads:
                thread.join()
            assert failures == [], failures

            # The value observed last stands; every later arrival on a field collided once.
            supervisor = HttpApi(server.url, "sara", "concurrency-console")
            for unit_id in unit_ids:
                status, unit = supervisor.get(f"/api/v1/units/{unit_id}")
                assert status == 200, unit
                for field in FIELDS:
                    writers = [(plan[n][0], plan[n][1][unit_id][field]) for n in editors
                               if field in plan[n][1].get(unit_id, {})]
                    if writers:
                        assert unit[field] == max(writers, key=lambda w: w[0])[1], (round_, unit_id, field)
                        expected_conflicts[(unit_id, field)] += len(writers) - 1

        db = connect(database)
        try:
            recorded = Counter(db.execute("SELECT unit_id, field FROM conflicts").fetchall())
            assert {k: v for k, v in recorded.items()} == {k: v for k, v in expected_conflicts.items() if v}
            assert_store_consistent(db)
        finally:
            db.close()
        log = server.log.read_text(errors="replace")
        assert "database is locked" not in log and "Traceback" not in log
        for name in editors[:3]:
            device = Device(paths[name], HttpTransport(server.url))
            device.sync()
            assert_converged(device, HttpApi(server.url, name, device.device_id), supervisor)
            device.close()
        print("concurrency test:", {"seed": SEED, "rounds": ROUNDS, "editors": len(editors),
                                    "conflicts": sum(recorded.values())})
    finally:
        server.stop()
