"""Property: whatever the interleaving of pushes, retries, lost answers, duplicate deliveries
and pulls from several devices, nothing acknowledged is lost, nothing is applied twice, and
every device converges to the server's state."""

import shutil
import tempfile

import jwt
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from server import create_app
from server.commands.serve import prepare_store
from sync import users
from sync.client import Device, TransportError
from sync.clock import FakeClock
from sync.sample_visits import TEMPLATE_REF, diagnosis_answers
from sync.store import connect, write
from tests.conftest import Api
from tests.helpers import FAST_HASHING, PASSWORD, SECRET, FlaskTransport, LoseResponses, assert_converged, legal_id

TEHRAN = 8
ENGINEERS = ("reza", "ali", "mina")
LEGAL_IDS = [None, legal_id("1032045678"), legal_id("1086099999")]
NAMES = ["شرکت صنایع غذایی مهر", "صنايع غذايي مهر", "کارخانه آجر البرز", "تولیدی پوشاک آریا"]


class Recorder:
    """Transport wrapper keeping the last push body, so it can be delivered again."""

    def __init__(self, inner):
        self.inner, self.last_push = inner, None

    def request(self, method, path, **kwargs):
        if path == "/api/v1/sync/push":
            self.last_push = (kwargs.get("body"), kwargs.get("token"))
        return self.inner.request(method, path, **kwargs)


class SyncMachine(RuleBasedStateMachine):
    @initialize()
    def start(self):
        self.folder = tempfile.mkdtemp(prefix="fieldsync-prop-")
        self.clock = FakeClock("2026-03-01T06:00:00+00:00")
        self.app = create_app({"INSTANCE_PATH": self.folder, "CLOCK": self.clock, "SECRET_KEY": SECRET,
                               **FAST_HASHING})
        with self.app.app_context():
            prepare_store()
        self.db = connect(self.app.config["DATABASE"])
        with write(self.db, self.clock()) as tx:
            for name in ENGINEERS:
                users.create_user(tx, name, PASSWORD, "engineer", [TEHRAN])
            users.create_user(tx, "sara", PASSWORD, "supervisor", [TEHRAN])
        self.client = self.app.test_client()
        self.transport = Recorder(FlaskTransport(self.client))
        self.devices = []
        for name in ENGINEERS:
            device = Device(f"{self.folder}/{name}.sqlite", self.transport, clock=self.clock)
            device.login(name, PASSWORD)
            self.devices.append(device)
        self.created = [[] for _ in ENGINEERS]
        response = self.client.post("/api/v1/auth/login", json={
            "username": "sara", "password": PASSWORD, "device_id": "console"})
        self.supervisor = Api(self.client, response.get_json()["access_token"], None, "console")

    def teardown(self):
        try:
            if hasattr(self, "devices"):
                self.settle_and_check()
        finally:
            for device in getattr(self, "devices", []):
                device.close()
            if hasattr(self, "db"):
                self.db.close()
            shutil.rmtree(getattr(self, "folder", ""), ignore_errors=True)

    def settle_and_check(self):
        self.clock.advance(minutes=1)
        self.relogin()
        for _ in range(2):  # the second round lets early devices learn of later merges
            for device in self.devices:
                device.transport = self.transport
                device.sync()
        for name, device in zip(ENGINEERS, self.devices, strict=True):
            response = self.client.post("/api/v1/auth/login", json={
                "username": name, "password": PASSWORD, "device_id": device.device_id})
            engineer = Api(self.client, response.get_json()["access_token"], None, device.device_id)
            assert_converged(device, engineer, self.supervisor)

    def relogin(self):
        response = self.client.post("/api/v1/auth/login", json={
            "username": "sara", "password": PASSWORD, "device_id": "console"})
        self.supervisor.token = response.get_json()["access_token"]

    def known_units(self, d):
        return sorted(set(self.devices[d].units()) | set(self.created[d]))

    @rule(d=st.integers(0, 2), name=st.sampled_from(NAMES), nid=st.sampled_from(LEGAL_IDS),
          employees=st.integers(0, 40))
    def create_unit(self, d, name, nid, employees):
        fields = {"name": name, "province_id": TEHRAN, "employees": employees}
        if nid:
            fields["national_id"] = nid
        self.created[d].append(self.devices[d].create_unit(fields))

    @rule(d=st.integers(0, 2), pick=st.integers(0, 50),
          change=st.one_of(st.fixed_dictionaries({"employees": st.integers(0, 60)}),
                           st.fixed_dictionaries({"status": st.sampled_from(["active", "stalled", "closed"])}),
                           st.fixed_dictionaries({"phone": st.sampled_from(["021-1", "0912-2", None])})))
    def update_unit(self, d, pick, change):
        units = self.known_units(d)
        if units:
            self.devices[d].update_unit(units[pick % len(units)], change)

    @rule(d=st.integers(0, 2), pick=st.integers(0, 50), status=st.sampled_from(["active", "stalled"]))
    def record_visit(self, d, pick, status):
        units = self.known_units(d)
        if units:
            self.devices[d].record_visit(units[pick % len(units)], diagnosis_answers(unit_status=status),
                                         template=TEMPLATE_REF)

    @rule(d=st.integers(0, 2), lose=st.booleans())
    def push(self, d, lose):
        device = self.devices[d]
        device.transport = LoseResponses(self.transport) if lose else self.transport
        try:
            device.push()
        except TransportError:
            assert lose
        finally:
            device.transport = self.transport

    @rule()
    def deliver_last_push_again(self):
        if not self.transport.last_push:
            return
        body, token = self.transport.last_push
        device_id = jwt.decode(token, options={"verify_signature": False})["dev"]
        device = next(dv for dv in self.devices if dv.device_id == device_id)
        status, answer = self.transport.inner.request("POST", "/api/v1/sync/push", body=body, token=token)
        if status == 200 and all(self.ledger_has(device, m["mutation_id"]) for m in body["mutations"]):
            assert {r["status"] for r in answer["results"]} == {"duplicate"}

    def ledger_has(self, device, mutation_id):
        return self.db.execute("SELECT 1 FROM mutations WHERE device_id = ? AND mutation_id = ?",
                               [device.device_id, mutation_id]).fetchone() is not None

    @rule(d=st.integers(0, 2))
    def pull(self, d):
        self.devices[d].pull(limit=7)

    @rule(a=st.integers(0, 50), b=st.integers(0, 50))
    def supervisor_merges(self, a, b):
        live = [r[0] for r in self.db.execute("SELECT id FROM units WHERE merged_into IS NULL ORDER BY id")]
        if len(live) >= 2 and live[a % len(live)] != live[b % len(live)]:
            status, _ = self.supervisor.post("/api/v1/merges", {"winner_id": live[a % len(live)],
                                                                "loser_id": live[b % len(live)]})
            assert status == 200

    @rule(minutes=st.integers(1, 20))
    def time_passes(self, minutes):
        self.clock.advance(minutes=minutes)
        self.relogin()
        for device in self.devices:
            device.refresh()

    @invariant()
    def change_sequence_is_gap_free(self):
        if hasattr(self, "db"):
            count, high = self.db.execute("SELECT count(*), coalesce(max(seq), 0) FROM change_log").fetchone()
            assert count == high

    @invariant()
    def acknowledged_mutations_are_stored_exactly_once(self):
        for device in getattr(self, "devices", []):
            stored = dict(self.db.execute("SELECT mutation_id, status FROM mutations WHERE device_id = ?",
                                          [device.device_id]).fetchall())
            for mutation_id, result in device.acked().items():
                assert stored.get(mutation_id) == result.get("first_status", result["status"])
                if result.get("visit_id") and result.get("first_status", result["status"]) != "rejected":
                    assert self.db.execute("SELECT count(*) FROM visits WHERE id = ?",
                                           [result["visit_id"]]).fetchone()[0] == 1
        if hasattr(self, "db"):
            visits = self.db.execute("SELECT count(*) FROM visits").fetchone()[0]
            accepted = self.db.execute("SELECT count(*) FROM mutations WHERE type = 'create_visit'"
                                       " AND status != 'rejected'").fetchone()[0]
            assert visits == accepted


SyncMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
test_sync_converges_exactly_once = SyncMachine.TestCase
