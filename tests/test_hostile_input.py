"""Hostile input, route by route: whatever arrives, the answer is a 2xx or a 4xx in the one
error envelope — never a 5xx — and nothing is half-written.

tests/test_errors.py has the basic malformed-body cases on the push route; this module takes
them to every route of the served OpenAPI spec (so a new route is covered the day it is
added) and adds what a hostile or broken client sends: numbers SQLite cannot hold, lone
surrogates, gzip bombs, deep nesting inside valid envelopes, SQL and path-traversal text in
every text field and file name, very long Persian text, wrong content types, duplicated keys.
"""

import gzip
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.client import Device
from tests.conftest import TEHRAN
from tests.helpers import PASSWORD, FlaskTransport, diagnosis_answers, table_counts
from tests.test_console_helpers import ConsoleUser
from tests.test_errors import assert_envelope

HOSTILE_TEXT = [
    "'; DROP TABLE units; --",
    '" OR "1"="1" --',
    "1 UNION SELECT password_hash FROM users",
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2fsecret_key",
    "<script>alert('xss')</script>",
    "{{ config.SECRET_KEY }}{% raw %}",
    "${jndi:ldap://127.0.0.1/a}",
    "nul\x00byte",
    "a vertical\x0btab and a form\x0cfeed, pasted from a word processor",
    "\u202eطرف راست\u202c ي ك \u200c\u200f",
]
# Sample values for path parameters; each route is reached whether or not the record exists.
PATH_VALUES = {"unit_id": "u-1", "visit_id": "v-1", "conflict_id": "1", "user_id": "1", "device_id": "phone-1",
               "code": "diagnosis", "version": "1", "sha": "0" * 64, "obstacle_id": "o-1", "candidate_id": "1",
               "key": "not-a-collect-key-of-anyone", "form_id": "diagnosis", "name": "units.csv"}
TOO_WIDE = 2**64  # does not fit in SQLite's 64-bit integers


def operations(client, with_body=None):
    """(method, path) of every operation in the served spec; ``with_body``: only those taking
    a JSON body (True) or not (False)."""
    spec = client.get("/api/openapi.json").get_json()
    found = []
    for template, item in spec["paths"].items():
        path = template
        for name, value in PATH_VALUES.items():
            path = path.replace("{" + name + "}", value)
        assert "{" not in path, f"add a sample value for the path parameter of {template} to PATH_VALUES"
        for method, operation in item.items():
            if method == "parameters":
                continue
            takes_json = "application/json" in operation.get("requestBody", {}).get("content", {})
            if with_body is None or with_body == takes_json:
                found.append((method.upper(), path, operation))
    return found


def send(client, api, method, path, data, content_type="application/json", headers=None):
    return client.open(path, method=method, data=data, content_type=content_type,
                       headers={"Authorization": f"Bearer {api.token}", **(headers or {})})


def no_server_error(response, path):
    assert response.status_code < 500, (path, response.status_code, response.get_data(as_text=True)[:300])
    if response.status_code >= 400 and response.mimetype == "application/json":
        body = response.get_json()
        assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"], body


MALFORMED = {
    "invalid JSON": b'{"a": [1, 2',
    "invalid UTF-8": b'{"name": "\xff\xfe\xfd"}',
    "duplicate keys, nested": b'{"x": {"name": "a", "name": "b"}}',
    "lone surrogate": b'{"name": "ab\\ud800cd"}',
    "integer beyond 64 bits": b'{"id": 18446744073709551616}',
    "number beyond a double": b'{"employees": 1e400}',
    "NaN": b'{"employees": NaN}',
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
}


# The push body is a batch of independent mutations: there a number no field can hold is
# kept by the parser and rejects only the mutation carrying it (test_wide_numbers_… below).
PER_MUTATION = {"integer beyond 64 bits", "number beyond a double", "NaN"}


def test_every_json_route_refuses_malformed_bodies_and_writes_nothing(client, admin, db):
    before = table_counts(db)
    for method, path, _ in operations(client, with_body=True):
        for kind, body in MALFORMED.items():
            if path.endswith("/sync/push") and kind in PER_MUTATION:
                continue
            response = send(client, admin, method, path, body)
            assert response.status_code == 400, (path, kind)
            assert_envelope(response, 400, "bad_request")
    assert table_counts(db) == before


def test_every_json_route_refuses_other_content_types(client, admin, db):
    before = table_counts(db)
    for method, path, _ in operations(client, with_body=True):
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                             "application/xml", None):
            response = client.open(path, method=method, data=b'{"name": "x"}',
                                   headers={"Authorization": f"Bearer {admin.token}",
                                            **({"Content-Type": content_type} if content_type else {})})
            assert response.status_code == 415, (path, content_type)
            assert_envelope(response, 415, "unsupported_media_type")
    assert table_counts(db) == before


@pytest.fixture(scope="module")
def gzip_bomb():
    """64 KiB that inflates to 64 MiB of JSON-looking zeros: four times the request limit."""
    return gzip.compress(b'{"x": "' + b"0" * (64 << 20) + b'"}', 9)


def test_gzip_bombs_are_refused_on_every_route_that_takes_a_body(client, admin, db, gzip_bomb):
    before = table_counts(db)
    for method, path, _ in operations(client):
        if method in ("GET", "DELETE"):
            continue
        response = send(client, admin, method, path, gzip_bomb, headers={"Content-Encoding": "gzip"})
        error = assert_envelope(response, 413, "request_too_large")
        assert error["details"]["max_request_bytes"] > 0
    assert table_counts(db) == before


ODD_COMPRESSION = [
    (gzip.compress(gzip.compress(b'{"mutations": []}')), "gzip"),       # gzip inside gzip
    (gzip.compress(b'{"mutations": []}')[:-6], "gzip"),                 # cut short
    (gzip.compress(b'{"mutations": []}') + b"\x00garbage", "gzip"),     # trailing bytes
    (gzip.compress(b'{"mutations": []}'), "deflate"),                   # an encoding we do not speak
    (b'{"mutations": []}', "gzip, gzip"),
]


def test_odd_compressed_bodies_never_break_the_server(client, engineer, db):
    before = table_counts(db)
    for body, encoding in ODD_COMPRESSION:
        response = send(client, engineer, "POST", "/api/v1/sync/push", body, headers={"Content-Encoding": encoding})
        no_server_error(response, encoding)
    assert table_counts(db) == before


def integer_parameters(operation):
    return [p for p in operation.get("parameters", [])
            if p.get("schema", {}).get("type") == "integer" and p["in"] in ("query", "path")]


def test_numbers_beyond_64_bits_are_refused_not_500(client, admin):
    """Found by schemathesis: ids, offsets and province ids past 2**63 reached SQLite and raised
    OverflowError (500) on a dozen routes; now 422 in a query, 404 in a path, 400 in a body."""
    checked = 0
    for method, path, operation in operations(client):
        for parameter in integer_parameters(operation):
            name = parameter["name"]
            if parameter["in"] == "query":
                response = client.open(path, method=method, query_string={name: str(TOO_WIDE)},
                                       headers={"Authorization": f"Bearer {admin.token}"})
                assert_envelope(response, 422, "validation_failed")
            else:
                wide = path.replace(f"/{PATH_VALUES[name]}", f"/{TOO_WIDE}", 1)
                response = client.open(wide, method=method, headers={"Authorization": f"Bearer {admin.token}"})
                assert_envelope(response, 404, "not_found")
            checked += 1
    assert checked > 20


def test_every_query_parameter_at_its_extremes_is_never_a_500(client, admin, db):
    """Every query parameter of every API operation in the spec, at the values the console sweep
    uses (tests/test_console_extremes.py): numbers past 64 bits, negative pages, days outside
    the calendar or a Jalali leap year, huge text. Only 2xx and 4xx, nothing written."""
    from tests.test_console_extremes import EXTREMES

    before = table_counts(db)
    checked = 0
    for method, path, operation in operations(client):
        if method != "GET":
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            for value in EXTREMES:
                response = client.get(path, query_string={parameter["name"]: value},
                                      headers={"Authorization": f"Bearer {admin.token}"})
                no_server_error(response, (path, parameter["name"], value))
                checked += 1
    assert checked > 300 and table_counts(db) == before


def test_wide_numbers_inside_a_mutation_reject_that_mutation_only(client, admin, db):
    """A number no field can hold costs only the mutation that carries it, named by its path;
    the next mutation of the batch is applied (before: the whole batch was a 400)."""
    for mutation_id, field in enumerate(("province_id", "city_id", "park_id", "employees"), start=1):
        mutation = {"mutation_id": 2 * mutation_id, "type": "create_unit", "unit_id": f"u-wide-{field}",
                    "observed_at": "2026-03-01T06:00:00Z", "fields": {"name": "x", "province_id": TEHRAN}}
        mutation["fields"][field] = TOO_WIDE
        good = {"mutation_id": 2 * mutation_id + 1, "type": "create_unit", "unit_id": f"u-ok-{field}",
                "observed_at": "2026-03-01T06:00:00Z", "fields": {"name": "x", "province_id": TEHRAN}}
        response = send(client, admin, "POST", "/api/v1/sync/push", json.dumps({"mutations": [mutation, good]}))
        assert response.status_code == 200, response.get_data(as_text=True)
        wide, applied = response.get_json()["results"]
        assert wide["status"] == "rejected" and "64 bits" in wide["error"]["details"]["fields"][f"fields.{field}"][0]
        assert applied["status"] == "applied"
    # The mutation id itself names nothing the server can acknowledge: the batch is malformed.
    before = table_counts(db)
    mutation = {"mutation_id": TOO_WIDE, "type": "create_unit", "unit_id": "u-wide",
                "observed_at": "2026-03-01T06:00:00Z", "fields": {"name": "x", "province_id": TEHRAN}}
    error = assert_envelope(send(client, admin, "POST", "/api/v1/sync/push", json.dumps({"mutations": [mutation]})),
                            422, "validation_failed")
    assert "mutation_id" in error["details"]["fields"]["mutations"]["0"]
    assert table_counts(db) == before


def test_a_valid_surrogate_pair_is_text_and_is_kept(engineer):
    body = {"mutations": [{"mutation_id": 1, "type": "create_unit", "unit_id": "u-emoji",
                           "observed_at": "2026-03-01T06:00:00Z",
                           "fields": {"name": "کارخانه 🏭", "province_id": TEHRAN}}]}
    raw = json.dumps(body)  # ensure_ascii: the emoji travels as the pair \ud83c\udfed
    assert "\\ud83c\\udfed" in raw
    response = engineer.client.post("/api/v1/sync/push", data=raw, content_type="application/json",
                                    headers={"Authorization": f"Bearer {engineer.token}"})
    assert response.get_json()["results"][0]["status"] == "applied"


@pytest.fixture
def hostile_phone(tmp_path, client, make_user):
    make_user("hamid")
    device = Device(str(tmp_path / "hamid.sqlite"), FlaskTransport(client))
    device.login("hamid", PASSWORD)
    return device


def test_hostile_text_in_every_field_is_stored_exactly_as_typed(client, db, hostile_phone, supervisor):
    schema_before = db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    console = ConsoleUser(client, "sara")
    for text in HOSTILE_TEXT:
        check_hostile_text(db, hostile_phone, supervisor, console, text)
    assert db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema_before
    # Exports carry every one of them (XML cannot carry control characters: found by schemathesis,
    # a 500 on every visits export once one comment held a vertical tab).
    for kind in ("visits", "obstacles", "units"):
        for fmt in ("xlsx", "csv") + (("geojson",) if kind == "units" else ()):
            status, _ = supervisor.get(f"/api/v1/exports/{kind}", {"format": fmt})
            assert status == 200, (kind, fmt)


def check_hostile_text(db, hostile_phone, supervisor, console, text):
    fields = {"name": text, "province_id": TEHRAN, "national_id": text[:40], "license_no": text[:60],
              "address": text, "phone": text[:60], "owner": text, "activity": text}
    unit_id = hostile_phone.create_unit(fields)
    obstacle = {"area": "finance", "group": "finance.working_capital", "severity": "high", "description": text,
                "proposed_action": text, "responsible_body": "bank"}
    visit_id = hostile_phone.record_visit(unit_id, diagnosis_answers(summary=text, main_products=text,
                                                                     respondent_name=text),
                                          [obstacle], template={"code": "diagnosis", "version": 1})
    hostile_phone.sync()
    assert hostile_phone.rejected() == []
    status, unit = supervisor.get(f"/api/v1/units/{unit_id}")
    assert status == 200 and {k: unit[k] for k in fields} == fields
    status, visit = supervisor.get(f"/api/v1/visits/{visit_id}")
    assert status == 200, visit
    assert (visit["answers"]["summary"], visit["obstacles"][0]["description"]) == (text, text)
    status, comment = supervisor.post(f"/api/v1/visits/{visit_id}/comments", {"text": text})
    assert status == 201 and comment["text"] == text
    for path, params in (("/api/v1/units", {"q": text[:200]}), ("/api/v1/visits", {"template": text[:64]}),
                         ("/api/v1/obstacles", {"group": text[:128]})):
        status, _ = supervisor.get(path, params)
        assert status in (200, 422), (path, status)
    # The console shows it as text: escaped, never as markup.
    html = console.page(f"/console/units/{unit_id}")
    assert "<script>alert" not in html and "SECRET_KEY" not in html.replace("config.SECRET_KEY", "")


def test_hostile_text_in_logins_and_accounts(client, admin):
    for text in HOSTILE_TEXT:
        check_hostile_account(client, admin, text)


def check_hostile_account(client, admin, text):
    response = client.post("/api/v1/auth/login", json={"username": text, "password": text, "device_id": text[:64],
                                                       "device_label": text})
    assert response.status_code in (401, 422, 429), response.get_data(as_text=True)
    status, user = admin.post("/api/v1/users", {"username": f"u{len(text)}", "password": "long enough pass",
                                                "role": "engineer", "provinces": [TEHRAN], "full_name": text})
    assert status == 201 and user["full_name"] == text
    assert admin.post(f"/api/v1/devices/{text}/revoke")[0] in (404, 405)
    status, _ = admin.get("/api/v1/audit", {"entity": text[:40], "action": text[:60]})
    assert status in (200, 422)


TRAVERSALS = ["..%2f..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fsecret_key", "..%5c..%5csecret_key",
              "....//....//secret_key", "%252e%252e%252fsecret_key", "%00", "a" * 64 + "%2f..%2f..%2fsecret_key"]


def test_path_traversal_in_file_names_reaches_no_file(app, client, engineer, supervisor):
    from pathlib import Path

    instance = Path(app.instance_path)
    files_before = sorted(p for p in instance.rglob("*") if "attachments" not in p.parts)
    secret = (instance / "secret_key").read_bytes() if (instance / "secret_key").exists() else None
    for name in TRAVERSALS:
        check_traversal(client, engineer, supervisor, name, secret)
    files_after = sorted(p for p in instance.rglob("*") if "attachments" not in p.parts)
    assert files_after == files_before


def check_traversal(client, engineer, supervisor, name, secret):
    jpeg = b"\xff\xd8\xff\xe0" + b"x" * 100
    for method, path, data in (
            ("PUT", f"/api/v1/attachments/{name}", jpeg), ("GET", f"/api/v1/attachments/{name}", None),
            ("GET", f"/api/v1/attachments/{name}/status", None), ("GET", f"/api/v1/templates/{name}", None),
            ("GET", f"/api/v1/exports/{name}", None), ("GET", f"/api/v1/exports/visits?format={name}", None)):
        response = client.open(path, method=method, data=data, headers={
            "Authorization": f"Bearer {supervisor.token if method == 'GET' else engineer.token}",
            "Content-Type": "application/octet-stream", "Content-Range": f"bytes 0-{len(jpeg) - 1}/{len(jpeg)}"})
        no_server_error(response, path)
        assert response.status_code >= 400, path
        assert not secret or secret not in response.get_data(), path
    for path in (f"/console/static/{name}", f"/console/exports/{name}", f"/console/{name}"):
        response = client.get(path)
        no_server_error(response, path)
        assert response.status_code in (302, 400, 404), (path, response.status_code)
        assert not secret or secret not in response.get_data(), path


PERSIAN = "کارخانهٔ صنایع بسته‌بندی پلاستیک البرز — تولیدکنندهٔ ظروف یک‌بار مصرف "


def persian(length: int) -> str:
    return (PERSIAN * (length // len(PERSIAN) + 1))[:length]


def test_very_long_persian_text_is_kept_to_the_limit_and_refused_past_it(engineer, supervisor):
    at_limit = {"name": persian(300), "address": persian(1000), "owner": persian(300), "activity": persian(300)}
    past = {"name": persian(301), "address": persian(1001), "owner": persian(301), "activity": persian(301)}
    mutations = [{"mutation_id": 1, "type": "create_unit", "unit_id": "u-long", "observed_at": "2026-03-01T06:00:00Z",
                  "fields": {"province_id": TEHRAN, **at_limit}}]
    mutations += [{"mutation_id": 2 + i, "type": "create_unit", "unit_id": f"u-past-{field}",
                   "observed_at": "2026-03-01T06:00:00Z",
                   "fields": {"province_id": TEHRAN, "name": "x", field: value}}
                  for i, (field, value) in enumerate(past.items())]
    mutations.append({"mutation_id": 10, "type": "create_unit", "unit_id": "u-huge",
                      "observed_at": "2026-03-01T06:00:00Z",
                      "fields": {"province_id": TEHRAN, "name": "x", "address": persian(1_000_000)}})
    status, answer = engineer.post("/api/v1/sync/push", {"mutations": mutations})
    assert status == 200, answer
    statuses = [(r["status"], r.get("error", {}).get("code")) for r in answer["results"]]
    assert statuses == [("applied", None)] + [("rejected", "validation_failed")] * (len(past) + 1)
    for result, field in zip(answer["results"][1:], past, strict=False):
        assert f"fields.{field}" in result["error"]["details"]["fields"]
    status, unit = supervisor.get("/api/v1/units/u-long")
    assert {k: unit[k] for k in at_limit} == at_limit  # ZWNJ, kasra-ye ezafe, dash: as typed


def test_long_persian_comments_and_answers(supervisor, hostile_phone):
    from sync.templates import DEFAULT_TEXT_MAX_LENGTH

    unit_id = hostile_phone.create_unit({"name": "واحد", "province_id": TEHRAN})
    kept = hostile_phone.record_visit(unit_id, diagnosis_answers(summary=persian(DEFAULT_TEXT_MAX_LENGTH)),
                                      template={"code": "diagnosis", "version": 1})
    too_long = hostile_phone.record_visit(unit_id, diagnosis_answers(summary=persian(200_000)),
                                          template={"code": "diagnosis", "version": 1})
    hostile_phone.sync()
    refused = {r["mutation"]["visit_id"]: r["error"] for r in hostile_phone.rejected()}
    assert set(refused) == {too_long} and "summary" in json.dumps(refused[too_long]["details"])
    status, visit = supervisor.get(f"/api/v1/visits/{kept}")
    assert status == 200 and visit["answers"]["summary"] == persian(DEFAULT_TEXT_MAX_LENGTH)
    status, comment = supervisor.post(f"/api/v1/visits/{kept}/comments", {"text": persian(4000)})
    assert status == 201 and comment["text"] == persian(4000)
    status, error = supervisor.post(f"/api/v1/visits/{kept}/comments", {"text": persian(4001)})
    assert status == 422 and "text" in error["error"]["details"]["fields"]


def nested(depth: int, leaf="x"):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def test_deep_nesting_inside_valid_envelopes_is_refused_cleanly(client, engineer, admin, db):
    """Deep values where the schema expects text or numbers: parsed (under the parser's limit),
    then refused by validation — no validator may recurse into a RecursionError."""
    for depth in (50, 900):
        check_deep_nesting(client, engineer, admin, db, depth)


def check_deep_nesting(client, engineer, admin, db, depth):
    unit = {"mutation_id": depth, "type": "create_unit", "unit_id": f"u-deep{depth}",
            "observed_at": "2026-03-01T06:00:00Z", "fields": {"name": nested(depth), "province_id": TEHRAN}}
    visit = {"mutation_id": depth + 1, "type": "create_visit", "visit_id": f"v-deep{depth}",
             "unit_id": f"u-deep{depth}", "observed_at": "2026-03-01T06:00:00Z",
             "template": {"code": "diagnosis", "version": 1},
             "answers": {**diagnosis_answers(), "summary": nested(depth), "extra": {"a": nested(depth)}},
             "obstacles": [{"area": nested(depth)}]}
    response = send(client, engineer, "POST", "/api/v1/sync/push", json.dumps({"mutations": [unit, visit]}))
    no_server_error(response, "push")
    if response.status_code == 200:
        assert {r["status"] for r in response.get_json()["results"]} == {"rejected"}
    before = table_counts(db)
    for method, path, _ in operations(client, with_body=True):
        if path.endswith("/sync/push"):
            continue
        body = {"name": nested(depth), "definition": nested(depth), "text": nested(depth), "areas": nested(depth),
                "username": nested(depth), "password": nested(depth), "action": nested(depth)}
        no_server_error(send(client, admin, method, path, json.dumps(body)), path)
    assert table_counts(db) == before


def test_duplicated_query_parameters_and_headers(client, supervisor):
    response = client.get("/api/v1/units?limit=1&limit=5000&offset=0&offset=-1",
                          headers={"Authorization": f"Bearer {supervisor.token}"})
    no_server_error(response, "units")
    response = client.get("/api/v1/units", headers=[("Authorization", f"Bearer {supervisor.token}"),
                                                    ("Authorization", "Bearer not-a-token")])
    no_server_error(response, "two Authorization headers")


def test_invalid_utf8_in_urls(client, supervisor):
    for path in ("/api/v1/units?q=%FF%FE", "/api/v1/units/%FF%FE", "/api/v1/visits?template=%C0%AF",
                 "/api/v1/units?q=%ED%A0%80", "/console/units?q=%FF", "/api/v1/sync/pull?cursor=%FF%00"):
        no_server_error(client.get(path, headers={"Authorization": f"Bearer {supervisor.token}"}), path)


def test_invalid_utf8_and_binary_in_headers(client, supervisor):
    for value in (b"Bearer \xff\xfe".decode("latin-1"), "Bearer " + "a" * 8000, "Basic Zm9vOmJhcg==", "Bearer"):
        response = client.get("/api/v1/units", headers={"Authorization": value})
        assert_envelope(response, 401, response.get_json()["error"]["code"])


def test_console_forms_survive_hostile_posts(client, supervisor):
    user = ConsoleUser(client, "sara")
    for path in ("/console/login", "/console/units", "/console/queue"):
        for data in ({"username": "\xff" * 10, "password": "x"}, {"q": HOSTILE_TEXT[0]}):
            no_server_error(user.post(path, data), path)
    response = client.post("/console/login", data=b"username=%FF%FE&password=%00",
                           content_type="application/x-www-form-urlencoded")
    no_server_error(response, "console login")


# Numbers at the edges of 64 bits and of a double, written as a device might: the body parser
# checks each number only when the text holds a long digit run or a three-digit exponent, and
# must still answer exactly as if it checked every one.
edge_numbers = st.one_of(
    st.integers(min_value=-(10**21), max_value=10**21).map(str),
    st.sampled_from([str(2**63 - 1), str(2**63), str(-(2**63)), str(-(2**63) - 1), str(10**18 - 1), "1" * 40]),
    st.builds(lambda mantissa, exponent: f"{mantissa}e{exponent}", st.sampled_from(["1", "-1.5", "17.25"]),
              st.integers(min_value=-330, max_value=330)),
)


@settings(max_examples=500, deadline=None)
@given(numbers=st.lists(edge_numbers, min_size=1, max_size=4), keep=st.booleans())
def test_the_body_parser_judges_every_number_as_if_it_checked_each(numbers, keep):
    from server.requests import strict_loads_noting

    text = '{"a": [' + ", ".join(numbers) + '], "b": {"c": ' + numbers[0] + "}}"
    plain = [json.loads(n) for n in numbers]
    wide = any((isinstance(v, int) and not -(2**63) <= v < 2**63) or (isinstance(v, float) and math.isinf(v))
               for v in plain)
    if keep:  # kept for the caller to refuse item by item; past 40 characters, any wide integer
        value, noted = strict_loads_noting(text, keep_wide_numbers=True)
        assert noted == wide
        assert value["a"] == [v if isinstance(v, float) or len(n) <= 40 else 2**63
                              for n, v in zip(numbers, plain, strict=True)]
    elif wide:
        with pytest.raises(ValueError):
            strict_loads_noting(text)
    else:
        assert strict_loads_noting(text)[0]["a"] == plain
