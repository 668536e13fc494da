"""The durable watermark with a real Litestream (file replica, and S3 on moto for photos):
what devices are told is safe, what they keep, and what they send again after a restore
from the replica lost some of it. The fault test with a real server is test_replica_fault.py."""

import json

import pytest

from sync import replication
from sync.client import Device
from sync.sample_visits import TEMPLATE_REF as TEMPLATE
from sync.store import connect
from tests.conftest import TEHRAN
from tests.helpers import PASSWORD, FlaskTransport, diagnosis_answers


@pytest.fixture
def replica_url(tmp_path):
    return f"file://{tmp_path / 'replica'}"


@pytest.fixture
def app_overrides(replica_url):
    return {"REPLICA_URL": replica_url}


@pytest.fixture
def litestream(app, instance):
    """Litestream replicating the test app's store, as `fieldsync serve` runs it."""
    replicator = replication.start(instance, app.config["DATABASE"], app.config["REPLICA_URL"], replication.S3(), 0.1)
    yield replicator
    replicator.stop()


def watermark(runner, litestream):
    """One round of the watermark job, as `fieldsync serve` runs it every second."""
    return runner.invoke(["replica", "watch", "--socket", litestream.socket, "--once"])


def unit(n):
    return {"name": f"کارخانه آزمایشی {n}", "province_id": TEHRAN}


def push_answer(device):
    rows = device.conn.execute("SELECT body FROM outbox ORDER BY mutation_id").fetchall()
    status, answer = device.transport.request("POST", "/api/v1/sync/push", token=device._get("access_token"),
                                              body={"mutations": [json.loads(b) for (b,) in rows]})
    assert status == 200, answer
    return answer


def test_an_acknowledgement_is_durable_only_once_the_replica_holds_it(app, phone, runner, litestream, db,
                                                                      tmp_path):
    device = phone("reza")
    for n in range(3):
        device.create_unit(unit(n))
    answer = push_answer(device)
    store = db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]
    assert [r["status"] for r in answer["results"]] == ["applied"] * 3
    assert answer["durable"] == {"store_id": store, "mutation_id": 0}  # applied, not yet on the replica
    assert "1 behind" in runner.invoke(["replica", "status"]).output  # one push: one write number

    result = watermark(runner, litestream)
    assert result.exit_code == 0, result.output
    device.sync()  # the same mutations again: duplicates, and the pull says they are durable
    assert device.kept() == {}
    assert "0 behind" in runner.invoke(["replica", "status"]).output

    # The replica really holds them: what Litestream restores from it has the three units.
    copy = str(tmp_path / "check.db")
    replication.restore_copy(app.config["REPLICA_URL"], replication.S3(), app.config["DATABASE"], copy)
    restored = connect(copy)
    assert restored.execute("SELECT count(*) FROM units WHERE name LIKE 'کارخانه آزمایشی %'").fetchone()[0] == 3
    restored.close()


def test_a_device_keeps_what_the_replica_does_not_hold_yet(phone, runner, litestream):
    device = phone("reza")
    device.create_unit(unit(1))
    device.sync()  # pushed, pulled back — but not yet on the replica
    assert [m["type"] for m in device.kept().values()] == ["create_unit"]
    litestream.stop()
    held_back = watermark(runner, litestream)
    assert held_back.exit_code != 0 and "Durable watermark held back" in held_back.output
    device.sync()
    assert len(device.kept()) == 1  # the replica is gone: the phone keeps what it sent


def test_without_a_replica_a_commit_is_as_durable_as_it_gets(client, make_user, tmp_path, app):
    app.config["REPLICA_URL"] = None
    make_user("reza")
    device = Device(str(tmp_path / "reza.sqlite"), FlaskTransport(client))
    device.login("reza", PASSWORD)
    device.create_unit(unit(1))
    assert push_answer(device)["durable"]["mutation_id"] == 1


def test_a_photo_is_durable_in_a_bucket_once_its_holder_is_on_the_replica(app, phone, runner, litestream,
                                                                          s3_attachments, tmp_path):
    device = phone("reza")
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x01" * 50_000)
    sha = device.attach(str(path))
    device.record_visit(device.create_unit(unit(1)), diagnosis_answers(), template=TEMPLATE, attachments=[sha])

    app.config.update(s3_attachments)  # photos in a bucket: they outlive the machine
    device.sync()
    assert device.uploads()[sha] == {"path": str(path), "size": 50_004, "state": "done", "error": None,
                                     "durable": False}
    assert watermark(runner, litestream).exit_code == 0
    device.sync()
    assert device.uploads()[sha]["durable"] is True


def test_a_photo_on_this_disk_is_never_durable_while_the_store_is_replicated(phone, runner, litestream, tmp_path):
    device = phone("reza")
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x02" * 20_000)
    sha = device.attach(str(path))
    device.record_visit(device.create_unit(unit(1)), diagnosis_answers(), template=TEMPLATE, attachments=[sha])
    device.sync()
    assert watermark(runner, litestream).exit_code == 0
    device.sync()
    assert device.uploads()[sha]["state"] == "done" and device.uploads()[sha]["durable"] is False
    assert "photos are on this machine's disk only" in runner.invoke(["replica", "status"]).output


def test_what_a_restore_from_the_replica_lost_is_sent_again_and_applied_once(app, phone, runner, litestream, db):
    device = phone("reza")
    for n in range(3):
        device.create_unit(unit(n))
    device.sync()
    assert watermark(runner, litestream).exit_code == 0
    device.sync()
    assert device.kept() == {}  # 1–3 durable

    litestream.stop()  # the replica falls behind: what follows is acknowledged, never replicated
    lost = [device.create_unit(unit(n)) for n in (4, 5)]
    device.sync()
    assert sorted(device.kept()) == [4, 5]
    old_store = db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]
    db.close()

    # The machine is lost; the store comes back from the replica, without 4 and 5.
    result = runner.invoke(["restore", "--from-replica", "--yes"])
    assert result.exit_code == 0, result.output
    store = connect(app.config["DATABASE"])
    assert store.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0] != old_store
    assert store.execute("SELECT max(mutation_id) FROM mutations").fetchone()[0] == 3
    assert store.execute("SELECT count(*) FROM units WHERE id IN (?, ?)", lost).fetchone()[0] == 0

    # The phone records more before it learns of the restore: 6 reaches the new store first,
    # then the pull says store_replaced and 4, 5 go again — below 6, above the restore floor.
    newer = device.create_unit(unit(6))
    device.sync()
    device.sync()
    ledger = dict(store.execute("SELECT mutation_id, status FROM mutations").fetchall())
    assert ledger == {1: "applied", 2: "applied", 3: "applied", 4: "applied", 5: "applied", 6: "applied"}
    assert store.execute("SELECT count(*) FROM units WHERE id IN (?, ?, ?)", [*lost, newer]).fetchone()[0] == 3
    assert set(device.units()) >= {*lost, newer} and device.outbox_size() == 0
    assert {m: a["status"] for m, a in device.acked().items()} == {1: "applied", 2: "applied", 3: "applied",
                                                                   4: "applied", 5: "applied", 6: "applied"}
    store.close()


def test_below_the_restore_floor_an_unseen_id_is_still_refused(app, phone, runner, litestream, db):
    device = phone("reza")

    def push(*numbers):
        status, answer = device.transport.request("POST", "/api/v1/sync/push", token=device._get("access_token"),
                                                  body={"mutations": [{
                                                      "mutation_id": n, "type": "create_unit",
                                                      "unit_id": f"7f6c2a52-0c5f-4f43-9d4b-2f4cf6b0a00{n}",
                                                      "observed_at": "2026-03-01T06:00:00Z", "fields": unit(n)}
                                                      for n in numbers]})
        assert status == 200, answer
        return answer["results"]

    assert [r["status"] for r in push(1, 3)] == ["applied", "applied"]  # the device skipped 2
    assert watermark(runner, litestream).exit_code == 0
    db.close()
    litestream.stop()
    restored = runner.invoke(["restore", "--from-replica", "--yes"])
    assert restored.exit_code == 0, restored.output
    # 2 is at or below the restore floor (3): not something the restore lost, so the old rule
    # stands — an id lower than one already received, never seen, is refused.
    refused, applied = push(2, 5)
    assert refused["status"] == "rejected" and "mutation_id" in refused["error"]["details"]["fields"]
    assert applied["status"] == "applied"
    # 4 is above the floor and the ledger lacks it: a client that does not name its store (the
    # field app, an older one) sends what the restore lost after something newer — accepted.
    assert push(4)[0]["status"] == "applied"


def test_a_push_naming_the_old_store_is_refused_whole_until_the_device_pulls(app, phone, runner, litestream, db):
    device = phone("reza")
    device.create_unit(unit(1))
    device.sync()
    assert watermark(runner, litestream).exit_code == 0
    old = device._get("store_id")
    db.close()
    litestream.stop()
    assert runner.invoke(["restore", "--from-replica", "--yes"]).exit_code == 0
    device.create_unit(unit(2))
    status, answer = device.transport.request("POST", "/api/v1/sync/push", token=device._get("access_token"),
                                              body={"store_id": old, "mutations": [json.loads(b) for (b,) in
                                                    device.conn.execute("SELECT body FROM outbox")]})
    assert status == 409 and answer["error"]["code"] == "store_replaced"
    assert answer["error"]["details"]["store_id"] != old
    store = connect(app.config["DATABASE"])
    assert store.execute("SELECT max(mutation_id) FROM mutations").fetchone()[0] == 1  # nothing written
    device.sync()  # the client pulls (store_replaced), then pushes
    assert store.execute("SELECT max(mutation_id) FROM mutations").fetchone()[0] == 2
    assert device._get("store_id") == answer["error"]["details"]["store_id"]
    store.close()


def lose_last_writes(app, runner, litestream, db):
    """The replica stops here; what follows is acknowledged and never replicated. Returns
    a function that loses the machine: the store comes back from the replica."""
    replication.sync_now(litestream.socket, app.config["DATABASE"], replication.S3())  # the users, the devices
    litestream.stop()

    def lose():
        db.close()
        result = runner.invoke(["restore", "--from-replica", "--yes"])
        assert result.exit_code == 0, result.output

    return lose


def test_an_edit_of_a_unit_another_device_must_send_again_waits_for_it(app, phone, runner, litestream, db, clock):
    ali, reza = phone("ali"), phone("reza")
    lose = lose_last_writes(app, runner, litestream, db)
    factory = ali.create_unit(unit("علی"))
    ali.sync()
    reza.sync()  # reza sees ali's unit and works on it
    reza.update_unit(factory, {"employees": 14})
    reza.record_visit(factory, diagnosis_answers(), template=TEMPLATE)
    reza.sync()
    assert len(reza.kept()) == 2
    lose()  # the unit, the edit and the visit are gone from the store

    # reza comes back first: his edit and visit name a unit the store lacks. They wait in his
    # outbox rather than being refused.
    reza.sync()
    status, answer = reza.transport.request("POST", "/api/v1/sync/push", token=reza._get("access_token"), body={
        "store_id": reza._get("store_id"),
        "mutations": [json.loads(b) for (b,) in reza.conn.execute("SELECT body FROM outbox ORDER BY mutation_id")]})
    assert status == 200 and [r["status"] for r in answer["results"]] == ["deferred", "deferred"]
    assert answer["results"][0]["error"]["code"] == "not_found"
    store = connect(app.config["DATABASE"])
    assert store.execute("SELECT count(*) FROM mutations WHERE device_id = ?", [reza.device_id]).fetchone()[0] == 0
    assert store.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 0
    assert reza.outbox_size() == 2 and reza.rejected() == []

    ali.sync()  # ali sends the unit again
    reza.sync()  # now reza's edit and visit apply
    assert reza.outbox_size() == 0 and reza.rejected() == []
    assert store.execute("SELECT employees FROM units WHERE id = ?", [factory]).fetchone()[0] == 14
    assert store.execute("SELECT count(*) FROM visits WHERE unit_id = ?", [factory]).fetchone()[0] == 1
    store.close()


def test_a_mutation_waits_for_a_lost_unit_for_two_weeks_at_most(app, phone, runner, litestream, db, clock):
    ali, reza = phone("ali"), phone("reza")
    lose = lose_last_writes(app, runner, litestream, db)
    factory = ali.create_unit(unit("علی"))
    ali.sync()
    reza.sync()
    reza.update_unit(factory, {"employees": 14})
    reza.sync()
    lose()
    ali.close()  # ali's phone is lost too: the unit never comes back
    reza.sync()
    assert reza.outbox_size() == 1
    clock.advance(days=15)
    reza.sync()
    [refused] = reza.rejected()
    assert refused["error"]["code"] == "not_found" and reza.outbox_size() == 0
