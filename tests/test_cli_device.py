"""`fieldsync device …` scripts a phone from the shell against a real server."""

import json
import subprocess
import sys

import pytest

from sync.sample_visits import diagnosis_answers
from tests.helpers import PASSWORD, ServerProcess, legal_id

pytestmark = pytest.mark.slow


def fieldsync(*args, env, check=True):
    result = subprocess.run([sys.executable, "-m", "server", *args], env=env, capture_output=True, text=True)
    if check:
        assert result.returncode == 0, result.stderr + result.stdout
    return result


def test_a_scripted_device_registers_records_offline_and_syncs(tmp_path):
    server = ServerProcess(tmp_path / "instance").start()
    try:
        env = server.env
        fieldsync("users", "create", "reza", "--role", "engineer", "--province", "8", "--password", PASSWORD,
                  env=env)
        state = str(tmp_path / "phone.sqlite")
        nid = legal_id("1410567890")  # digits only: must reach the server as text, not a number
        out = fieldsync("device", "--state", state, "register", server.url, "reza", "--password", PASSWORD,
                        "--label", "test phone", env=env).stdout
        assert "registered to reza (engineer), provinces [8]" in out
        unit_id = fieldsync("device", "--state", state, "create-unit", "--name", "صنایع غذایی مهر",
                            "--province", "8", "--field", "employees=12", "--field", "phone=021-44556677",
                            "--field", f"national_id={nid}", "--field", "license_no=4417",
                            env=env).stdout.strip()
        answers = tmp_path / "answers.json"
        answers.write_text(json.dumps(diagnosis_answers(unit_status="stalled"), ensure_ascii=False), "utf-8")
        visit_id = fieldsync("device", "--state", state, "record-visit", unit_id, "--answers-file", str(answers),
                             "--answer", "employees_now=3", "--obstacle", json.dumps(
                                 {"area": "finance", "group": "finance.working_capital", "severity": "high",
                                  "description": "کمبود نقدینگی"}, ensure_ascii=False), env=env).stdout.strip()
        fieldsync("device", "--state", state, "update-unit", unit_id, "--field", "status=stalled", env=env)
        out = fieldsync("device", "--state", state, "sync", env=env).stdout
        assert "Pushed 3 mutation(s) (applied)" in out
        shown = json.loads(fieldsync("device", "--state", state, "show", "--json", env=env).stdout)
        assert shown["outbox"] == 0 and shown["rejected"] == []
        assert shown["units"][unit_id]["status"] == "stalled" and shown["units"][unit_id]["employees"] == 12
        assert (shown["units"][unit_id]["national_id"], shown["units"][unit_id]["license_no"]) == (nid, "4417")
        assert shown["visits"][visit_id]["review_state"] == "submitted"
        # A device with no server configured says so instead of failing obscurely.
        result = fieldsync("device", "--state", str(tmp_path / "new.sqlite"), "sync", env=env, check=False)
        assert result.returncode == 1 and "Register the device first" in result.stderr
    finally:
        server.stop()
