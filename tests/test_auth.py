"""Logins, device-bound tokens, expiry by the injectable clock, revocation, throttling."""

import jwt

from server import create_app
from tests.conftest import TEHRAN
from tests.helpers import FAST_HASHING, PASSWORD, SECRET


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def login(client, username="reza", password=PASSWORD, device_id="phone-1"):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password,
                                                   "device_id": device_id})


def code_of(response):
    return response.get_json()["error"]["code"]


def test_login_returns_tokens_bound_to_the_device(client, make_user, db):
    make_user("reza", provinces=[TEHRAN])
    response = login(client)
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["username"] == "reza" and body["user"]["provinces"] == [TEHRAN]
    assert "password_hash" not in body["user"]
    claims = jwt.decode(body["access_token"], SECRET, algorithms=["HS256"])
    assert claims["dev"] == "phone-1" and claims["type"] == "access"
    assert db.execute("SELECT user_id FROM devices WHERE id = 'phone-1'").fetchone()[0] == body["user"]["id"]
    me = client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.get_json()["username"] == "reza"


def test_refresh_token_lasts_sixty_days_by_default(client, make_user, clock):
    make_user("reza")
    body = login(client).get_json()
    assert body["refresh_expires_at"] == "2026-04-30T06:30:00.000Z"
    clock.advance(days=59)
    response = client.post("/api/v1/auth/refresh", headers=bearer(body["refresh_token"]))
    assert response.status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer(response.get_json()["access_token"])).status_code == 200
    clock.advance(days=2)
    response = client.post("/api/v1/auth/refresh", headers=bearer(body["refresh_token"]))
    assert (response.status_code, code_of(response)) == (401, "token_expired")


def test_refreshing_renews_the_session_and_the_replaced_token_still_works(client, make_user, clock):
    make_user("reza")
    first = login(client).get_json()
    clock.advance(days=50)
    renewed = client.post("/api/v1/auth/refresh", headers=bearer(first["refresh_token"])).get_json()
    assert renewed["refresh_expires_at"] == "2026-06-19T06:30:00.000Z"  # 60 days from the refresh
    # the answer may have been lost: the token it replaced works until its own expiry
    assert client.post("/api/v1/auth/refresh", headers=bearer(first["refresh_token"])).status_code == 200
    clock.advance(days=50)  # 100 days after the login, 50 after the last refresh
    assert code_of(client.post("/api/v1/auth/refresh", headers=bearer(first["refresh_token"]))) == "token_expired"
    again = client.post("/api/v1/auth/refresh", headers=bearer(renewed["refresh_token"]))
    assert again.status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer(again.get_json()["access_token"])).status_code == 200


def test_a_phone_that_syncs_every_week_never_has_to_log_in_again(phone, clock):
    device = phone("reza")
    for _week in range(20):  # 140 days, more than two refresh-token lifetimes
        clock.advance(days=7)
        device.create_unit({"name": "صنایع غذایی مهر", "province_id": TEHRAN})
        device.sync()
    assert device.outbox_size() == 0 and len(device.units()) == 20


def test_access_token_expires_by_the_clock(client, make_user, clock):
    make_user("reza")
    token = login(client).get_json()["access_token"]
    clock.advance(minutes=14)
    assert client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 200
    clock.advance(minutes=2)
    response = client.get("/api/v1/auth/me", headers=bearer(token))
    assert (response.status_code, code_of(response)) == (401, "token_expired")


def test_wrong_password_and_unknown_user_look_the_same(client, make_user):
    make_user("reza")
    wrong = login(client, password="not the password")
    unknown = login(client, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_refresh_token_cannot_be_used_as_access_token(client, make_user):
    make_user("reza")
    body = login(client).get_json()
    response = client.get("/api/v1/auth/me", headers=bearer(body["refresh_token"]))
    assert (response.status_code, code_of(response)) == (401, "token_invalid")
    response = client.post("/api/v1/auth/refresh", headers=bearer(body["access_token"]))
    assert (response.status_code, code_of(response)) == (401, "token_invalid")


def test_tampered_and_foreign_tokens_are_refused(client, make_user):
    make_user("reza")
    token = login(client).get_json()["access_token"]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    forged = jwt.encode({**claims, "role": "admin", "sub": "1"}, "another key entirely, also long enough",
                        algorithm="HS256")
    header, payload, signature = token.split(".")
    tampered = ".".join([header, payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1], signature])
    unsigned = jwt.encode({**claims}, None, algorithm="none")
    for bad in (forged, tampered, unsigned):
        response = client.get("/api/v1/auth/me", headers=bearer(bad))
        assert (response.status_code, code_of(response)) == (401, "token_invalid"), bad


def test_revoking_a_device_stops_its_tokens_at_once(client, make_user, admin):
    make_user("reza")
    body = login(client).get_json()
    assert admin.post("/api/v1/devices/phone-1/revoke")[0] == 200
    for method, path, token in (("GET", "/api/v1/sync/pull", body["access_token"]),
                                ("POST", "/api/v1/sync/push", body["access_token"]),
                                ("POST", "/api/v1/auth/refresh", body["refresh_token"])):
        response = client.open(path, method=method, json={"mutations": []} if method == "POST" else None,
                               headers=bearer(token))
        assert (response.status_code, code_of(response)) == (401, "token_revoked"), path
    response = login(client)
    assert (response.status_code, code_of(response)) == (403, "forbidden")
    # Another device of the same user still works.
    assert login(client, device_id="phone-2").status_code == 200


def test_deactivating_a_user_stops_all_tokens(client, make_user, admin):
    user = make_user("reza")
    token = login(client).get_json()["access_token"]
    assert admin.patch(f"/api/v1/users/{user['id']}", {"active": False})[0] == 200
    response = client.get("/api/v1/sync/pull", headers=bearer(token))
    assert (response.status_code, code_of(response)) == (401, "token_revoked")
    assert login(client).status_code == 401


def test_a_new_password_ends_the_sessions_of_the_old_one(client, make_user, admin):
    user = make_user("reza")
    body = login(client).get_json()
    assert admin.patch(f"/api/v1/users/{user['id']}", {"password": "a brand new password"})[0] == 200
    for method, path, token in (("POST", "/api/v1/auth/refresh", body["refresh_token"]),
                                ("GET", "/api/v1/sync/pull", body["access_token"])):
        response = client.open(path, method=method, headers=bearer(token))
        assert (response.status_code, code_of(response)) == (401, "token_revoked"), path
    assert login(client).status_code == 401
    fresh = login(client, password="a brand new password").get_json()
    assert client.post("/api/v1/auth/refresh", headers=bearer(fresh["refresh_token"])).status_code == 200


def test_reactivating_a_user_does_not_revive_old_tokens(client, make_user, admin):
    user = make_user("reza")
    body = login(client).get_json()
    assert admin.patch(f"/api/v1/users/{user['id']}", {"active": False})[0] == 200
    assert admin.patch(f"/api/v1/users/{user['id']}", {"active": True})[0] == 200
    response = client.post("/api/v1/auth/refresh", headers=bearer(body["refresh_token"]))
    assert (response.status_code, code_of(response)) == (401, "token_revoked")
    assert login(client).status_code == 200


def test_a_new_role_or_province_keeps_the_tokens(client, make_user, admin):
    user = make_user("reza")
    body = login(client).get_json()
    assert admin.patch(f"/api/v1/users/{user['id']}", {"provinces": [TEHRAN, 4]})[0] == 200
    assert client.post("/api/v1/auth/refresh", headers=bearer(body["refresh_token"])).status_code == 200


def test_a_device_belongs_to_one_user(client, make_user):
    make_user("reza")
    make_user("ali")
    assert login(client, "reza", device_id="shared").status_code == 200
    response = login(client, "ali", device_id="shared")
    assert (response.status_code, code_of(response)) == (403, "forbidden")


def test_login_is_throttled_per_username_and_recovers(client, make_user, clock):
    make_user("reza")
    for _ in range(5):
        assert login(client, password="guess").status_code == 401
    response = login(client)  # even the right password waits out the window
    assert response.status_code == 429
    clock.advance(seconds=int(response.headers["Retry-After"]))
    assert login(client).status_code == 200


def test_login_is_throttled_per_address_across_usernames(client, make_user):
    for i in range(20):
        login(client, username=f"user{i}", password="guess")
    response = login(client, username="someone-else", password="guess")
    assert response.status_code == 429


def test_passwords_are_stored_as_argon2id(make_user, db):
    make_user("reza")
    stored = db.execute("SELECT password_hash FROM users WHERE username = 'reza'").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_weaker_hashes_are_upgraded_at_login(app, client, make_user, db):
    make_user("reza")
    from sync import users

    users.configure_hasher(2, 2048)
    try:
        assert login(client).status_code == 200
        stored = db.execute("SELECT password_hash FROM users WHERE username = 'reza'").fetchone()[0]
        assert "m=2048,t=2" in stored
    finally:
        users.configure_hasher(app.config["PASSWORD_HASH_TIME_COST"], app.config["PASSWORD_HASH_MEMORY_KIB"])


def test_scope_comes_from_the_store_not_the_token(client, make_user, admin, db):
    user = make_user("reza", provinces=[TEHRAN])
    token = login(client).get_json()["access_token"]
    assert admin.patch(f"/api/v1/users/{user['id']}", {"provinces": [4]})[0] == 200
    me = client.get("/api/v1/auth/me", headers=bearer(token)).get_json()
    assert me["provinces"] == [4]


def test_cli_creates_users_and_revokes_devices(runner, client, db):
    result = runner.invoke(["users", "create", "maryam", "--role", "supervisor", "--province", "8",
                            "--province", "4", "--password", "a long password"])
    assert result.exit_code == 0, result.output
    assert "Created supervisor maryam" in result.output
    assert login(client, "maryam", "a long password", "tablet").status_code == 200
    result = runner.invoke(["devices", "list", "--user", "maryam"])
    assert "tablet" in result.output and "active" in result.output
    result = runner.invoke(["devices", "revoke", "tablet"])
    assert result.exit_code == 0 and "Revoked device tablet" in result.output
    assert login(client, "maryam", "a long password", "tablet").status_code == 403
    result = runner.invoke(["users", "update", "maryam", "--inactive"])
    assert "active=False" in result.output
    assert login(client, "maryam", "a long password", "laptop").status_code == 401


def test_cli_reports_domain_errors_clearly(runner):
    result = runner.invoke(["users", "create", "x", "--role", "engineer", "--password", "short"])
    assert result.exit_code == 1
    assert "password" in result.output and "provinces" in result.output
    result = runner.invoke(["devices", "revoke", "nope"])
    assert result.exit_code == 1 and "No device 'nope'" in result.output


def _guess_from(client, address, username):
    return client.post("/api/v1/auth/login", headers={"X-Forwarded-For": address}, json={
        "username": username, "password": "guess", "device_id": "phone-1"})


def test_behind_a_trusted_proxy_each_client_address_is_throttled_on_its_own(instance, clock, db):
    proxied = create_app({"INSTANCE_PATH": str(instance), "CLOCK": clock, "SECRET_KEY": SECRET,
                          "TRUSTED_PROXIES": 1, **FAST_HASHING}).test_client()
    for i in range(20):  # one park's wifi guessing: its own address runs out of attempts
        _guess_from(proxied, "5.6.7.8", f"user{i}")
    assert _guess_from(proxied, "5.6.7.8", "someone-else").status_code == 429
    # another engineer, behind the same proxy, is not locked out by them
    assert _guess_from(proxied, "9.9.9.9", "someone-else").status_code == 401
    logged = {row[0] for row in db.execute("SELECT details FROM audit_log WHERE action = 'auth.login_failed'")}
    assert any("9.9.9.9" in details for details in logged)


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(client):
    for i in range(20):  # a guesser making up a new address for every attempt
        _guess_from(client, f"10.0.0.{i}", f"user{i}")
    assert _guess_from(client, "10.0.1.1", "someone-else").status_code == 429
