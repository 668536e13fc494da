"""Obstacles keep their identity across visits of a unit, follow merges, and are listed by scope."""

from tests.checklist_helpers import new_unit, obstacle, record, results, review
from tests.conftest import ISFAHAN, TEHRAN


def listed(api, **params):
    status, body = api.get("/api/v1/obstacles", params)
    assert status == 200, body
    return {o["id"]: o for o in body["items"]}


def test_obstacle_opened_on_one_visit_resolved_on_a_later_one(phone, supervisor):
    device = phone("ali")
    unit = new_unit(device)
    first = record(device, unit, observed="2026-02-01T08:00:00Z",
                   obstacles=[obstacle(), obstacle("legal.tax", severity="medium")])
    device.sync()
    found = listed(supervisor, unit_id=unit)
    assert {o["status"] for o in found.values()} == {"open"}
    money = next(o for o in found.values() if o["group"] == "finance.working_capital")
    assert money["opened_visit_id"] == first and money["opened_at"] == "2026-02-01T08:00:00.000Z"
    assert {o["id"] for o in device.reference("obstacles")} == set(found)  # devices see them

    # A month later another engineer's phone, which learnt the obstacle by pull, resolves it.
    other = phone("hamid")
    other.sync()
    known = {o["id"]: o for o in other.reference("obstacles")}[money["id"]]
    second = record(other, unit, observed="2026-02-28T08:00:00Z", obstacles=[
        {**obstacle(), "obstacle_id": known["id"], "resolved": True,
         "description": "تسهیلات سرمایه در گردش دریافت شد"}])
    other.sync()
    assert results(other)[-1]["status"] == "applied"

    found = listed(supervisor, unit_id=unit)
    assert len(found) == 2  # still the same two obstacles, not a third
    resolved = found[money["id"]]
    assert (resolved["status"], resolved["resolved_visit_id"], resolved["resolved_at"]) == (
        "resolved", second, "2026-02-28T08:00:00.000Z")
    assert resolved["opened_visit_id"] == first
    assert resolved["description"] == "تسهیلات سرمایه در گردش دریافت شد"
    assert set(listed(supervisor, status="open")) == set(found) - {money["id"]}
    assert set(listed(supervisor, area="legal", group="legal.tax")) == set(found) - {money["id"]}
    status, detail = supervisor.get(f"/api/v1/obstacles/{money['id']}")
    assert [(r["visit_id"], r["resolved"]) for r in detail["records"]] == [(first, False), (second, True)]
    device.sync()
    assert {o["id"]: o for o in device.reference("obstacles")}[money["id"]]["status"] == "resolved"


def test_obstacle_references_are_checked(phone):
    device = phone("ali")
    here, there = new_unit(device), new_unit(device, "کاشی سپاهان")
    record(device, here, obstacles=[obstacle(obstacle_id="ob-1")])
    device.sync()
    record(device, there, obstacles=[obstacle(obstacle_id="ob-1")])
    record(device, here, obstacles=[obstacle(obstacle_id="ob-9", resolved=True)])
    record(device, here, obstacles=[obstacle(obstacle_id="ob-2"), obstacle(obstacle_id="ob-2")])
    record(device, here, obstacles=[obstacle(group="finance.tax_typo"), {**obstacle(), "severity": None}])
    device.sync()
    fields = [r["error"]["details"]["fields"] for r in device.rejected()]
    assert "another unit" in fields[0]["obstacles[0].obstacle_id"][0]
    assert "only an obstacle recorded by an earlier visit can be resolved" in fields[1]["obstacles[0].obstacle_id"][0]
    assert fields[2] == {"obstacles[1].obstacle_id": ["This obstacle is listed twice in the visit."]}
    assert fields[3]["obstacles[0].group"][0].startswith("unknown group 'finance.tax_typo'")
    assert fields[3]["obstacles[1].severity"] == ["this field is required"]


def test_obstacles_follow_merges_and_come_back_on_unmerge(phone, supervisor, db):
    device = phone("ali")
    keep, lose = new_unit(device, "صنایع مهر"), new_unit(device, "صنایع مهر شرقی")
    record(device, lose, obstacles=[obstacle(obstacle_id="ob-lose")])
    device.sync()
    assert supervisor.post("/api/v1/merges", {"winner_id": keep, "loser_id": lose})[0] == 200
    assert listed(supervisor, unit_id=keep)["ob-lose"]["unit_id"] == keep
    assert listed(supervisor, unit_id=lose)["ob-lose"]["unit_id"] == keep  # the old id redirects

    # After the merge a visit to the survivor updates the obstacle it inherited.
    record(device, keep, obstacles=[obstacle(obstacle_id="ob-lose", severity="critical")])
    device.sync()
    assert listed(supervisor, unit_id=keep)["ob-lose"]["severity"] == "critical"

    assert supervisor.post(f"/api/v1/units/{lose}/unmerge")[0] == 200
    assert db.execute("SELECT unit_id FROM obstacles WHERE id = 'ob-lose'").fetchone()[0] == lose
    assert listed(supervisor, unit_id=lose)["ob-lose"]["severity"] == "critical"


def test_rejected_and_revised_visits_stop_counting(phone, supervisor):
    device = phone("ali")
    unit = new_unit(device)
    fake = record(device, unit, obstacles=[obstacle(obstacle_id="ob-fake")])
    real = record(device, unit, obstacles=[obstacle(obstacle_id="ob-a"), obstacle("legal.tax", obstacle_id="ob-b")])
    device.sync()
    review(supervisor, fake, "reject", "این بازدید انجام نشده است")
    assert set(listed(supervisor, unit_id=unit)) == {"ob-a", "ob-b"}
    device.sync()
    assert {o["id"] for o in device.reference("obstacles")} == {"ob-a", "ob-b"}

    review(supervisor, real, "return", "مانع مالیاتی اشتباه ثبت شده است")
    device.sync()
    device.revise_visit(real, device.visits()[real]["content"]["answers"],
                        obstacles=[obstacle(obstacle_id="ob-a")])
    device.sync()
    assert set(listed(supervisor, unit_id=unit)) == {"ob-a"}


def test_supervisors_see_obstacles_of_their_provinces_only(phone, login, admin):
    tehran, isfahan = phone("ali"), phone("mina", provinces=[ISFAHAN])
    record(tehran, new_unit(tehran), obstacles=[obstacle(obstacle_id="ob-t")])
    record(isfahan, new_unit(isfahan, province_id=ISFAHAN), obstacles=[obstacle(obstacle_id="ob-i")])
    tehran.sync()
    isfahan.sync()
    assert set(listed(login("sara", "supervisor", [TEHRAN]))) == {"ob-t"}
    assert set(listed(admin)) == {"ob-t", "ob-i"}
    assert set(listed(admin, province_id=ISFAHAN)) == {"ob-i"}
    assert login("nima", "supervisor", [ISFAHAN]).get("/api/v1/obstacles/ob-t")[0] == 404
    tehran.sync()
    assert {o["id"] for o in tehran.reference("obstacles")} == {"ob-t"}


def test_obstacles_by_park_and_group_for_supervisors(phone, supervisor):
    device = phone("ali")
    park = supervisor.get("/api/v1/parks", {"province_id": TEHRAN})[1]["items"][0]["id"]
    in_park, outside = new_unit(device, park_id=park), new_unit(device, "کاشی سپاهان")
    record(device, in_park, obstacles=[obstacle(obstacle_id="ob-p"), obstacle("legal.tax", obstacle_id="ob-q")])
    record(device, outside, obstacles=[obstacle(obstacle_id="ob-o")])
    device.sync()
    assert set(listed(supervisor, park_id=park)) == {"ob-p", "ob-q"}
    assert set(listed(supervisor, group="finance.working_capital")) == {"ob-p", "ob-o"}
    assert set(listed(supervisor, park_id=park, group="legal.tax", status="open")) == {"ob-q"}
    item = listed(supervisor, park_id=park)["ob-p"]
    assert (item["unit_id"], item["park_id"], item["province_id"]) == (in_park, park, TEHRAN)
    counts = supervisor.get("/api/v1/stats/obstacles", {"park_id": park, "approved_only": "false"})[1]["items"]
    assert {(c["group"], c["open"], c["resolved"]) for c in counts} == {
        ("finance.working_capital", 1, 0), ("legal.tax", 1, 0)}
