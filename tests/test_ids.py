"""Ids of new records are time-ordered (UUIDv7), so the store's indexes grow at their end."""

import uuid

from tests.checklist_helpers import new_unit, obstacle, record
from tests.helpers import create_unit_mutation, unit_fields, visit_mutation


def _version(value: str) -> int:
    return uuid.UUID(value).version


def test_the_reference_client_names_what_it_records_with_time_ordered_ids(phone, supervisor):
    device = phone("ali")
    units = [new_unit(device, name=f"کارخانه {n}") for n in range(3)]
    visits = [record(device, unit, obstacles=[obstacle(), obstacle("legal.tax")]) for unit in units]
    device.sync()
    assert {_version(i) for i in units + visits} == {7}
    assert units == sorted(units) and visits == sorted(visits)  # later records sort later
    status, body = supervisor.get("/api/v1/obstacles", params={"unit_id": units[0]})
    assert status == 200
    named = [o["id"] for o in body["items"]]
    assert len(named) == 2 and {_version(i) for i in named} == {7}


def _pushed_obstacle_ids(engineer, visit_id: str, mutation_id: int, unit_id: str) -> list[str]:
    status, body = engineer.post("/api/v1/sync/push", {"mutations": [visit_mutation(
        mutation_id, visit_id, unit_id, obstacles=[obstacle(), obstacle("legal.tax")])]})
    assert status == 200 and body["results"][0]["status"] == "applied", body
    status, pulled = engineer.get("/api/v1/sync/pull")
    assert status == 200
    return [o["id"] for o in pulled["obstacles"] if o["opened_visit_id"] == visit_id]


def test_obstacles_sent_without_ids_follow_their_visits_order(engineer):
    unit = str(uuid.uuid4())
    status, _ = engineer.post("/api/v1/sync/push", {"mutations": [create_unit_mutation(1, unit, unit_fields())]})
    assert status == 200

    # A time-ordered visit id: its obstacles get ids with the visit's milliseconds first
    # (RFC 9562 version 8), so they too go at the end of the obstacle indexes.
    ordered = "01933a7e-8c00-7abc-9def-0123456789ab"
    derived = _pushed_obstacle_ids(engineer, ordered, 2, unit)
    assert len(derived) == 2 and len(set(derived)) == 2
    assert {_version(i) for i in derived} == {8}
    assert {i[:13] for i in derived} == {ordered[:13]}  # 48 bits of milliseconds: 12 hex digits and a dash

    # Any other id (ODK Collect's are random): name-based ids as before, so a store's
    # existing obstacles and a resend of an old visit keep their ids.
    random_id = "5b0f1d9e-3c1a-4f6e-9a2b-7c8d9e0f1a2b"
    derived = _pushed_obstacle_ids(engineer, random_id, 3, unit)
    assert sorted(derived) == sorted(str(uuid.uuid5(uuid.UUID("4c1f5a0e-93b5-4b63-9f0e-5a1d2c7e8b90"),
                                                    f"{random_id}/1/{position}")) for position in (0, 1))
