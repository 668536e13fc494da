"""Property: whatever a device puts in a mutation — a time at either end of the calendar with
any offset, a number past 64 bits, NaN, infinity, a fraction where a whole number belongs,
text where a number belongs — the push answers 200 with one result for it, never a 5xx, and
the mutation after it in the same batch is applied: nothing can jam a device's outbox.

Every numeric field of every mutation type is drawn, found from the schemas and the
shipped diagnosis template (so a new numeric field or question is covered the day it is
added), and so is ``observed_at``.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync import templates
from sync.client import Device
from tests.helpers import PASSWORD, FlaskTransport, diagnosis_answers, unit_fields

EXTREME_NUMBERS = [2**63, -(2**63) - 1, 2**64, 10**30, -(10**30), float("nan"), float("inf"), float("-inf"),
                   1e308, -1e308, 5e-324, -0.0, 0.5, 2**62 + 0.5, True, "12", "۱۲", None]


def numeric_questions() -> list[str]:
    definition = templates.default_template()
    return [q["key"] for section in definition["sections"] for q in section["questions"]
            if q["type"] in templates.NUMERIC_TYPES]


# (mutation type, path of a numeric field inside it)
NUMERIC_PATHS = (
    [("create_unit", f"fields.{f}") for f in ("province_id", "city_id", "park_id", "employees")]
    + [("create_unit", "fields.location.lat"), ("create_unit", "fields.location.lon")]
    + [("update_unit", p) for p in ("base_seq", "fields.employees", "fields.province_id", "fields.location.lat")]
    + [("create_visit", p) for p in ("template.version", "location.lat", "location.lon")]
    + [("create_visit", f"answers.{key}") for key in numeric_questions()]
    + [("revise_visit", p) for p in ("base_version", "template.version", "location.lon")]
)

offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
times = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=offsets),
    st.sampled_from([datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=3, minutes=30))),
                     datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
                     datetime(1970, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, 6, 30, tzinfo=UTC)]),
)
times_as_sent = st.one_of(times.map(lambda t: t.isoformat()), st.sampled_from(
    ["0000-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-03-01T24:00:00Z", "+2026-03-01T00:00:00Z",
     "2026-03-01T06:30:00+25:00", "2026-03-01", "۲۰۲۶-۰۳-۰۱T۰۶:۳۰:۰۰Z", "", "now"]))


def set_path(mutation: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    node = mutation
    for part in parents:
        node = node.setdefault(part, {}) if isinstance(node.get(part), dict) or part not in node else node[part]
    node[last] = value


def base_mutation(kind: str, mutation_id: int, unit_id: str) -> dict:
    common = {"mutation_id": mutation_id, "type": kind, "observed_at": "2026-03-01T06:00:00Z"}
    if kind == "create_unit":
        return {**common, "unit_id": str(uuid.uuid4()), "fields": unit_fields(location={"lat": 35.7, "lon": 51.4})}
    if kind == "update_unit":
        return {**common, "unit_id": unit_id, "base_seq": None, "fields": {"employees": 3}}
    content = {"visit_id": str(uuid.uuid4()), "template": {"code": "diagnosis", "version": 1},
               "location": {"lat": 35.7, "lon": 51.4}, "answers": diagnosis_answers()}
    if kind == "create_visit":
        return {**common, "unit_id": unit_id, **content}
    return {**common, "base_version": 1, **content}


class Pusher:
    """One engineer's device id with a running mutation counter, pushing raw JSON text."""

    def __init__(self, api, unit_id):
        self.api, self.unit_id, self.next_id = api, unit_id, 1

    def push(self, hostile: dict) -> list[dict]:
        hostile["mutation_id"] = self.next_id
        follow = {"mutation_id": self.next_id + 1, "type": "update_unit", "unit_id": self.unit_id,
                  "observed_at": "2026-03-01T06:00:00Z", "base_seq": None,
                  "fields": {"owner": f"مالک {self.next_id}"}}
        self.next_id += 2
        text = json.dumps({"mutations": [hostile, follow]}, ensure_ascii=False)  # NaN, Infinity as JSON has none
        response = self.api.client.post("/api/v1/sync/push", data=text.encode(), content_type="application/json",
                                        headers={"Authorization": f"Bearer {self.api.token}"})
        assert response.status_code == 200, (hostile, response.get_data(as_text=True)[:400])
        results = response.get_json()["results"]
        assert [r["mutation_id"] for r in results] == [hostile["mutation_id"], follow["mutation_id"]]
        assert results[1]["status"] == "applied", results[1]
        return results


def make_pusher(login, engineer_name):
    api = login(engineer_name)
    unit_id = str(uuid.uuid4())
    status, body = api.post("/api/v1/sync/push", {"mutations": [
        {"mutation_id": 1, "type": "create_unit", "unit_id": unit_id, "observed_at": "2026-03-01T06:00:00Z",
         "fields": unit_fields()}]})
    assert status == 200 and body["results"][0]["status"] == "applied"
    pusher = Pusher(api, unit_id)
    pusher.next_id = 2
    return pusher


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_any_number_in_any_numeric_field_never_jams_the_batch(login):
    pusher = make_pusher(login, "reza")

    @SETTINGS
    @given(choice=st.sampled_from(NUMERIC_PATHS), value=st.sampled_from(EXTREME_NUMBERS))
    def check(choice, value):
        kind, path = choice
        mutation = base_mutation(kind, 0, pusher.unit_id)
        set_path(mutation, path, value)
        first = pusher.push(mutation)[0]
        if first["status"] == "rejected" and first["error"]["code"] == "validation_failed":
            named = first["error"]["details"]["fields"]
            # Named by its path (a visit's answer may also break a rule of its template).
            assert path in named or any(k.split(".")[0] == path.split(".")[0] for k in named), (path, named)

    check()


def test_any_observation_time_never_jams_the_batch(login):
    pusher = make_pusher(login, "reza")

    @SETTINGS
    @given(kind=st.sampled_from(["create_unit", "update_unit", "create_visit", "revise_visit"]), sent=times_as_sent)
    def check(kind, sent):
        mutation = base_mutation(kind, 0, pusher.unit_id)
        mutation["observed_at"] = sent
        first = pusher.push(mutation)[0]
        if first["status"] == "rejected" and first["error"]["code"] == "validation_failed":
            assert list(first["error"]["details"]["fields"]) == ["observed_at"], first

    check()


def test_the_reference_client_empties_an_outbox_of_extremes(tmp_path, client, make_user, db):
    """The same, end to end through the device library: a sync empties the outbox."""
    make_user("reza")
    device = Device(str(tmp_path / "reza.sqlite"), FlaskTransport(client))
    device.login("reza", PASSWORD)
    unit = device.create_unit(unit_fields())
    for value in (2**64, float("nan"), float("inf")):
        device.update_unit(unit, {"employees": value})
    device.record_visit(unit, diagnosis_answers(employees_now=2**70), template={"code": "diagnosis", "version": 1})
    device.update_unit(unit, {"owner": "مالک آخر"})
    device.sync()
    assert device.outbox_size() == 0
    assert len(device.rejected()) == 4 and device.units()[unit]["owner"] == "مالک آخر"
    assert db.execute("SELECT owner FROM units WHERE id = ?", [unit]).fetchone()[0] == "مالک آخر"
