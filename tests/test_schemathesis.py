"""schemathesis against the served OpenAPI spec, on the real server, as every role.

For each role (engineer, supervisor, admin) and every operation of ``/api/openapi.json``,
schemathesis generates requests — valid ones (positive) and ones that break the spec
(negative) — with random path parameters and, half the time, ids of records that exist
(so that the fuzzer gets past the 404s and real records are checked against their
response schemas). Every response must:

* not be a 5xx (``not_a_server_error``);
* match its documented schema, the error envelope included (``response_schema_conformance``);
* carry a documented content type (``content_type_conformance``).

All failures are collected and reported together. CI runs EXAMPLES per operation, mode and
role (a few thousand requests); ``FIELDSYNC_SCHEMATHESIS_EXAMPLES=200`` for the long run in
docs/reliability.md. The accounts the test logs in with are kept out of the fuzzer's reach
(it may create, change and revoke any other).
"""

import json
import os
import random

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from sync.client import Device, HttpTransport
from sync.sample_visits import TEMPLATE_REF, diagnosis_answers, sample_obstacles
from tests.helpers import (
    PASSWORD,
    HttpApi,
    ServerProcess,
    collect_key,
    create_users,
    fake_photo,
    server_database,
)

pytestmark = pytest.mark.slow
TEHRAN = 8
EXAMPLES = int(os.environ.get("FIELDSYNC_SCHEMATHESIS_EXAMPLES", "6"))
SEED = int(os.environ.get("FIELDSYNC_SCHEMATHESIS_SEED", str(random.randrange(1 << 30))))
ROLES = ("engineer", "supervisor", "admin")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@schemathesis.serializer(XLSX)
def _xlsx(ctx, value):
    """An XLSForm upload's body: whatever bytes the fuzzer made (they are rarely a workbook)."""
    return value if isinstance(value, bytes) else str(value).encode()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A real server with a little of everything: units (one merged), visits with obstacles and
    a photo, a conflict, a throwaway user and device the fuzzer may change."""
    folder = tmp_path_factory.mktemp("schemathesis")
    server = ServerProcess(folder / "instance").start()
    create_users(server_database(server), [("st-engineer", "engineer", [TEHRAN]),
                                           ("st-supervisor", "supervisor", [TEHRAN]),
                                           ("st-admin", "admin", []), ("st-other", "engineer", [TEHRAN]),
                                           ("st-spare", "engineer", [TEHRAN])])
    tokens, known = {}, {}
    for role in ROLES:
        status, body = HttpTransport(server.url).request("POST", "/api/v1/auth/login", body={
            "username": f"st-{role}", "password": PASSWORD, "device_id": f"st-{role}-device"})
        assert status == 200, body
        tokens[role] = body["access_token"]
        known.setdefault("protected_users", []).append(body["user"]["id"])
    phones = []
    for name in ("st-engineer", "st-other"):
        phone = Device(str(folder / f"{name}.sqlite"), HttpTransport(server.url))
        phone.login(name, PASSWORD)
        phones.append(phone)
    rng = random.Random(SEED)
    photo = folder / "photo.jpg"
    photo.write_bytes(fake_photo(rng, 50_000))
    sha = phones[0].attach(str(photo))
    unit = phones[0].create_unit({"name": "واحد آزمون", "province_id": TEHRAN, "employees": 5})
    loser = phones[0].create_unit({"name": "واحد تکراری", "province_id": TEHRAN})
    visit = phones[0].record_visit(unit, diagnosis_answers(rng, photos=[sha]), sample_obstacles(rng, 2),
                                   template=TEMPLATE_REF)
    phones[0].sync()
    phones[1].sync()
    phones[0].update_unit(unit, {"employees": 7})
    phones[1].update_unit(unit, {"employees": 9})
    for phone in phones:
        phone.sync()
    supervisor = HttpApi(server.url, "st-supervisor", "st-supervisor-device")
    status, _ = supervisor.post("/api/v1/merges", {"winner_id": unit, "loser_id": loser})
    assert status == 200
    conflicts = supervisor.get("/api/v1/conflicts")[1]["items"]
    obstacles = supervisor.get("/api/v1/obstacles")[1]["items"]
    spare = Device(str(folder / "spare.sqlite"), HttpTransport(server.url))
    spare_user = spare.login("st-spare", PASSWORD)
    known.update(unit_id=[unit, loser], visit_id=[visit], sha=[sha], obstacle_id=[o["id"] for o in obstacles],
                 conflict_id=[c["id"] for c in conflicts],
                 code=["diagnosis"], version=[1], user_id=[spare_user["id"]], device_id=[spare.device_id],
                 key=[collect_key(server_database(server), "st-other")], form_id=["diagnosis"],
                 name=["units.csv", "returned.csv"])
    for phone in phones + [spare]:
        phone.close()
    schema = schemathesis.openapi.from_url(server.url + "/api/openapi.json")
    yield server, schema, tokens, known
    server.stop()


def path_parameters(operation, known: dict):
    """Known ids for the operation's path parameters, for the fuzzer to get past the 404s."""
    names = [p.name for p in operation.path_parameters]
    if not names or not all(known.get(n) for n in names):
        return None
    return st.fixed_dictionaries({n: st.sampled_from(known[n]) for n in names})


def is_protected(case, known: dict) -> bool:
    """Would this request change an account the test itself logs in with?"""
    parameters = case.path_parameters or {}
    if case.method.upper() in ("GET", "HEAD"):
        return False
    if str(parameters.get("user_id")) in {str(u) for u in known["protected_users"]}:
        return True
    return str(parameters.get("device_id", "")).startswith("st-")


def front_server_refusal(response) -> bool:
    """gunicorn itself refuses a request line over 4094 bytes (414, text/html) before the app
    sees it; the fuzzer reaches it only with hundreds of percent-encoded emoji in a query."""
    content_type = " ".join(response.headers.get("content-type", []))
    return response.status_code in (400, 414, 431) and "text/html" in content_type


def exercise(operation, strategy, token, counts, failures, known, base_url) -> None:
    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=False, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        if is_protected(case, known):
            return
        response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        counts["requests"] += 1
        counts["5xx"] += response.status_code >= 500
        if front_server_refusal(response):
            counts["refused_by_gunicorn"] += 1
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as error:  # keep going: report every operation that fails
            failures.append(f"{operation.label} [{response.status_code}]: {str(error)[:600]}\n"
                            f"  {case.as_curl_command()[:400]}")

    try:
        run()
    except Unsatisfiable:
        counts["no_negative_case"] += 1  # nothing to break: e.g. a GET without parameters


def test_no_5xx_and_no_response_breaking_its_schema(served):
    server, schema, tokens, known = served
    counts = {"requests": 0, "5xx": 0, "refused_by_gunicorn": 0, "operations": 0, "no_negative_case": 0}
    failures: list[str] = []
    random.seed(SEED)
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) > 40
    for role in ROLES:
        for operation in operations:
            counts["operations"] += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode)
                fixed = path_parameters(operation, known)
                if fixed is not None:
                    strategy = st.one_of(strategy, fixed.flatmap(lambda p, m=mode, o=operation: o.as_strategy(
                        generation_mode=m, path_parameters=p)))
                exercise(operation, strategy, tokens[role], counts, failures, known, server.url)
    log = server.log.read_text(errors="replace")
    summary = {"seed": SEED, "examples": EXAMPLES, **counts, "failures": len(failures)}
    print("schemathesis:", json.dumps(summary))
    assert failures == [], "\n".join(failures[:15]) + f"\n{summary}"
    assert counts["5xx"] == 0 and "Traceback" not in log, log[-3000:]


def test_the_fuzzer_could_not_lock_itself_out(served):
    server, _, tokens, _ = served
    for role, token in tokens.items():
        status, _ = HttpTransport(server.url).request("GET", "/api/v1/auth/me", token=token)
        assert status == 200, role

