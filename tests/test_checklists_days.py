"""Days typed by people mean Tehran days wherever visits are filtered by when they were made."""

from tests.checklist_helpers import new_unit, record


def test_review_queue_days_are_tehran_days(phone, supervisor):
    device = phone("ali")
    unit = new_unit(device)
    # 00:30 on Saturday 10 January in Tehran; 21:00 on Friday the 9th in UTC.
    night = record(device, unit, observed="2026-01-09T21:00:00Z")
    device.sync()

    def queue(**days):
        status, body = supervisor.get("/api/v1/visits", days)
        assert status == 200, body
        return [v["id"] for v in body["items"]]

    assert queue(**{"from": "2026-01-10", "to": "2026-01-10"}) == [night]
    assert queue(to="2026-01-09") == []
    assert queue(**{"from": "2026-01-11"}) == []


def test_days_at_the_ends_of_the_calendar_mean_no_bound(phone, supervisor):
    device = phone("ali")
    visit = record(device, new_unit(device), observed="2026-01-09T08:00:00Z")
    device.sync()
    found = supervisor.get("/api/v1/visits", {"from": "0001-01-01", "to": "9999-12-31"})[1]["items"]
    assert [v["id"] for v in found] == [visit]
    for path in ("/api/v1/stats/revivals", "/api/v1/stats/visits-per-week"):
        assert supervisor.get(path, {"start": "0001/01/01", "end": "9999-12-31"})[0] == 200, path
