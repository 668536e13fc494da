"""The authorisation matrix, generated from the route table.

Every route of ``app.url_map`` (API and console) is called by every persona — anonymous, an
engineer, a supervisor and an admin, each of the records' own province (Tehran) or of
another (Fars) — and, for the API, with every kind of bad token. What each persona must get
follows from the view's declared ``access_rule`` and from the route's entry in ROUTES,
which says which records its path names and whether they are scoped to a province:

* anonymous: 401 ``token_missing`` (API) or a redirect to the console login;
* a role the rule does not name: 403;
* a role it names: never 401/403 on its own province's records, and 200 on its GETs;
* another province: a scoped record is 404/403 (console: 404), a scoped action changes
  nothing, and no 2xx answer anywhere carries the other province's records (markers);
* a bad token — expired, tampered, signed with another key, unsigned, a refresh token used
  as an access token (and the reverse), a revoked device, a deactivated user — 401 with its
  code, on every protected route.

A route missing from ROUTES, or without ``access_rule``, fails the suite: adding a route
means saying here who may call it.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from sync import users
from sync.client import Device
from sync.odk import keys
from sync.store import write
from tests.conftest import Api
from tests.helpers import PASSWORD, SECRET, FlaskTransport, diagnosis_answers, fake_photo, table_counts
from tests.test_console_helpers import ConsoleUser, csrf_of

TEHRAN, FARS = 8, 17
MARKER = {TEHRAN: "نشانگر-تهران-TEHRAN-MARKER", FARS: "نشانگر-فارس-FARS-MARKER"}


@dataclass(frozen=True)
class Route:
    """How to call a route: ``scoped`` — its path names a province's record (the other
    province must not reach it); ``body``/``form`` — a valid request, sent by personas that
    must be refused (so a refusal is not a validation error); ``query`` — extra parameters."""

    scoped: bool = False
    body: dict | None = None
    form: dict | None = None
    query: dict = field(default_factory=dict)
    merged: bool = False  # the path names the merged-away unit (unmerge)
    path: dict = field(default_factory=dict)  # path parameters of its own (a file name)


CSV = {"format": "csv"}
ROUTES = {
    # --- API
    "health.health": Route(),
    "auth.login": Route(body={"username": "nobody", "password": "x", "device_id": "x"}),
    "auth.me": Route(),
    "auth.refresh": Route(),
    "sync.push_batch": Route(body={"mutations": []}),
    "sync.pull_page": Route(),
    "units.list_units": Route(),
    "units.get_unit": Route(scoped=True),
    "units.merge_units": Route(scoped=True, body="merge"),
    "units.unmerge_unit": Route(scoped=True, merged=True, body={}),
    "stats.unit_history": Route(scoped=True),
    "review.list_visits": Route(),
    "review.get_visit": Route(scoped=True),
    "review.review_visit": Route(scoped=True, body={"action": "approve"}),
    "review.visit_thread": Route(scoped=True),
    "review.comment_visit": Route(scoped=True, body={"text": "نظر"}),
    "review.visit_versions": Route(scoped=True),
    "review.list_conflicts": Route(),
    "review.resolve_conflict": Route(scoped=True, body={"decision": "flip"}),
    "review.list_dead_letters": Route(),
    "reference.provinces": Route(),
    "reference.cities": Route(),
    "reference.parks": Route(),
    "admin.list_users": Route(),
    "admin.create_user": Route(body={"username": "made-by-matrix", "password": "long enough", "role": "admin"}),
    "admin.get_user": Route(),
    "admin.update_user": Route(body={"active": False}),
    "admin.list_devices": Route(),
    "admin.revoke_device": Route(body={}),
    "admin.list_audit": Route(),
    "templates.list_templates": Route(),
    "templates.upload_template": Route(body={"definition": {}}),
    "templates.latest_template": Route(),
    "templates.get_template": Route(),
    "templates.publish_template": Route(body={}),
    "templates.retire_template": Route(body={}),
    "templates.get_taxonomy": Route(),
    "templates.put_taxonomy": Route(body={"document": {}}),
    "stats.list_obstacles": Route(),
    "stats.get_obstacle": Route(scoped=True),
    "stats.units_by_status": Route(),
    "stats.revivals": Route(),
    "stats.obstacle_counts": Route(),
    "stats.visits_per_week": Route(),
    "attachments.put_chunk": Route(),
    "attachments.chunk_status": Route(),
    "attachments.download": Route(scoped=True),
    "attachments.missing": Route(),
    "duplicates.list_duplicates": Route(),
    "duplicates.get_duplicate": Route(scoped=True),
    "duplicates.decide_duplicate": Route(scoped=True, body={"decision": "distinct"}),
    "exports.export_visits": Route(query=CSV),
    "exports.export_obstacles": Route(query=CSV),
    "exports.export_units": Route(query=CSV),
    "templates.import_xlsform": Route(body={}),
    "templates.export_xlsform": Route(),
    "templates.export_xform": Route(),
    # --- OpenRosa (a Collect key in the path: engineers'; see call())
    "openrosa.form_list": Route(),
    "openrosa.form_xml": Route(),
    "openrosa.manifest": Route(),
    "openrosa.media_file": Route(),
    "openrosa.integrity": Route(query={"id": "no-such-unit"}),
    "openrosa.submission_head": Route(),
    "openrosa.submission": Route(body={}),
    # --- console (sessions; actions answer with a redirect, so "changes nothing" is checked)
    "console.login": Route(),
    "console.logout": Route(form={}),
    "console.set_language": Route(form={"lang": "fa"}),
    "console.static": Route(),
    "console.not_found": Route(),
    "console.home": Route(),
    "console.queue": Route(),
    "console.units": Route(),
    "console.unit": Route(scoped=True),
    "console.unmerge": Route(scoped=True, merged=True, form={}),
    "console.visit": Route(scoped=True),
    "console.comment": Route(scoped=True, form={"text": "نظر"}),
    "console.decide": Route(scoped=True, form={"action": "approve"}),
    "console.resolve_conflict": Route(scoped=True, form={"decision": "flip"}),
    "console.attachment": Route(scoped=True),
    "console.dashboard": Route(),
    "console.exports": Route(),
    "console.export": Route(),
    "console.duplicates": Route(),
    "console.duplicate": Route(scoped=True),
    "console.decide_duplicate": Route(scoped=True, form={"decision": "distinct"}),
    "console.admin": Route(),
    "console.create_user": Route(form={"username": "made-in-console", "password": "long enough", "role": "admin"}),
    "console.set_active": Route(form={"active": "0"}),
    "console.revoke_device": Route(form={}),
    "console.obstacles": Route(),
    "console.conflicts_page": Route(),
    "console.revisits_page": Route(),
    "console.map": Route(),
    "console.map_data": Route(),
    "console.photos": Route(),
    "console.photo": Route(scoped=True),
    "console.photos_zip": Route(),
    "console.bulk_approve": Route(form={"visit": "no-such-visit"}),
    "console.save_filter": Route(form={"page": "queue", "name": "matrix", "query": ""}),
    "console.delete_filter": Route(form={"page": "queue"}),
    "console.edit_user": Route(form={"role": "admin"}),
    "console.collect": Route(),
    "console.issue_key": Route(form={"user_id": "999999", "label": "matrix"}),
    "console.revoke_key": Route(form={}),
    # --- the field app and the fonts (public: the shell opens before anyone logs in)
    "fieldapp.index": Route(),
    "fieldapp.manifest": Route(),
    "fieldapp.service_worker": Route(),
    "fieldapp.static": Route(path={"filename": "app.js"}),
    "vendor.asset": Route(path={"filename": "vazirmatn/OFL.txt"}),
}
# Routes outside the matrix: the spec (public by design) and Flask's own static folder.
UNLISTED = {"api-docs.openapi_json", "static"}
# What an allowed GET answers when not 200: the console's 404 page, its login page for
# someone logged in already (a redirect home).
GET_ANSWERS = {"console.not_found": (404,), "console.login": (200, 302), "openrosa.submission_head": (204,),
               # The sweep's admin retires diagnosis v1 on its way (templates.retire_template), and a
               # form list without a published version has no form to serve.
               **dict.fromkeys(("openrosa.form_xml", "openrosa.manifest", "openrosa.media_file"), (200, 404))}
# The key in OpenRosa paths, replaced by the caller's own Collect key (or one that is no key).
KEY_PLACEHOLDER = "collect-key-of-the-caller"
LOGINS = {"auth.login", "console.login"}
# What allowed callers' actions name: records that do not exist, so that an action passes the
# access gate (anything but 401/403) without changing what the other checks rely on.
NOWHERE = {"unit": "no-such-unit", "merged": "no-such-unit", "visit": "no-such-visit", "conflict": 999_999,
           "obstacle": "no-such-obstacle", "photo": "f" * 64, "candidate": 999_999}
NOBODY = {"user": 999_999, "device": "no-such-device"}

PERSONAS = {  # name → (username, role, provinces); None: anonymous
    "anonymous": None,
    "engineer": ("reza", "engineer", [TEHRAN]),
    "engineer, other province": ("omid", "engineer", [FARS]),
    "supervisor": ("sara", "supervisor", [TEHRAN]),
    "supervisor, other province": ("farid", "supervisor", [FARS]),
    "admin": ("root", "admin", []),
}


@dataclass
class World:
    """The seeded records, per province, and a logged-in caller per persona."""

    records: dict  # province → {"unit", "merged", "visit", "conflict", "obstacle", "photo", "candidate"}
    spare: dict  # records no persona depends on: "user", "device"
    api: dict  # persona → Api (None for anonymous)
    console: dict  # persona → ConsoleUser
    tokens: dict  # persona → login answer (access and refresh tokens)
    collect: dict  # persona → Collect key (engineers)


def seed_province(client, tmp_path, make_user, db, province, name, reviewer):
    """A phone of ``name`` records a unit (and a twin that a supervisor merges away), a visit
    with a photo and obstacles, and a concurrent edit that conflicts with ``reviewer``'s."""
    phone = Device(str(tmp_path / f"{name}.sqlite"), FlaskTransport(client))
    phone.login(name, PASSWORD)
    photo = tmp_path / f"{name}.jpg"
    photo.write_bytes(fake_photo(__import__("random").Random(province), 2000))
    sha = phone.attach(str(photo))
    unit = phone.create_unit({"name": f"{MARKER[province]} واحد", "province_id": province, "employees": 3,
                              "phone": "021-5556677"})
    twin = phone.create_unit({"name": f"{MARKER[province]} دوقلو", "province_id": province})
    visit = phone.record_visit(unit, diagnosis_answers(summary=MARKER[province], photos=[sha]),
                               [{"area": "finance", "group": "finance.working_capital", "severity": "high",
                                 "description": MARKER[province], "responsible_body": "bank"}],
                               template={"code": "diagnosis", "version": 1})
    for spelling in ("صنایع غذایی مهر", "صنايع غذايي مهر"):  # the dedup engine merges these: a candidate
        phone.create_unit({"name": spelling, "province_id": province})
    phone.sync()
    second = Device(str(tmp_path / f"{name}-tablet.sqlite"), FlaskTransport(client))
    second.login(name, PASSWORD, "tablet")
    second.pull()
    phone.update_unit(unit, {"employees": 4})
    second.update_unit(unit, {"employees": 5})
    phone.sync()
    second.sync()
    status, _ = reviewer.post("/api/v1/merges", {"winner_id": unit, "loser_id": twin})
    assert status == 200
    records = {"unit": unit, "merged": twin, "visit": visit, "photo": sha}
    records["conflict"] = db.execute("SELECT id FROM conflicts WHERE unit_id = ?", [unit]).fetchone()[0]
    records["obstacle"] = db.execute("SELECT obstacle_id FROM visit_obstacles WHERE visit_id = ?",
                                     [visit]).fetchone()[0]
    candidate = db.execute("SELECT c.id FROM dedup_candidates c JOIN units u ON u.id = c.unit_a"
                           " WHERE u.province_id = ? LIMIT 1", [province]).fetchone()
    records["candidate"] = candidate[0] if candidate else None
    phone.close()
    second.close()
    return records


@pytest.fixture
def world(client, tmp_path, make_user, db, clock):
    api, console, tokens, collect = {}, {}, {}, {}
    for persona, account in PERSONAS.items():
        if account is None:  # with the CSRF token of an anonymous session, to reach the access gate
            api[persona], console[persona] = None, ConsoleUser(client.application.test_client())
            console[persona].csrf = csrf_of(console[persona].get("/console/login").get_data(as_text=True))
            continue
        username, role, provinces = account
        make_user(username, role, provinces)
        response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD,
                                                           "device_id": f"matrix-{username}"})
        tokens[persona] = response.get_json()
        api[persona] = Api(client, tokens[persona]["access_token"], tokens[persona]["user"], f"matrix-{username}")
        console[persona] = ConsoleUser(client.application.test_client(), username)
        if role == "engineer":  # Collect keys are issued to engineers
            with write(db, clock()) as tx:
                collect[persona] = keys.issue(tx, tokens[persona]["user"]["id"], persona)[1]
    records = {TEHRAN: seed_province(client, tmp_path, make_user, db, TEHRAN, "reza", api["supervisor"]),
               FARS: seed_province(client, tmp_path, make_user, db, FARS, "omid", api["supervisor, other province"])}
    spare_user = make_user("spare", "engineer", [TEHRAN])
    response = client.post("/api/v1/auth/login", json={"username": "spare", "password": PASSWORD,
                                                       "device_id": "spare-device"})
    assert response.status_code == 200
    return World(records, {"user": spare_user["id"], "device": "spare-device"}, api, console, tokens, collect)


def fill(rule, records: dict, spare: dict, route: Route) -> str:
    """The URL of ``rule`` with its parameters naming ``records`` (one province's)."""
    values = {
        "unit_id": records["merged"] if route.merged else records["unit"], "visit_id": records["visit"],
        "conflict_id": records["conflict"], "obstacle_id": records["obstacle"], "sha": records["photo"],
        "sha256": records["photo"], "candidate_id": records["candidate"] or 999_999,
        "user_id": spare["user"], "device_id": spare["device"], "code": "diagnosis", "version": 1,
        "kind": "visits", "fmt": "csv", "filename": "console.css", "anything": "no-such-page",
        "key": KEY_PLACEHOLDER, "form_id": "diagnosis", "name": "units.csv", "key_id": 999_999,
        "filter_id": 999_999,
    }
    values.update(route.path)
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: say in fill() which record the parameter(s) {missing} name"
    return rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNLISTED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_in_the_matrix_with_an_access_rule(app):
    unknown = sorted({r.endpoint for r, _ in routes(app)} - set(ROUTES))
    assert unknown == [], f"new routes: add them to ROUTES in tests/test_authz_matrix.py: {unknown}"
    stale = sorted(set(ROUTES) - {r.endpoint for r, _ in routes(app)})
    assert stale == [], f"ROUTES names routes that no longer exist: {stale}"
    for rule, _ in routes(app):
        assert hasattr(app.view_functions[rule.endpoint], "access_rule"), rule.rule


def state(db) -> tuple:
    """Everything a refused action could have changed."""
    return (table_counts(db),
            db.execute("SELECT id, status FROM conflicts ORDER BY id").fetchall(),
            db.execute("SELECT id, review_state, version FROM visits ORDER BY id").fetchall(),
            db.execute("SELECT id, merged_into, name FROM units ORDER BY id").fetchall(),
            db.execute("SELECT id, active, role FROM users ORDER BY id").fetchall(),
            db.execute("SELECT id, revoked_at FROM devices ORDER BY id").fetchall(),
            db.execute("SELECT status FROM dedup_candidates ORDER BY id").fetchall())


def call(world: World, persona: str, rule, method: str, url: str, route: Route, valid: bool):
    """One request as ``persona``: the API with its bearer token, the console with its session."""
    query = dict(route.query)
    if rule.endpoint.startswith("openrosa."):
        key = world.collect.get(persona, "no-key-of-this-caller-at-all")
        return world.api["admin"].client.open(url.replace(KEY_PLACEHOLDER, key), method=method,
                                              query_string=query, headers={"X-OpenRosa-Version": "1.0"},
                                              data={} if method == "POST" else None)
    if rule.endpoint.startswith("console."):
        user = world.console[persona]
        if method == "GET":
            return user.get(url, query_string=query)
        form = dict(route.form or {}) if valid else {}
        return user.post(url, form, csrf=user.csrf is not None) if user.csrf else user.client.post(url, data=form)
    api = world.api[persona]
    headers = {}
    if api is not None:
        token = world.tokens[persona]["refresh_token" if rule.endpoint == "auth.refresh" else "access_token"]
        headers["Authorization"] = f"Bearer {token}"
    body = route.body if valid else {"not a field": True}
    if body == "merge":  # the Tehran unit and its merged-away twin
        body = {"winner_id": world.records[TEHRAN]["unit"], "loser_id": world.records[TEHRAN]["merged"]} \
            if valid else {"winner_id": "no-such-unit", "loser_id": "no-such-unit-either"}
    return world.api["admin"].client.open(url, method=method, json=body if method != "GET" else None,
                                          query_string=query, headers=headers)


def expect_refusal(response, rule, persona, anonymous: bool) -> None:
    if rule.endpoint.startswith("openrosa."):  # without a key of one's own: an unknown key
        assert response.status_code == 401, (rule.rule, persona, response.status_code)
        assert response.headers["X-Fieldsync-Error-Code"] == "unauthorized", (rule.rule, persona)
        return
    if rule.endpoint.startswith("console."):
        if anonymous:
            assert response.status_code == 302 and "/console/login" in response.headers["Location"], \
                (rule.rule, persona, response.status_code)
        else:
            assert response.status_code == 403, (rule.rule, persona, response.status_code)
        return
    code = "token_missing" if anonymous else "forbidden"
    assert response.status_code == (401 if anonymous else 403), (rule.rule, persona, response.status_code)
    assert response.get_json()["error"]["code"] == code, (rule.rule, persona)


def test_who_may_call_what(app, world, db):
    """Role checks for every route and persona, then province scope for every scoped route."""
    checked = 0
    other = {"engineer, other province", "supervisor, other province"}
    for rule, method in routes(app):
        route = ROUTES[rule.endpoint]
        access = app.view_functions[rule.endpoint].access_rule
        for persona, account in PERSONAS.items():
            allowed = access["public"] or (account is not None and account[1] in access["roles"])
            # Own-province callers (and everyone on unscoped routes) see the Tehran records.
            province = FARS if persona in other and not route.scoped else TEHRAN
            url = fill(rule, world.records[province], world.spare, route)
            before = state(db)
            if not allowed:
                expect_refusal(call(world, persona, rule, method, url, route, valid=True), rule, persona,
                               account is None)
                assert state(db) == before, (rule.rule, persona, "a refused request changed the store")
            elif persona in other and route.scoped:
                response = call(world, persona, rule, method, url, route, valid=True)
                if rule.endpoint.startswith("console.") and method == "POST":
                    assert response.status_code in (302, 404), (rule.rule, persona, response.status_code)
                else:
                    assert response.status_code in (403, 404), (rule.rule, persona, response.status_code)
                assert state(db) == before, (rule.rule, persona, "another province's record was changed")
            else:
                # Allowed: GETs succeed; actions name nothing that exists and carry an invalid
                # body, so they pass the gate and change nothing.
                if method != "GET":
                    url = fill(rule, NOWHERE, NOBODY, route)
                response = call(world, persona, rule, method, url, route, valid=False)
                if rule.endpoint not in LOGINS:  # a login refuses a wrong password with 401, rightly
                    assert response.status_code not in (401, 403), (rule.rule, persona, response.status_code)
                if method == "GET":
                    assert response.status_code in GET_ANSWERS.get(rule.endpoint, (200,)), \
                        (rule.rule, persona, response.status_code)
                if rule.endpoint == "console.logout":
                    world.console[persona].login(account[0])
            checked += 1
    assert checked > 6 * 75


def test_no_answer_carries_another_provinces_records(app, world):
    """Every 2xx answer to a caller of one province is free of the other province's markers
    and record ids (lists, exports, stats, pull)."""
    scoped_ids = {p: {str(v) for k, v in r.items() if k in ("unit", "visit", "merged") and v}
                  for p, r in world.records.items()}
    answered = 0
    for persona, account in PERSONAS.items():
        if account is None or account[1] == "admin":
            continue
        province = account[2][0]
        foreign = FARS if province == TEHRAN else TEHRAN
        for rule, method in routes(app):
            route = ROUTES[rule.endpoint]
            if method != "GET" or route.scoped:
                continue
            url = fill(rule, world.records[province], world.spare, route)
            response = call(world, persona, rule, method, url, route, valid=True)
            if response.status_code != 200:
                continue
            text = response.get_data().decode("utf-8", "replace")
            assert MARKER[foreign] not in text, (rule.rule, persona)
            assert not [i for i in scoped_ids[foreign] if i in text], (rule.rule, persona)
            answered += 1
    assert answered > 60


def forgeries(token: str) -> dict:
    """A valid token made bad in each way a forger would try, by the 401 code each must get."""
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    past = int((datetime.now(UTC) - timedelta(hours=1)).timestamp())
    header, payload, signature = token.split(".")
    flipped = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    return {
        "expired": (jwt.encode({**claims, "exp": past, "xp": past}, SECRET, algorithm="HS256"), "token_expired"),
        "tampered": (".".join([header, flipped, signature]), "token_invalid"),
        "signed with another key": (jwt.encode(claims, "another key, long enough for HS256 use", algorithm="HS256"),
                                    "token_invalid"),
        "unsigned (alg none)": (jwt.encode(claims, None, algorithm="none"), "token_invalid"),
        "garbage": ("not.a.token", "token_invalid"),
    }


def bad_tokens(world: World, db, clock) -> dict:
    """For access-token routes and for the refresh route: token → expected 401 code, by kind."""
    good = world.tokens["supervisor"]
    with write(db, clock()) as tx:
        users.revoke_device(tx, "matrix-reza")
        users.update_user(tx, world.tokens["supervisor, other province"]["user"]["id"], active=False)
    revoked, inactive = world.tokens["engineer"], world.tokens["supervisor, other province"]
    return {
        "access": {**forgeries(good["access_token"]),
                   "refresh token as access token": (good["refresh_token"], "token_invalid"),
                   "revoked device": (revoked["access_token"], "token_revoked"),
                   "deactivated user": (inactive["access_token"], "token_revoked")},
        "refresh": {**forgeries(good["refresh_token"]),
                    "access token as refresh token": (good["access_token"], "token_invalid"),
                    "revoked device": (revoked["refresh_token"], "token_revoked"),
                    "deactivated user": (inactive["refresh_token"], "token_revoked")},
    }


def test_bad_tokens_open_no_route(app, world, db, clock):
    tokens = bad_tokens(world, db, clock)
    client = world.api["admin"].client
    checked = 0
    for rule, method in routes(app):
        access = app.view_functions[rule.endpoint].access_rule
        if access["public"] or rule.endpoint.startswith(("console.", "openrosa.")):
            continue
        url = fill(rule, world.records[TEHRAN], world.spare, ROUTES[rule.endpoint])
        for kind, (token, code) in tokens["refresh" if access.get("refresh") else "access"].items():
            before = state(db)
            response = client.open(url, method=method, json={} if method != "GET" else None,
                                   headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, (rule.rule, kind, response.status_code)
            assert response.get_json()["error"]["code"] == code, (rule.rule, kind)
            assert state(db) == before
            checked += 1
    assert checked > 40 * 8


def test_bad_collect_keys_open_no_route(app, world, db, clock):
    """A revoked key, a key of a deactivated engineer or of a revoked device, a made-up key:
    401 on every OpenRosa route, nothing changed."""
    tehran, fars = world.collect["engineer"], world.collect["engineer, other province"]
    with write(db, clock()) as tx:
        keys.revoke(tx, db.execute("SELECT max(id) FROM collect_keys WHERE user_id = ?",
                                   [world.tokens["engineer"]["user"]["id"]]).fetchone()[0])
        users.update_user(tx, world.tokens["engineer, other province"]["user"]["id"], active=False)
    client, checked = world.api["admin"].client, 0
    for rule, method in routes(app):
        if not rule.endpoint.startswith("openrosa."):
            continue
        url = fill(rule, world.records[TEHRAN], world.spare, ROUTES[rule.endpoint])
        for key in (tehran, fars, "A" * 43, "x"):
            before = state(db)
            response = client.open(url.replace(KEY_PLACEHOLDER, key), method=method,
                                   headers={"X-OpenRosa-Version": "1.0"}, data={} if method == "POST" else None)
            assert response.status_code in (401, 404), (rule.rule, key, response.status_code)
            assert state(db) == before
            checked += 1
    assert checked >= 7 * 4


def test_forged_console_sessions_open_no_page(app, world):
    from flask.sessions import SecureCookieSessionInterface

    forger = app.test_client()
    serializer = SecureCookieSessionInterface().get_signing_serializer(
        type("Other", (), {"secret_key": "another secret entirely", "config": app.config})())
    cookie = serializer.dumps({"uid": world.tokens["admin"]["user"]["id"], "cred": "x", "exp": 2**40})
    forger.set_cookie("fieldsync_console", cookie, path="/console")
    for rule, method in routes(app):
        access = app.view_functions[rule.endpoint].access_rule
        if not rule.endpoint.startswith("console.") or access["public"] or method != "GET":
            continue
        url = fill(rule, world.records[TEHRAN], world.spare, ROUTES[rule.endpoint])
        response = forger.get(url)
        assert response.status_code == 302 and "/console/login" in response.headers["Location"], rule.rule
