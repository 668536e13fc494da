"""Security beyond the route matrix: password storage, login throttling under parallel
guessing, console headers on every page, and logs that never hold a secret.

tests/test_auth.py covers single-request token and throttle rules and
tests/test_authz_matrix.py every route against every persona and bad token; this module
adds what needs the real server (parallel bursts, the server's own log output) or the
production cost settings.
"""

import http.cookiejar
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from server import create_app
from sync import users
from sync.client import Device, HttpTransport
from sync.store import connect, write
from tests.helpers import PASSWORD, SECRET, ServerProcess, create_users, server_database
from tests.test_console_helpers import ConsoleUser, csrf_of

TEHRAN = 8


def test_passwords_are_argon2id_at_the_configured_cost_and_nowhere_in_clear(tmp_path, clock):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "production-cost"), "CLOCK": clock, "SECRET_KEY": SECRET})
    secret = "a passphrase only reza knows"
    db = connect(app.config["DATABASE"])
    try:
        with write(db, clock()) as tx:
            tx.execute("INSERT INTO provinces (id, name, name_key) VALUES (8, 'تهران', 'تهران')")
            users.create_user(tx, "reza", secret, "engineer", [TEHRAN])
        stored = db.execute("SELECT password_hash FROM users").fetchone()[0]
        assert stored.startswith("$argon2id$")
        assert f"m={app.config['PASSWORD_HASH_MEMORY_KIB']},t={app.config['PASSWORD_HASH_TIME_COST']}," in stored
        assert (app.config["PASSWORD_HASH_MEMORY_KIB"], app.config["PASSWORD_HASH_TIME_COST"]) >= (65536, 3)
        client = app.test_client()
        timings = {"wrong password": [], "unknown user": []}
        for _ in range(3):
            for kind, username in (("wrong password", "reza"), ("unknown user", "nobody")):
                started = time.perf_counter()
                response = client.post("/api/v1/auth/login", json={"username": username, "password": "guess",
                                                                   "device_id": "d"})
                timings[kind].append(time.perf_counter() - started)
                assert response.status_code == 401
        # An unknown user costs a hash check too: timing does not reveal which usernames exist.
        assert statistics.median(timings["unknown user"]) > 0.3 * statistics.median(timings["wrong password"])
    finally:
        db.close()
        from tests.helpers import FAST_HASHING

        users.configure_hasher(FAST_HASHING["PASSWORD_HASH_TIME_COST"], FAST_HASHING["PASSWORD_HASH_MEMORY_KIB"])
    for path in Path(app.config["DATABASE"]).parent.glob("fieldsync.db*"):
        assert secret.encode() not in path.read_bytes(), path.name


def start(folder):
    process = ServerProcess(folder / "instance").start()
    create_users(server_database(process), [("reza", "engineer", [TEHRAN]), ("sara", "supervisor", [TEHRAN])]
                 + [(f"user{i}", "engineer", [TEHRAN]) for i in range(25)])
    return process


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = start(tmp_path_factory.mktemp("security"))
    yield process
    process.stop()


@pytest.fixture
def throttled_server(tmp_path):
    """A server of its own: after this test, 127.0.0.1 may not log in for the window."""
    process = start(tmp_path)
    yield process
    process.stop()


def burst(server, attempts, console=False):
    """Send the logins (API, or the console's form) all at once; returns the statuses."""
    statuses, start = [], threading.Barrier(len(attempts))

    def attempt(username, password, device):
        if console:
            opener, token = console_form(server)
            start.wait()
            data = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token})
            try:
                statuses.append(opener.open(server.url + "/console/login", data=data.encode()).status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
            return
        start.wait()
        status, _ = HttpTransport(server.url).request("POST", "/api/v1/auth/login", body={
            "username": username, "password": password, "device_id": device})
        statuses.append(status)

    threads = [threading.Thread(target=attempt, args=a) for a in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_parallel_guesses_get_exactly_the_allowed_attempts(throttled_server):
    """Found here: a burst of parallel guesses all passed the throttle check before any failure
    was recorded (10 guesses of 30 instead of 5 with 2 workers x 4 threads). Attempts are now
    counted in the write transaction that checks the throttle, before the password check."""
    statuses = burst(throttled_server, [("reza", f"guess {i}", f"phone-{i}") for i in range(30)])
    assert statuses == [401] * 5 + [429] * 25
    assert burst(throttled_server, [("reza", PASSWORD, "phone-right")]) == [429]  # the right one waits too
    # The console's login form shares the rule and the count.
    statuses = burst(throttled_server, [("sara", f"guess {i}", None) for i in range(12)], console=True)
    assert statuses == [401] * 5 + [429] * 7
    # Per address: many accounts from one place, twenty failures in all (ten spent above).
    statuses = burst(throttled_server, [(f"user{i % 25}", f"guess {i}", f"device-{i}") for i in range(40)])
    assert statuses == [401] * 10 + [429] * 30


def test_successful_logins_do_not_count_against_an_address(server):
    """An office behind one address logs in all morning: only failures count."""
    for i in range(30):
        status, body = HttpTransport(server.url).request("POST", "/api/v1/auth/login", body={
            "username": "sara", "password": PASSWORD, "device_id": f"office-{i}"})
        assert status == 200, (i, body)


def test_every_console_page_carries_the_security_headers(app, client, make_user):
    from server.console.web import SECURITY_HEADERS

    make_user("root", "admin", [])
    admin = ConsoleUser(client, "root")
    pages = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or "GET" not in rule.methods or rule.arguments:
            continue
        response = admin.get(rule.rule)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (rule.rule, name)
        assert response.headers["Cache-Control"] == "no-store", rule.rule
        pages += 1
    for path in ("/console/units/no-such-unit", "/console/visits/x", "/console/no-such-page"):  # error pages too
        response = admin.get(path)
        assert response.status_code == 404 and response.headers["X-Frame-Options"] == "DENY", path
    assert pages >= 8


def console_form(server, jar=None):
    """A browser-like opener with a console session, and the CSRF token of its login form."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar or http.cookiejar.CookieJar()))
    return opener, csrf_of(opener.open(server.url + "/console/login").read().decode())


def console_login(server, username, password):
    """Log in to the console over HTTP like a browser: cookie jar, CSRF token from the form."""
    jar = http.cookiejar.CookieJar()
    opener, token = console_form(server, jar)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token})
    try:
        opener.open(server.url + "/console/login", data=data.encode())
    except urllib.error.HTTPError as error:  # a wrong password answers 401 with the form again
        assert error.code in (401, 429)
    return [cookie.value for cookie in jar]


def test_no_secret_token_or_password_reaches_the_log(server, tmp_path):
    """Everything the server printed while serving logins (right and wrong), refreshes, pushes,
    pulls and console sessions holds none of the passwords, tokens, cookies or signing key."""
    secrets = {SECRET, PASSWORD, (server.instance / "initial_admin_password").read_text().strip()}
    assert (server.instance / "initial_admin_password").stat().st_mode & 0o077 == 0
    for i in range(3):
        secrets.add(f"wrong password {i} for the log test")
        HttpTransport(server.url).request("POST", "/api/v1/auth/login", body={
            "username": "user3", "password": f"wrong password {i} for the log test", "device_id": "log-test"})
    phone = Device(str(tmp_path / "phone.sqlite"), HttpTransport(server.url))
    phone.login("user4", PASSWORD)
    phone.refresh()
    phone.create_unit({"name": "واحد", "province_id": TEHRAN})
    phone.sync()
    secrets |= {phone._get("access_token"), phone._get("refresh_token")}
    secrets |= {t.split(".")[2] for t in (phone._get("access_token"), phone._get("refresh_token"))}
    HttpTransport(server.url).request("GET", "/api/v1/units", token=phone._get("access_token") + "tampered")
    secrets |= set(console_login(server, "sara", PASSWORD))
    console_login(server, "sara", "a wrong console password")
    secrets.add("a wrong console password")
    phone.close()
    log = server.log.read_text(errors="replace")
    assert "Listening at" in log  # the log is the server's output indeed
    leaked = [s[:12] + "…" for s in secrets if s and s in log]
    assert leaked == [], leaked
    assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}\.", log), "something shaped like a JWT is in the log"
