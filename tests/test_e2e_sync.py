"""End to end on a real server process: two offline devices register the same factory."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from sync.client import Device, HttpTransport, TransportError
from sync.clock import FakeClock
from sync.sample_visits import TEMPLATE_REF, diagnosis_answers, sample_obstacles
from tests.helpers import PASSWORD, HttpApi, LoseResponses, Offline, ServerProcess, assert_converged, legal_id

pytestmark = pytest.mark.slow
TEHRAN = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("e2e") / "instance"
    process = ServerProcess(instance).start()
    for username, role in (("reza", "engineer"), ("ali", "engineer"), ("sara", "supervisor")):
        subprocess.run([sys.executable, "-m", "server", "users", "create", username, "--role", role,
                        "--province", str(TEHRAN), "--password", PASSWORD], env=process.env, check=True,
                       capture_output=True)
    yield process
    process.stop()


def make_device(server, tmp_path, username, clock):
    device = Device(str(tmp_path / f"{username}.sqlite"), HttpTransport(server.url), clock=clock)
    device.login(username, PASSWORD)
    return device


@pytest.mark.parametrize("first", ["reza", "ali"])
def test_two_offline_devices_converge_on_one_unit(server, tmp_path, first):
    nid = legal_id("14105678" + ("90" if first == "reza" else "91"))
    start = datetime.now(UTC) - timedelta(hours=2)
    clocks = {"reza": FakeClock(start), "ali": FakeClock(start)}
    devices = {name: make_device(server, tmp_path, name, clocks[name]) for name in ("reza", "ali")}
    online = {name: device.transport for name, device in devices.items()}
    for device in devices.values():
        device.pull()
        device.transport = Offline()

    # In the park, no network: both register the same factory, spelled differently.
    reza, ali = devices["reza"], devices["ali"]
    u_reza = reza.create_unit({"name": "شرکت صنایع بسته‌بندی البرز", "province_id": TEHRAN, "national_id": nid,
                               "status": "semi_active"})
    u_ali = ali.create_unit({"name": "صنايع بسته بندي البرز (سهامی خاص)", "province_id": TEHRAN,
                             "national_id": nid.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))})
    v_reza = reza.record_visit(u_reza, diagnosis_answers(unit_status="semi_active"), sample_obstacles(),
                               template=TEMPLATE_REF)
    v_ali = ali.record_visit(u_ali, diagnosis_answers(unit_status="stalled"), template=TEMPLATE_REF)
    clocks["reza"].advance(minutes=10)
    reza.update_unit(u_reza, {"employees": 10, "status": "stalled"})    # same field (employees) and another
    clocks["ali"].advance(minutes=20)
    ali.update_unit(u_ali, {"employees": 14, "phone": "۰۲۱-۴۴۵۵۶۶۷۷"})  # later observation of employees
    with pytest.raises(TransportError):
        reza.sync()

    # Back on the network, in either order, with a lost response and retries in between.
    order = [first, "ali" if first == "reza" else "reza"]
    devices[order[0]].transport = online[order[0]]
    devices[order[0]].sync()
    devices[order[1]].transport = LoseResponses(online[order[1]])
    with pytest.raises(TransportError):
        devices[order[1]].sync()
    assert devices[order[1]].outbox_size() > 0  # not acknowledged, so still queued
    devices[order[1]].transport = online[order[1]]
    second = devices[order[1]].sync()
    assert "duplicate" in second["statuses"]
    for name in order:  # a last round lets the first device learn of the merge
        devices[name].sync()

    supervisor = HttpApi(server.url, "sara", "console-e2e")
    status, page = supervisor.get("/api/v1/units", params={"q": "البرز", "limit": 100})
    live = [u for u in page["items"] if u["national_id_valid"] and u["name"] and nid in
            u["national_id"].translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))]
    assert len(live) == 1, page
    survivor = live[0]
    assert survivor["id"] == (u_reza if first == "reza" else u_ali)
    assert (survivor["employees"], survivor["status"], survivor["phone"]) == (14, "stalled", "۰۲۱-۴۴۵۵۶۶۷۷")
    for visit_id in (v_reza, v_ali):
        status, visit = supervisor.get(f"/api/v1/visits/{visit_id}")
        assert status == 200 and visit["unit_id"] == survivor["id"], (visit, reza.rejected(), ali.rejected())
    status, conflicts = supervisor.get("/api/v1/conflicts", params={"unit_id": survivor["id"]})
    assert [(c["field"], c["kept_value"], c["other_value"]) for c in conflicts["items"]] == [("employees", 14, 10)]
    for name, device in devices.items():
        assert_converged(device, HttpApi(server.url, name, device.device_id), supervisor)
        assert device.redirects().get(u_ali if first == "reza" else u_reza) == survivor["id"]


def test_same_factory_without_legal_id_becomes_one_unit_on_both_devices(server, tmp_path):
    start = datetime.now(UTC) - timedelta(hours=1)
    clock = FakeClock(start)
    reza = make_device(server, tmp_path, "reza", clock)
    ali = make_device(server, tmp_path, "ali", clock)
    online = reza.transport
    reza.transport = ali.transport = Offline()
    # Spelled differently (Arabic letters, ZWNJ vs space, legal form), park abbreviated, phone
    # in another format: no legal id on either record.
    mine = reza.create_unit({"name": "شرکت تولیدی لوله و اتصالات پارس‌پلیمر", "province_id": TEHRAN,
                             "park_id": 108002, "phone": "021-56231478"})
    theirs = ali.create_unit({"name": "توليدي لوله و اتصالات پارس پليمر (سهامي خاص)", "province_id": TEHRAN,
                              "park_id": 108002, "phone": "+98 21 5623 1478"})
    reza.record_visit(mine, diagnosis_answers(unit_status="stalled"), template=TEMPLATE_REF)
    visit = ali.record_visit(theirs, diagnosis_answers(unit_status="stalled"), template=TEMPLATE_REF)
    reza.transport = ali.transport = online
    reza.sync()
    result = ali.sync()
    assert "redirected" in result["statuses"]
    reza.sync()
    assert mine in reza.units() and mine in ali.units()
    assert theirs not in reza.units() and theirs not in ali.units()
    assert ali.redirects()[theirs] == mine
    assert ali.visits()[visit]["unit_id"] == mine
    supervisor = HttpApi(server.url, "sara", "console-dedup")
    status, merged = supervisor.get("/api/v1/duplicates", params={"status": "merged"})
    assert any({p["unit_a"], p["unit_b"]} == {mine, theirs} for p in merged["items"])
