"""The one error envelope: every error, from every layer, is {"error": {code, message, details?}}."""

import gzip
import json

import pytest

from tests.helpers import create_unit_mutation, table_counts, unit_fields


def assert_envelope(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) <= {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def auth(api):
    return {"Authorization": f"Bearer {api.token}"}


def test_unknown_route_is_404(client):
    assert_envelope(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_405(client):
    response = client.delete("/api/v1/health")
    assert_envelope(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_missing_token_is_401(client):
    response = client.get("/api/v1/units")
    assert_envelope(response, 401, "token_missing")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_garbage_token_is_401_not_422(client):
    assert_envelope(client.get("/api/v1/units", headers={"Authorization": "Bearer not.a.jwt"}),
                    401, "token_invalid")


def test_wrong_role_is_403(client, engineer):
    assert_envelope(client.get("/api/v1/users", headers=auth(engineer)), 403, "forbidden")


def test_validation_errors_name_each_field(client, admin):
    error = assert_envelope(
        client.post("/api/v1/users", json={"username": "", "role": "pilot"}, headers=auth(admin)),
        422, "validation_failed")
    assert set(error["details"]["fields"]) == {"username", "role", "password"}


def test_unknown_fields_are_rejected(client, admin):
    error = assert_envelope(client.post("/api/v1/users", headers=auth(admin), json={
        "username": "x", "password": "long enough", "role": "admin", "is_root": True}), 422, "validation_failed")
    assert "is_root" in error["details"]["fields"]


def test_wrong_types_are_rejected(client, engineer, db):
    before = table_counts(db)
    error = assert_envelope(client.post("/api/v1/sync/push", headers=auth(engineer),
                                        json={"mutations": [{"mutation_id": "1", "type": 5}]}),
                            422, "validation_failed")
    assert "mutations" in error["details"]["fields"]
    # The push body keeps NaN for the mutation that carries it to be rejected alone
    # (tests/test_probe_findings.py); in place of a mutation it is no mutation at all.
    error = assert_envelope(client.post("/api/v1/sync/push", headers=auth(engineer), data=b'{"mutations": [NaN]}',
                                        content_type="application/json"), 422, "validation_failed")
    assert "0" in error["details"]["fields"]["mutations"]
    assert table_counts(db) == before


@pytest.mark.parametrize("body, message", [
    (b'{"mutations": [', "not valid JSON"),
    (b'{"mutations": [], "mutations": []}', "duplicate key"),
    (b'{"mutations": ["\xff\xfe"]}', "not valid UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_malformed_bodies_are_400(client, engineer, db, body, message):
    before = table_counts(db)
    response = client.post("/api/v1/sync/push", data=body, content_type="application/json",
                           headers=auth(engineer))
    error = assert_envelope(response, 400, "bad_request")
    assert message in error["message"]
    assert table_counts(db) == before


def test_wrong_content_type_is_415(client, engineer):
    response = client.post("/api/v1/sync/push", data='{"mutations": []}', content_type="text/plain",
                           headers=auth(engineer))
    assert_envelope(response, 415, "unsupported_media_type")


def test_body_over_the_limit_is_413_with_the_limit(app, client, engineer):
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_REQUEST_BYTES"] = 10_000
    response = client.post("/api/v1/sync/push", data=json.dumps({"mutations": [], "pad": "x" * 20_000}),
                           content_type="application/json", headers=auth(engineer))
    error = assert_envelope(response, 413, "request_too_large")
    assert error["details"] == {"max_request_bytes": 10_000}


def test_gzip_bomb_is_413(client, engineer):
    bomb = gzip.compress(b'{"mutations": ["' + b"0" * 200_000_000 + b'"]}', 9)
    assert len(bomb) < 300_000
    response = client.post("/api/v1/sync/push", data=bomb, content_type="application/json",
                           headers={**auth(engineer), "Content-Encoding": "gzip"})
    assert_envelope(response, 413, "request_too_large")


def test_gzip_garbage_is_400(client, engineer):
    response = client.post("/api/v1/sync/push", data=b"not gzip at all", content_type="application/json",
                           headers={**auth(engineer), "Content-Encoding": "gzip"})
    assert_envelope(response, 400, "bad_request")


def test_gzipped_request_is_accepted(client, engineer):
    body = gzip.compress(json.dumps({"mutations": []}).encode())
    response = client.post("/api/v1/sync/push", data=body, content_type="application/json",
                           headers={**auth(engineer), "Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.get_json()["results"] == []


def test_domain_not_found_is_404(client, supervisor):
    assert_envelope(client.get("/api/v1/units/no-such-unit", headers=auth(supervisor)), 404, "not_found")


def test_conflict_is_409(client, engineer, supervisor):
    engineer.post("/api/v1/sync/push", {"mutations": [create_unit_mutation(1, "u-1", unit_fields())]})
    error = assert_envelope(client.post("/api/v1/units/u-1/unmerge", headers=auth(supervisor)),
                            409, "conflict")
    assert "not merged" in error["message"]


def test_throttled_login_is_429_with_retry_after(client, make_user):
    make_user("reza")
    for _ in range(5):
        client.post("/api/v1/auth/login", json={"username": "reza", "password": "wrong password",
                                                "device_id": "d1"})
    response = client.post("/api/v1/auth/login", json={"username": "reza", "password": "wrong password",
                                                       "device_id": "d1"})
    error = assert_envelope(response, 429, "too_many_attempts")
    assert int(response.headers["Retry-After"]) == error["details"]["retry_after_seconds"] > 0


def test_unexpected_errors_are_500_in_the_envelope(app, client):
    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom")

    boom.access_rule = {"public": True}
    error = assert_envelope(client.get("/boom"), 500, "internal_error")
    assert "kaboom" not in error["message"]


def test_the_protocol_doc_names_every_code_status_type_and_page_key():
    """A client is written from docs/sync-protocol.md alone: what the server can answer is in it."""
    from pathlib import Path

    from schemas.sync import MUTATION_TYPES, RESULT_STATUSES
    from server.errors import STATUS_OF_CODE
    from sync.pull import ENTITY_LOADERS

    doc = (Path(__file__).parent.parent / "docs" / "sync-protocol.md").read_text("utf-8")
    table = doc.split("## Error codes", 1)[1]
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}
    for code, status in STATUS_OF_CODE.items():
        assert f"`{code}`" in rows.get(str(status), ""), (code, status)
    for name in (*MUTATION_TYPES, *RESULT_STATUSES, *(key for key, _ in ENTITY_LOADERS.values()),
                 "scope_changed", "cursor_expired", "store_replaced", "first_status", "redirected_from",
                 "has_more", "reset_reason", "base_seq", "observed_at", "mutation_id"):
        assert f"`{name}`" in doc or f"**{name}**" in doc or f'"{name}"' in doc, name
