"""A visit is checked against exactly the template version it names, and stored cleaned."""

import pytest

from sync import checklists
from sync.migrations import UNIT_STATUSES
from sync.taxonomy import default_taxonomy, validate_taxonomy
from sync.templates import default_template, example_answers, validate_answers, validate_definition
from tests.checklist_helpers import new_unit, obstacle, record, results
from tests.helpers import DIAGNOSIS_V1, diagnosis_answers


@pytest.mark.parametrize("status", UNIT_STATUSES)
def test_default_template_is_easy_to_fill_from_code(status):
    assert validate_definition(default_template()) == [] and validate_taxonomy(default_taxonomy()) == []
    answers = example_answers(default_template(), {"unit_status": status, "employees_now": 4})
    assert validate_answers(default_template(), answers) == {}
    assert checklists.observations(answers) == {"status": status, "employees": 4, "capacity": 0}


def test_rejection_names_each_bad_question(phone, supervisor):
    device = phone("ali")
    unit = new_unit(device)
    answers = diagnosis_answers(employees_now="دوازده", unit_status="sleeping")
    del answers["summary"]
    record(device, unit, answers=answers, obstacles=[obstacle(area="market")])
    device.sync()
    error = device.rejected()[0]["error"]
    assert error["message"] == "The visit does not match its template or the obstacle taxonomy."
    fields = error["details"]["fields"]
    assert fields["answers.employees_now"] == ["must be a whole number"]
    assert fields["answers.unit_status"][0].startswith("'sleeping' is not one of the choices")
    assert fields["answers.summary"] == ["this question is required"]
    assert fields["obstacles[0].group"] == ["group 'finance.working_capital' belongs to area 'finance', not 'market'"]
    assert supervisor.get("/api/v1/visits")[1]["total"] == 0


def test_unknown_template_version_lists_the_published_ones(phone):
    device = phone("ali")
    record(device, new_unit(device), template={"code": "diagnosis", "version": 7})
    device.sync()
    assert device.rejected()[0]["error"]["details"]["fields"] == {
        "template": ["No published template diagnosis version 7. Published versions: [1]."]}


def test_stored_visit_is_cleaned_and_observations_copied(phone, supervisor, db):
    device = phone("ali")
    unit = new_unit(device)
    answers = diagnosis_answers(unit_status="active", employees_now=30, capacity_utilisation=72.5,
                                status_since="2024-01-01", respondent_phone="   ")  # hidden, blank
    visit = record(device, unit, answers=answers, location={"lat": 35.7, "lon": 51.4})
    device.sync()
    detail = supervisor.get(f"/api/v1/visits/{visit}")[1]
    assert "status_since" not in detail["answers"] and "respondent_phone" not in detail["answers"]
    assert detail["template"] == DIAGNOSIS_V1 and detail["location"] == {"lat": 35.7, "lon": 51.4}
    assert detail["obstacles"] == [] and detail["unit_name"] == "صنایع غذایی مهر"
    assert db.execute("SELECT observed_status, observed_employees, observed_capacity FROM visits").fetchone() == (
        "active", 30, 72.5)

    # The same visit sent again (a reinstalled app, new mutation ids) is recognised.
    again = device.acked()[max(device.acked())]
    mutation = {**_sent(device, visit), "mutation_id": 99}
    status, body = device.transport.request("POST", "/api/v1/sync/push", body={"mutations": [mutation]},
                                            token=device._get("access_token"))
    assert status == 200 and body["results"][0]["status"] == "applied"
    assert body["results"][0]["visit_id"] == again["visit_id"] == visit


def _sent(device, visit_id):
    """The create_visit mutation the device sent for ``visit_id``, rebuilt from its local copy."""
    visit = device.visits()[visit_id]
    return {"type": "create_visit", "visit_id": visit_id, "unit_id": visit["unit_id"],
            "observed_at": "2026-03-01T06:00:00Z", **visit["content"]}


def test_dates_are_checked_against_the_day_of_the_visit_in_tehran(phone, clock):
    device = phone("ali")
    clock.advance(hours=15)  # 21:30 UTC: the visits below lie in the past (a future time is clamped)
    unit = new_unit(device)
    # 00:30 on 2 March in Tehran (still 1 March in UTC): "since today" is the 2nd.
    late_night = record(device, unit, observed="2026-03-01T21:00:00Z",
                        answers=diagnosis_answers(unit_status="stalled", status_since="2026-03-02"))
    future = record(device, unit, observed="2026-03-01T08:00:00Z",
                    answers=diagnosis_answers(unit_status="closed", status_since="2026-09-01",
                                              followup_needed=True, followup_date="2026-02-20"))
    device.sync()
    assert [r["visit_id"] for r in results(device) if r["status"] == "applied" and "visit_id" in r] == [late_night]
    assert device.rejected()[0]["mutation"]["visit_id"] == future
    assert device.rejected()[0]["error"]["details"]["fields"] == {
        "answers.status_since": ["must not be after the day of the visit (2026-03-01)"],
        "answers.followup_date": ["must not be before the day of the visit (2026-03-01)"]}
