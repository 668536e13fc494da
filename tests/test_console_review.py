"""Review decisions and comments from the console reach the engineer's device through pull."""

import pytest

from sync import users
from tests.test_console_helpers import ConsoleUser, seed_console

COMMENT = "عکس پروانه بهره‌برداری را اضافه کنید و تعداد کارکنان را دوباره بپرسید."


@pytest.fixture
def seeded(app, db, clock, client, tmp_path):
    return seed_console(app, db, clock, client, tmp_path)


def test_send_back_with_a_comment_reaches_the_engineer(client, seeded, db):
    visit_id = seeded.visits["نساجی البرز"]
    sara = ConsoleUser(client, "sara")
    response = sara.post(f"/console/visits/{visit_id}/decide", {"action": "return", "comment": COMMENT})
    assert response.status_code == 302 and response.headers["Location"] == f"/console/visits/{visit_id}"
    page = sara.page(f"/console/visits/{visit_id}")
    assert "تصمیم ثبت شد" in page and "برگشت برای اصلاح" in page and COMMENT in page
    assert 'id="approve"' not in page, "only submitted visits offer decisions"
    reza = seeded.devices["reza"]
    reza.pull()
    outcome = reza.visits()[visit_id]
    assert outcome["review_state"] == "returned" and outcome["review_comment"] == COMMENT
    row = db.execute("SELECT user_id, details FROM audit_log WHERE action = 'visit.review'").fetchone()
    assert row[0] == users.find_user(db, "sara")["id"] and COMMENT in row[1]


def test_rejecting_or_returning_needs_a_comment(client, seeded, db):
    visit_id = seeded.visits["نساجی البرز"]
    sara = ConsoleUser(client, "sara")
    sara.post(f"/console/visits/{visit_id}/decide", {"action": "reject", "comment": "  "})
    page = sara.page(f"/console/visits/{visit_id}")
    assert "برخی از مقادیر نامعتبر است" in page
    assert db.execute("SELECT review_state FROM visits WHERE id = ?", [visit_id]).fetchone()[0] == "submitted"
    assert sara.post(f"/console/visits/{visit_id}/decide", {"action": "promote"}).status_code == 400


def test_approve_is_final(client, seeded, db):
    visit_id = seeded.visits["صنایع غذایی مهر"]
    sara = ConsoleUser(client, "sara")
    sara.post(f"/console/visits/{visit_id}/decide", {"action": "approve"})
    assert db.execute("SELECT review_state FROM visits WHERE id = ?", [visit_id]).fetchone()[0] == "approved"
    sara.post(f"/console/visits/{visit_id}/decide", {"action": "reject", "comment": "دیر شد"})
    page = sara.page(f"/console/visits/{visit_id}")
    assert "این کار با وضعیت فعلی رکورد سازگار نیست" in page
    assert db.execute("SELECT review_state FROM visits WHERE id = ?", [visit_id]).fetchone()[0] == "approved"
    assert "تأییدشده" in sara.page("/console/queue?state=approved")


def test_comments_join_the_thread_and_reach_the_device(client, seeded):
    visit_id = seeded.visits["نساجی البرز"]
    sara = ConsoleUser(client, "sara")
    assert sara.post(f"/console/visits/{visit_id}/comments", {"text": COMMENT}).status_code == 302
    page = sara.page(f"/console/visits/{visit_id}")
    assert "توضیح ثبت شد" in page and COMMENT in page
    sara.post(f"/console/visits/{visit_id}/comments", {"text": ""})
    assert "برخی از مقادیر نامعتبر است" in sara.page(f"/console/visits/{visit_id}")
    reza = seeded.devices["reza"]
    reza.pull()
    thread = reza.visits()[visit_id].get("thread") or []
    assert [e["text"] for e in thread if e["kind"] == "comment"] == [COMMENT]


def test_a_supervisor_cannot_decide_on_another_province(client, seeded, db):
    visit_id = seeded.visits["کاشی پارس"]
    sara = ConsoleUser(client, "sara")
    assert sara.post(f"/console/visits/{visit_id}/decide", {"action": "approve"}).status_code == 404
    assert sara.post(f"/console/visits/{visit_id}/comments", {"text": "سلام"}).status_code == 404
    assert db.execute("SELECT review_state FROM visits WHERE id = ?", [visit_id]).fetchone()[0] == "submitted"
