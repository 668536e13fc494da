"""Fixtures: an app on a fresh SQLite file with a fake clock, clients, CLI runner, users."""

import pytest

from server import create_app
from server.cli import main as cli_main
from sync import checklists, reference, users
from sync.client import Device
from sync.clock import FakeClock
from sync.store import connect, write
from tests.helpers import FAST_HASHING, PASSWORD, SECRET, FlaskTransport

# Province ids of the shipped reference data used across the tests.
TEHRAN, ISFAHAN, FARS = 8, 4, 17


@pytest.fixture
def clock():
    return FakeClock("2026-03-01T06:30:00+00:00")


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


@pytest.fixture
def app_overrides():
    """Settings a test module adds to the app (override this fixture in the module)."""
    return {}


@pytest.fixture(scope="session")
def moto_server():
    """moto's S3 API as a process on 127.0.0.1, for the whole session (tests/s3.py)."""
    from tests.s3 import MotoServer

    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def s3_attachments(moto_server):
    """Settings that keep the app's photos in a fresh bucket of the moto server."""
    return {**moto_server.settings(), "ATTACHMENTS_S3_BUCKET": moto_server.new_bucket()}


@pytest.fixture
def app(instance, clock, app_overrides):
    app = create_app({"INSTANCE_PATH": str(instance), "CLOCK": clock, "SECRET_KEY": SECRET, "TESTING": True,
                      **FAST_HASHING, **app_overrides})
    db = connect(app.config["DATABASE"])
    with write(db, clock()) as tx:
        reference.load_reference(tx, reference.shipped_reference())
        checklists.load_defaults(tx)  # the diagnosis template and the taxonomy, as on a fresh server
    db.close()
    return app


@pytest.fixture
def db(app):
    """A direct connection to the app's store, for assertions on what was written."""
    connection = connect(app.config["DATABASE"])
    yield connection
    connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """Invoke the ``fieldsync`` CLI against the test app: ``runner.invoke(args=[...])``."""
    cli_runner = app.test_cli_runner()

    class Runner:
        def invoke(self, args, **kwargs):
            return cli_runner.invoke(cli_main, args, **kwargs)

    return Runner()


@pytest.fixture
def make_user(app, db, clock):
    def make(username, role="engineer", provinces=(TEHRAN,), password=PASSWORD):
        with write(db, clock()) as tx:
            return users.create_user(tx, username, password, role, list(provinces))

    return make


class Api:
    """A logged-in API caller: ``api.get(path)`` → (status, json)."""

    def __init__(self, client, token, user, device_id):
        self.client, self.token, self.user, self.device_id = client, token, user, device_id

    def call(self, method, path, body=None, params=None, headers=None):
        response = self.client.open(path, method=method, json=body, query_string=params,
                                    headers={"Authorization": f"Bearer {self.token}", **(headers or {})})
        return response.status_code, response.get_json(silent=True)

    def relogin(self):
        """Log in again from the same device (after the fake clock outran the tokens)."""
        response = self.client.post("/api/v1/auth/login", json={
            "username": self.user["username"], "password": PASSWORD, "device_id": self.device_id})
        assert response.status_code == 200, response.get_json()
        self.token = response.get_json()["access_token"]
        return self

    def get(self, path, params=None):
        return self.call("GET", path, params=params)

    def post(self, path, body=None):
        return self.call("POST", path, body=body)

    def patch(self, path, body=None):
        return self.call("PATCH", path, body=body)


@pytest.fixture
def login(client, make_user):
    """``login("sara", role="supervisor", provinces=[8])`` creates the user and logs in from a device."""

    def do_login(username, role="engineer", provinces=(TEHRAN,), device_id=None):
        make_user(username, role, provinces)
        device_id = device_id or f"device-{username}"
        response = client.post("/api/v1/auth/login", json={
            "username": username, "password": PASSWORD, "device_id": device_id})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        api = Api(client, body["access_token"], body["user"], device_id)
        api.tokens = body
        return api

    return do_login


@pytest.fixture
def engineer(login):
    return login("reza", "engineer", [TEHRAN])


@pytest.fixture
def supervisor(login):
    return login("sara", "supervisor", [TEHRAN])


@pytest.fixture
def admin(login):
    return login("root", "admin", [])


@pytest.fixture
def phone(tmp_path, client, make_user):
    """``phone("reza")``: a device (reference client) of a new engineer, logged in, in-process."""

    def make_phone(username, provinces=(TEHRAN,), role="engineer"):
        make_user(username, role, provinces)
        device = Device(str(tmp_path / f"{username}.sqlite"), FlaskTransport(client))
        device.login(username, PASSWORD)
        return device

    return make_phone
