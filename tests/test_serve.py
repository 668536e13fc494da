"""`fieldsync serve` as a service manager runs it: gunicorn on 127.0.0.1, kept to its instance."""

import json
import urllib.request

import pytest

from sync.client import HttpTransport
from sync.store import connect
from tests.helpers import HttpApi, ServerProcess, create_users, server_database

pytestmark = pytest.mark.slow


def test_two_instances_serve_side_by_side_and_write_nothing_outside_them(tmp_path):
    home = tmp_path / "home"  # a service user's home: nothing of ours belongs there
    home.mkdir()
    servers = [ServerProcess(tmp_path / name / "instance", workers=1, threads=2, extra_env={"HOME": str(home)})
               for name in ("north", "south")]
    try:
        for server in servers:
            server.start()
        for server in servers:
            with urllib.request.urlopen(server.url + "/api/v1/health", timeout=5) as response:
                assert response.status == 200 and json.loads(response.read())
    finally:
        for server in servers:
            server.stop()
    assert list(home.iterdir()) == []
    for server in servers:
        assert "Traceback" not in server.log.read_text()


def test_a_worker_answers_each_request_in_its_own_context(tmp_path):
    """A one-thread worker (gunicorn's sync worker) serves request after request: what one
    request knew (who was calling, its store connection) must not carry over to the next.
    Forked inside the command's app context, every request of a worker used to share one
    ``g``: a failed login was audited under the user of the request before it."""
    server = ServerProcess(tmp_path / "instance", workers=1, threads=1)
    server.start()
    try:
        create_users(server_database(server), [("eng", "engineer", [8])])
        api = HttpApi(server.url, "eng", "phone-1")
        status, _ = api.get("/api/v1/sync/pull")
        assert status == 200
        status, body = HttpTransport(server.url).request("POST", "/api/v1/auth/login", body={
            "username": "nobody", "password": "wrong password", "device_id": "phone-2"})
        assert status == 401, body
    finally:
        server.stop()
    db = connect(server_database(server))
    try:
        rows = db.execute("SELECT user_id, device_id FROM audit_log WHERE action = 'auth.login_failed'").fetchall()
    finally:
        db.close()
    assert rows == [(None, None)]
