"""Test helpers: talking to the app in-process, and to a real server process."""

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sync.client import TransportError

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

    def __init__(self, instance: Path, workers: int = 2, threads: int = 4, extra_env=None):
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
                                        start_new_session=True)
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
        assert {k: local_units[unit_id].get(k) for k in unit} == unit, unit_id
    server_visits = {v["id"]: (v["unit_id"], v["review_state"], v["version"])
                     for v in all_pages(engineer_api, "/api/v1/visits")}
    local_visits = {v["id"]: (v["unit_id"], v["review_state"], v["version"]) for v in device.visits().values()}
    assert local_visits == server_visits, device.rejected()
    assert device.outbox_size() == 0
