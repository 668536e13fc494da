"""The review workflow: submitted → approved / rejected / returned → revised → submitted."""

import json

import pytest

from tests.checklist_helpers import new_unit, record, results, review
from tests.conftest import FARS, ISFAHAN, TEHRAN
from tests.helpers import diagnosis_answers


@pytest.fixture
def submitted(phone):
    """(device, visit id): a visit of engineer ali's, pushed and pulled."""
    device = phone("ali")
    visit = record(device, new_unit(device), answers=diagnosis_answers(employees_now=3))
    device.sync()
    return device, visit


def test_full_loop_return_revise_approve_through_the_device(submitted, supervisor, db):
    device, visit = submitted
    assert device.visits()[visit]["review_state"] == "submitted"

    status, body = review(supervisor, visit, "return", "تعداد شاغلان با لیست بیمه نمی‌خواند؛ اصلاح کنید.")
    assert status == 200 and body["review_state"] == "returned"
    device.sync()
    local = device.visits()[visit]
    assert local["review_state"] == "returned" and local["version"] == 1
    assert local["review_comment"] == "تعداد شاغلان با لیست بیمه نمی‌خواند؛ اصلاح کنید."
    assert [(e["action"], e["to_state"]) for e in local["thread"]] == [
        ("submit", "submitted"), ("return", "returned")]
    assert local["thread"][1]["user_name"] == "sara"
    assert local["content"]["answers"]["employees_now"] == 3  # what to fix, on any device

    device.revise_visit(visit, diagnosis_answers(employees_now=7), comment="با لیست بیمه اصلاح شد")
    summary = device.sync()
    assert summary["statuses"] == ["applied"]
    assert device.visits()[visit]["review_state"] == "submitted"
    assert device.visits()[visit]["version"] == 2

    status, versions = supervisor.get(f"/api/v1/visits/{visit}/versions")
    assert status == 200
    assert [(v["version"], v["answers"]["employees_now"]) for v in versions["items"]] == [(1, 3), (2, 7)]
    assert supervisor.get(f"/api/v1/visits/{visit}")[1]["answers"]["employees_now"] == 7

    status, body = review(supervisor, visit, "approve")
    assert status == 200 and body["review_state"] == "approved" and body["version"] == 2
    device.sync()
    assert device.visits()[visit]["review_state"] == "approved"

    thread = supervisor.get(f"/api/v1/visits/{visit}/comments")[1]["items"]
    assert [(e["kind"], e["action"], e["version"]) for e in thread] == [
        ("state", "submit", 1), ("state", "return", 1), ("state", "revise", 2), ("state", "approve", 2)]
    assert thread[2]["text"] == "با لیست بیمه اصلاح شد"
    audit = db.execute("SELECT action, user_id, details FROM audit_log WHERE entity = 'visit'"
                       " AND action IN ('visit.review', 'visit.revise') ORDER BY id").fetchall()
    assert [a[0] for a in audit] == ["visit.review", "visit.revise", "visit.review"]
    assert json.loads(audit[0][2])["comment"].startswith("تعداد شاغلان")
    assert audit[0][1] == supervisor.user["id"] and audit[1][1] == device_user(device)


def device_user(device):
    return json.loads(device._get("user"))["id"]


@pytest.mark.parametrize("action", ["reject", "return"])
def test_reject_and_return_need_a_comment(submitted, supervisor, action):
    _, visit = submitted
    status, body = review(supervisor, visit, action, "   ")
    assert status == 422 and body["error"]["details"]["fields"] == {
        "comment": ["Write what the engineer should know or fix."]}


def test_only_submitted_visits_can_be_decided(submitted, supervisor):
    _, visit = submitted
    assert review(supervisor, visit, "reject", "بازدید انجام نشده است")[0] == 200
    for action in ("approve", "return", "reject"):
        status, body = review(supervisor, visit, action, "دوباره")
        assert status == 409 and body["error"]["code"] == "conflict"
        assert body["error"]["details"] == {"review_state": "rejected", "allowed_from": "submitted"}
    status, body = review(supervisor, visit, "publish")
    assert status == 422 and "action" in body["error"]["details"]["fields"]


def test_wrong_roles_and_provinces_are_refused(submitted, login, engineer, admin):
    _, visit = submitted
    status, body = review(engineer, visit, "approve")
    assert status == 403 and body["error"]["code"] == "forbidden"
    isfahan = login("mina", "supervisor", [ISFAHAN])
    for call in (lambda: review(isfahan, visit, "approve"),
                 lambda: isfahan.get(f"/api/v1/visits/{visit}/comments"),
                 lambda: isfahan.get(f"/api/v1/visits/{visit}/versions"),
                 lambda: isfahan.post(f"/api/v1/visits/{visit}/comments", {"text": "سلام"})):
        status, body = call()
        assert status == 404 and body["error"]["code"] == "not_found"
    other = login("hamid", "engineer", [TEHRAN])
    assert other.get(f"/api/v1/visits/{visit}/comments")[0] == 404  # another engineer's visit
    assert review(admin, visit, "approve")[0] == 200  # admins review every province


def test_revision_rules(submitted, supervisor, phone):
    device, visit = submitted
    device.revise_visit(visit, diagnosis_answers())  # not returned yet
    device.sync()
    error = device.rejected()[-1]["error"]
    assert error["code"] == "conflict" and "submitted" in error["details"]["fields"]["visit_id"][0]

    review(supervisor, visit, "return", "عکس سردر واحد را اضافه کنید")
    thief = phone("hamid")
    thief.conn.execute("INSERT INTO visits (id, data) VALUES (?, ?)",
                       (visit, json.dumps({"id": visit, "version": 1})))
    thief.revise_visit(visit, diagnosis_answers())
    thief.sync()
    assert thief.rejected()[-1]["error"]["code"] == "forbidden"

    device.pull()
    device.revise_visit(visit, diagnosis_answers(employees_now=-1))  # still validated
    device.sync()
    assert device.rejected()[-1]["error"]["details"]["fields"] == {
        "answers.employees_now": ["must be at least 0"]}
    assert device.visits()[visit]["review_state"] == "returned"

    device.revise_visit(visit, diagnosis_answers())
    device.revise_visit(visit, diagnosis_answers(employees_now=4))  # same base version, sent after
    device.sync()
    assert results(device)[-2]["status"] == "applied" and results(device)[-2]["version"] == 2
    assert device.rejected()[-1]["error"]["details"]["fields"]["visit_id"] == [
        "The visit is submitted, not returned."]


def test_resent_revision_is_recognised(submitted, supervisor):
    device, visit = submitted
    review(supervisor, visit, "return", "اصلاح کنید")
    device.pull()
    device.revise_visit(visit, diagnosis_answers(employees_now=5))
    device.push()
    assert (results(device)[-1]["status"], results(device)[-1]["version"]) == ("applied", 2)
    # The app is reinstalled and sends the same revision again under a new mutation id.
    device.conn.execute("UPDATE visits SET data = json_set(data, '$.version', 1) WHERE id = ?", (visit,))
    device.revise_visit(visit, diagnosis_answers(employees_now=5))
    device.push()
    assert (results(device)[-1]["status"], results(device)[-1]["version"]) == ("applied", 2)
    assert len(supervisor.get(f"/api/v1/visits/{visit}/versions")[1]["items"]) == 2


def test_comments_from_engineer_and_supervisor_reach_the_device(submitted, supervisor, login):
    device, visit = submitted
    status, entry = supervisor.post(f"/api/v1/visits/{visit}/comments", {"text": "شماره تماس مدیر؟"})
    assert status == 201 and entry["kind"] == "comment" and entry["user_role"] == "supervisor"
    device.sync()
    assert device.visits()[visit]["thread"][-1]["text"] == "شماره تماس مدیر؟"
    engineer = login("ali2", "engineer", [TEHRAN])
    assert engineer.post(f"/api/v1/visits/{visit}/comments", {"text": "x"})[0] == 404
    assert supervisor.post(f"/api/v1/visits/{visit}/comments", {"text": ""})[0] == 422


def test_review_queue_filters_and_pages(phone, supervisor, admin, login, clock):
    tehran, isfahan = phone("ali"), phone("mina", provinces=[ISFAHAN])
    park = _park_in(supervisor, TEHRAN)

    def pushed(device, unit, observed):
        visit = record(device, unit, observed=observed)
        device.sync()
        clock.advance(minutes=1)  # the queue lists the latest received first
        return visit

    first = pushed(tehran, new_unit(tehran, "صنایع پارک", park_id=park), "2026-02-10T08:00:00Z")
    second = pushed(tehran, new_unit(tehran, "صنایع بیرون"), "2026-02-20T08:00:00Z")
    third = pushed(isfahan, new_unit(isfahan, province_id=ISFAHAN), "2026-02-21T08:00:00Z")
    review(supervisor, first, "approve")

    def ids(api, **params):
        status, body = api.get("/api/v1/visits", params)
        assert status == 200, body
        return [v["id"] for v in body["items"]], body["total"]

    assert ids(supervisor) == ([second, first], 2)  # Isfahan's visit is out of scope
    assert ids(admin) == ([third, second, first], 3)
    assert ids(supervisor, review_state="submitted") == ([second], 1)
    assert ids(admin, province_id=ISFAHAN) == ([third], 1)
    assert ids(supervisor, park_id=park) == ([first], 1)
    assert ids(admin, engineer_id=device_user(isfahan)) == ([third], 1)
    assert ids(supervisor, template="diagnosis")[1] == 2 and ids(supervisor, template="mini")[1] == 0
    assert ids(admin, **{"from": "2026-02-11", "to": "2026-02-20"}) == ([second], 1)
    assert ids(admin, **{"from": "۱۴۰۴/۱۱/۲۲", "to": "1404-12-01"}) == ([second], 1)  # the same days, Jalali
    status, body = admin.get("/api/v1/visits", {"from": "2026-02-20", "to": "2026-02-11"})
    assert status == 422 and "to" in body["error"]["details"]["fields"]
    assert ids(admin, limit=1, offset=1) == ([second], 3)
    status, body = supervisor.get("/api/v1/visits", {"review_state": "lost"})
    assert status == 422 and body["error"]["code"] == "validation_failed"
    assert ids(login("leila", "supervisor", [FARS])) == ([], 0)


def _park_in(api, province_id):
    return api.get("/api/v1/parks", {"province_id": province_id})[1]["items"][0]["id"]
