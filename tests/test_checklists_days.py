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
