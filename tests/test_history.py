"""Unit history and revival, and the statistics built on the visits that count."""

import pytest

from tests.checklist_helpers import new_unit, obstacle, record, review
from tests.conftest import ISFAHAN, TEHRAN
from tests.helpers import diagnosis_answers


def observe(device, unit, status, employees, observed, **more):
    return record(device, unit, observed=observed,
                  answers=diagnosis_answers(unit_status=status, employees_now=employees,
                                            capacity_utilisation={"active": 80, "stalled": 5}.get(status, 0)),
                  **more)


@pytest.fixture
def revived(phone, supervisor):
    """A unit seen stalled with 2 employees, then active with 14: three visits, all approved."""
    device = phone("ali")
    unit = new_unit(device, park_id=supervisor.get("/api/v1/parks", {"province_id": TEHRAN})[1]["items"][0]["id"])
    visits = [observe(device, unit, "semi_active", 20, "2025-11-01T08:00:00Z"),
              observe(device, unit, "stalled", 2, "2025-12-01T08:00:00Z"),
              observe(device, unit, "active", 14, "2026-02-10T08:00:00Z")]
    device.sync()
    for visit in visits:
        review(supervisor, visit, "approve")
    return device, unit, visits


def test_unit_counted_as_revived_with_date_and_jobs(revived, supervisor):
    _, unit, visits = revived
    status, history = supervisor.get(f"/api/v1/units/{unit}/history")
    assert status == 200
    assert [(h["status"], h["employees"], h["revived"], h["jobs_back"]) for h in history["items"]] == [
        ("semi_active", 20, False, 0), ("stalled", 2, False, 0), ("active", 14, True, 12)]
    assert history["items"][2]["capacity_utilisation"] == 80

    status, body = supervisor.get("/api/v1/stats/revivals", {"start": "2026-01-01", "end": "2026-02-28"})
    assert status == 200 and (body["units"], body["jobs"]) == (1, 12)
    item = body["items"][0]
    assert (item["unit_id"], item["visit_id"], item["from_status"], item["revived_at"]) == (
        unit, visits[2], "stalled", "2026-02-10T08:00:00.000Z")
    assert supervisor.get("/api/v1/stats/revivals", {"end": "2026-02-09"})[1]["units"] == 0
    assert supervisor.get("/api/v1/stats/revivals", {"start": "2026-02-10"})[1]["units"] == 1


def test_only_approved_visits_count_unless_asked(phone, supervisor):
    device = phone("ali")
    unit = new_unit(device)
    stalled = observe(device, unit, "closed", 0, "2026-01-05T08:00:00Z")
    observe(device, unit, "active", 9, "2026-02-05T08:00:00Z")
    device.sync()
    review(supervisor, stalled, "approve")
    assert supervisor.get("/api/v1/stats/revivals")[1]["units"] == 0
    everything = supervisor.get("/api/v1/stats/revivals", {"approved_only": "false"})[1]
    assert (everything["units"], everything["jobs"]) == (1, 9)
    approved = supervisor.get(f"/api/v1/units/{unit}/history", {"approved_only": "true"})[1]["items"]
    assert [h["status"] for h in approved] == ["closed"]
    assert len(supervisor.get(f"/api/v1/units/{unit}/history")[1]["items"]) == 2


def test_units_by_status_per_province_and_park(revived, phone, supervisor, admin, engineer):
    _, unit, _ = revived
    device = phone("mina", provinces=[ISFAHAN])
    closed = new_unit(device, "آجر نسوز", province_id=ISFAHAN)
    new_unit(device, "بدون بازدید", province_id=ISFAHAN)  # never visited: status unknown
    visit = observe(device, closed, "closed", 0, "2026-01-01T08:00:00Z")
    device.sync()
    review(admin, visit, "approve")
    park = supervisor.get(f"/api/v1/units/{unit}")[1]["park_id"]
    assert supervisor.get("/api/v1/stats/units-by-status")[1]["items"] == [
        {"province_id": TEHRAN, "park_id": park, "status": "active", "units": 1}]
    rows = admin.get("/api/v1/stats/units-by-status", {"province_id": ISFAHAN})[1]["items"]
    assert sorted((r["status"] or "-", r["units"]) for r in rows) == [("-", 1), ("closed", 1)]
    status, body = engineer.get("/api/v1/stats/units-by-status")
    assert status == 403 and body["error"]["code"] == "forbidden"


def test_open_obstacles_by_area_and_group(phone, supervisor):
    device = phone("ali")
    unit = new_unit(device)
    first = record(device, unit, observed="2026-01-01T08:00:00Z", obstacles=[
        obstacle(obstacle_id="ob-1"), obstacle(obstacle_id="ob-2"), obstacle("legal.tax", obstacle_id="ob-3")])
    second = record(device, unit, observed="2026-02-01T08:00:00Z",
                    obstacles=[obstacle(obstacle_id="ob-1", resolved=True)])
    device.sync()
    review(supervisor, first, "approve")

    def counts(**params):
        rows = supervisor.get("/api/v1/stats/obstacles", params)[1]["items"]
        return {(r["area"], r["group"]): (r["open"], r["resolved"]) for r in rows}

    # The resolving visit is not approved yet: the obstacle still counts as open.
    assert counts() == {("finance", "finance.working_capital"): (2, 0), ("legal", "legal.tax"): (1, 0)}
    assert counts(approved_only="false")[("finance", "finance.working_capital")] == (1, 1)
    review(supervisor, second, "approve")
    assert counts(area="finance") == {("finance", "finance.working_capital"): (1, 1)}


def test_visits_per_week_start_on_saturday(phone, supervisor):
    device = phone("ali")
    unit = new_unit(device)
    for day in ("2026-02-13", "2026-02-14", "2026-02-20", "2026-02-21"):  # Fri, Sat, Fri, Sat
        observe(device, unit, "active", 5, f"{day}T08:00:00Z")
    device.sync()
    rows = supervisor.get("/api/v1/stats/visits-per-week", {"approved_only": "false"})[1]["items"]
    assert rows == [{"week": "2026-02-07", "visits": 1}, {"week": "2026-02-14", "visits": 2},
                    {"week": "2026-02-21", "visits": 1}]
    assert supervisor.get("/api/v1/stats/visits-per-week")[1]["items"] == []


def test_periods_and_weeks_are_tehran_days(phone, supervisor):
    device = phone("ali")
    unit = new_unit(device)
    stalled = observe(device, unit, "stalled", 2, "2025-12-01T08:00:00Z")
    # 00:30 on Saturday 10 January (20 Dey 1404) in Tehran; still Friday the 9th in UTC.
    revived = observe(device, unit, "active", 14, "2026-01-09T21:00:00Z")
    device.sync()
    for visit in (stalled, revived):
        review(supervisor, visit, "approve")

    def revived_units(**period):
        status, body = supervisor.get("/api/v1/stats/revivals", period)
        assert status == 200, body
        return body["units"]

    assert revived_units(end="2026-01-09") == 0
    assert revived_units(start="2026-01-10", end="2026-01-10") == 1
    # Supervisors type Jalali days, with Persian digits or without; a year below 1700 is Jalali.
    assert revived_units(start="1404/10/20", end="۱۴۰۴/۱۰/۲۰") == 1
    assert revived_units(start="1404-10-21") == 0
    weeks = supervisor.get("/api/v1/stats/visits-per-week")[1]["items"]
    assert weeks == [{"week": "2025-11-29", "visits": 1}, {"week": "2026-01-10", "visits": 1}]

    status, body = supervisor.get("/api/v1/stats/revivals", {"start": "2026-02-01", "end": "2026-01-01"})
    assert status == 422 and "after it ends" in body["error"]["details"]["fields"]["end"][0]
    for wrong in ("1404/13/01", "2026-02-30", "yesterday"):
        status, body = supervisor.get("/api/v1/stats/visits-per-week", {"start": wrong})
        assert status == 422 and "Jalali" in body["error"]["details"]["fields"]["start"][0], wrong


def test_tehran_weeks_follow_the_old_summer_time():
    from sync.stats import day_bounds, tehran_week

    # Until 2022 Tehran kept +04:30 in summer: 19:45 UTC on Friday 2 July 2021 was already
    # 00:15 on Saturday there; in winter the same UTC time is 23:15 on Friday.
    assert tehran_week("2021-07-02T19:45:00.000Z") == "2021-07-03"
    assert tehran_week("2021-12-31T19:45:00.000Z") == "2021-12-25"
    assert day_bounds("2026-01-10", "2026-01-10") == ("2026-01-09T20:30:00.000Z", "2026-01-10T20:30:00.000Z")


def test_a_unit_revived_stalled_again_and_revived_counts_each_revival(phone, supervisor, admin):
    device = phone("ali")
    park = supervisor.get("/api/v1/parks", {"province_id": TEHRAN})[1]["items"][0]["id"]
    unit = new_unit(device, park_id=park)
    visits = [observe(device, unit, "closed", 0, "2025-10-01T08:00:00Z"),
              observe(device, unit, "active", 14, "2025-11-01T08:00:00Z"),
              observe(device, unit, "stalled", 3, "2025-12-01T08:00:00Z"),
              observe(device, unit, "active", 10, "2026-01-15T08:00:00Z"),
              observe(device, unit, "semi_active", 12, "2026-02-15T08:00:00Z")]
    device.sync()
    for visit in visits:
        review(supervisor, visit, "approve")
    history = supervisor.get(f"/api/v1/units/{unit}/history")[1]["items"]
    assert [(h["status"], h["revived"], h["jobs_back"]) for h in history] == [
        ("closed", False, 0), ("active", True, 14), ("stalled", False, 0), ("active", True, 7),
        ("semi_active", False, 0)]
    # Each revival brought its jobs back when it happened; the unit counts once.
    body = supervisor.get("/api/v1/stats/revivals")[1]
    assert (body["units"], body["jobs"], [i["from_status"] for i in body["items"]]) == (1, 21, ["closed", "stalled"])
    period = supervisor.get("/api/v1/stats/revivals", {"start": "2025-12-01", "park_id": park})[1]
    assert (period["units"], period["jobs"]) == (1, 7)
    assert admin.get("/api/v1/stats/units-by-status", {"park_id": park})[1]["items"] == [
        {"province_id": TEHRAN, "park_id": park, "status": "semi_active", "units": 1}]
