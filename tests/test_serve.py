"""`fieldsync serve` as a service manager runs it: gunicorn on 127.0.0.1, kept to its instance."""

import json
import urllib.request

import pytest

from tests.helpers import ServerProcess

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
