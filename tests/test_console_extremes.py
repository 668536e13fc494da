"""Every console page and export, every query parameter it reads, every extreme value: no 500.

Generated from the route table, like the authorisation matrix: each GET route of the
console is called once as an admin to learn which query parameters it reads (the request's
``args`` record every name looked up), then once per parameter and per value below. A
value the page cannot use is named on the page (or ignored), never a 500. A stored value at
the edge of what the store can hold (a visit observed in year 1, before the push refused
such times) must not break any page either.
"""

import pytest
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from sync.store import connect
from tests.test_console_helpers import ConsoleUser, seed_console

EXTREMES = [
    "18446744073709551616", "-18446744073709551616", "9223372036854775807", "-9223372036854775808",
    "-5", "0", "۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹۹", "1e400", "NaN", "nan", "inf", "0x10", " 3 ", "",
    "0000-01-01", "1/1/1", "1404/13/40", "۱۴۰۴/۱۲/۳۰", "99999999/1/1", "9999-12-31", "0001-01-01", "1403/12/30",
    "'; DROP TABLE units; --", "<script>x</script>", "\u202e", "x" * 5000, "٫۵", "1.5",
]
# Path parameters filled from the seeded store (or a value that names nothing).
PATH_KINDS = {"kind": ["visits", "obstacles", "units", "register"], "fmt": ["csv", "xlsx", "geojson"]}


class RecordingArgs(ImmutableMultiDict):
    """Query arguments that remember every name a view asked for."""

    asked: set = set()

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        RecordingArgs.asked.add(key)
        return super().get(key, default, type)

    def __getitem__(self, key):
        RecordingArgs.asked.add(key)
        return super().__getitem__(key)

    def getlist(self, key, type=None):  # noqa: A002
        RecordingArgs.asked.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        RecordingArgs.asked.add(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    parameter_storage_class = RecordingArgs


def console_paths(app, seeded, db) -> list[str]:
    """A URL for every GET route of the console, its path filled with a seeded record."""
    values = {"visit_id": [seeded.visits["نساجی البرز"]], "unit_id": [seeded.units["نساجی البرز"]],
              "candidate_id": [str(db.execute("SELECT coalesce(max(id), 1) FROM dedup_candidates").fetchone()[0])],
              "sha256": ["0" * 64], "user_id": ["1", "999999"], **PATH_KINDS}
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or "GET" not in rule.methods:
            continue
        if rule.endpoint in ("console.static", "console.not_found", "console.login"):
            continue
        combos = [{}]
        for name in rule.arguments:
            combos = [{**c, name: v} for c in combos for v in values[name]]
        paths.extend(rule.build(c)[1] for c in combos)
    return paths


@pytest.fixture
def world(app, db, clock, client, tmp_path):
    seeded = seed_console(app, db, clock, client, tmp_path)
    app.request_class = RecordingRequest
    return seeded


def test_no_query_value_answers_500_on_any_console_page(app, db, client, world):
    admin = ConsoleUser(client, "root")
    checked = 0
    for path in console_paths(app, world, db):
        RecordingArgs.asked = set()
        response = admin.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)  # 404: no such photo
        names = sorted(RecordingArgs.asked - {"csrf_token"})
        for name in names:
            for value in EXTREMES:
                response = admin.get(path, query_string={name: value})
                assert response.status_code < 500, (path, name, value, response.get_data(as_text=True)[:300])
                checked += 1
    assert checked > 500


# A form that passes the access gate for each POST route (the value names are then learnt
# from what the view reads, as for the pages' query strings).
FORMS = {"console.create_user": {"username": "x-user", "password": "long enough", "role": "engineer",
                                 "provinces": "8"},
         "console.set_active": {"active": "0"}, "console.decide": {"action": "approve", "comment": "x"},
         "console.comment": {"text": "نظر"}, "console.decide_duplicate": {"decision": "distinct"},
         "console.resolve_conflict": {"decision": "flip"}, "console.unmerge": {},
         "console.revoke_device": {}, "console.set_language": {"lang": "fa", "next": "/console/"},
         "console.login": {"username": "root", "password": "x"}, "console.logout": {},
         "console.issue_key": {"user_id": "0", "label": "x"}, "console.revoke_key": {},
         "console.bulk_approve": {"visit": "x", "from": "/console/queue"},
         "console.save_filter": {"page": "queue", "name": "x", "query": "state=submitted"},
         "console.delete_filter": {"page": "queue"},
         "console.edit_user": {"role": "engineer", "provinces": "8", "full_name": "x", "password": ""}}
# Path values a route needs of its own: the edit page of a user who exists, so its form is read.
PATHS = {"console.edit_user": lambda db: {"user_id": str(db.execute(
    "SELECT id FROM users WHERE username = 'reza'").fetchone()[0])}}


def test_no_form_value_answers_500_on_any_console_action(app, db, client, world):
    values = {"visit_id": world.visits["نساجی البرز"], "unit_id": world.units["نساجی البرز"],
              "candidate_id": "999999", "conflict_id": "999999", "user_id": "999999", "key_id": "999999",
              "device_id": make_device_id(db), "filter_id": "999999"}
    checked = 0
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("console.") and "POST" in r.methods]
    # The login form last: its wrong passwords throttle this address, and every route logs in.
    for rule in sorted(rules, key=lambda r: r.endpoint == "console.login"):
        own = PATHS[rule.endpoint](db) if rule.endpoint in PATHS else {}
        path = rule.build({name: own.get(name, values.get(name)) for name in rule.arguments})[1]
        admin = ConsoleUser(app.test_client(), "root")
        RecordingArgs.asked = set()
        form = FORMS[rule.endpoint]
        assert admin.post(path, form).status_code < 500, path
        for name in sorted((RecordingArgs.asked | set(form)) - {"csrf_token"}):
            for value in EXTREMES:
                response = admin.post(path, {**form, name: value})
                assert response.status_code < 500, (path, name, value, response.get_data(as_text=True)[:300])
                checked += 1
    assert checked > 300


def make_device_id(db) -> str:
    return db.execute("SELECT id FROM devices ORDER BY id LIMIT 1").fetchone()[0]


def test_a_stored_time_at_the_edge_of_the_calendar_breaks_no_page(app, db, client, world):
    """Written straight into the store (the push refuses such times now): pages and exports
    of the province keep working for everyone."""
    store = connect(app.config["DATABASE"])
    visit = world.visits["نساجی البرز"]
    store.execute("UPDATE visits SET observed_at = '0001-01-02T00:00:00.000Z',"
                  " observed_at_device = '0001-01-02T00:00:00.000Z', received_at = '9999-12-30T00:00:00.000Z'"
                  " WHERE id = ?", [visit])
    store.execute("UPDATE visit_versions SET observed_at = '0001-01-02T00:00:00.000Z' WHERE visit_id = ?", [visit])
    store.conn.commit()
    store.close()
    for username in ("sara", "root"):
        user = ConsoleUser(app.test_client(), username)
        for path in console_paths(app, world, db):
            response = user.get(path)
            assert response.status_code in (200, 403, 404), (username, path, response.status_code)
