"""The console's access rules, session cookie, CSRF protection and security headers."""

import pytest

from server.console.web import CONTENT_SECURITY_POLICY
from sync import users
from sync.store import write
from tests.helpers import PASSWORD
from tests.test_console_helpers import FARS, TEHRAN, ConsoleUser, csrf_of, seed_console

STAFF_PAGES = ("/console/queue", "/console/units", "/console/dashboard", "/console/exports", "/console/duplicates")


@pytest.fixture
def seeded(app, db, clock, client, tmp_path):
    return seed_console(app, db, clock, client, tmp_path)


def test_every_console_view_declares_an_access_rule(app):
    console_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")]
    assert len(console_rules) > 15
    for rule in console_rules:
        view = app.view_functions[rule.endpoint]
        assert hasattr(view, "access_rule"), rule.rule
        assert view.access_rule["session"] is True
    public = {r.endpoint for r in console_rules if app.view_functions[r.endpoint].access_rule["public"]}
    assert public == {"console.login", "console.static", "console.set_language", "console.not_found"}


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/console/queue?state=submitted")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/login?next=/console/queue?state%3Dsubmitted"


def test_login_sets_a_hardened_session_cookie_and_logout_ends_it(client, seeded):
    token = csrf_of(client.get("/console/login").get_data(as_text=True))
    response = client.post("/console/login", data={"username": "sara", "password": PASSWORD, "csrf_token": token,
                                                   "next": "/console/units"})
    assert response.status_code == 302 and response.headers["Location"] == "/console/units"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # CONSOLE_SECURE_COOKIE is off by default
    home = client.get("/console/").get_data(as_text=True)
    assert "Sara" in home
    fresh = csrf_of(home)
    assert fresh != token, "the session gets a new CSRF token at login"
    assert client.post("/console/logout", data={"csrf_token": fresh}).status_code == 302
    assert client.get("/console/").status_code == 302


def test_the_secure_flag_is_configurable(instance, clock, tmp_path):
    from server import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path / "secure"), "CLOCK": clock, "SECRET_KEY": "s" * 40,
                      "CONSOLE_SECURE_COOKIE": True})
    response = app.test_client().get("/console/login")
    assert "Secure" in response.headers["Set-Cookie"]


def test_login_refuses_a_wrong_password_and_a_deactivated_user(client, seeded, db, clock):
    assert ConsoleUser(client).login("sara", "not the password").status_code == 401
    with write(db, clock()) as tx:
        users.update_user(tx, users.find_user(db, "maryam")["id"], active=False)
    response = ConsoleUser(client).login("maryam")
    assert response.status_code == 401
    assert "غیرفعال" in response.get_data(as_text=True)


def test_failed_logins_are_throttled_like_the_api(client, seeded, app):
    user = ConsoleUser(client)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert user.login("sara", "wrong password").status_code == 401
    assert user.login("sara").status_code == 429


def test_deactivating_a_user_ends_their_console_session_at_once(client, seeded, db, clock):
    sara = ConsoleUser(client, "sara")
    assert sara.get("/console/queue").status_code == 200
    with write(db, clock()) as tx:
        users.update_user(tx, users.find_user(db, "sara")["id"], active=False)
    assert sara.get("/console/queue").status_code == 302


def test_a_password_change_ends_existing_sessions(client, seeded, db, clock):
    sara = ConsoleUser(client, "sara")
    with write(db, clock()) as tx:
        users.update_user(tx, users.find_user(db, "sara")["id"], password="another password")
    assert sara.get("/console/queue").status_code == 302


def test_sessions_expire_by_the_app_clock(client, seeded, clock, app):
    sara = ConsoleUser(client, "sara")
    clock.advance(hours=app.config["CONSOLE_SESSION_HOURS"], seconds=1)
    response = sara.get("/console/queue")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_engineers_may_log_in_but_get_403_on_review_pages(client, seeded):
    reza = ConsoleUser(client, "reza")
    home = reza.page("/console/")
    assert "نساجی البرز" in home  # their own visits
    for path in (*STAFF_PAGES, "/console/admin", f"/console/visits/{seeded.visits['نساجی البرز']}",
                 f"/console/units/{seeded.units['نساجی البرز']}", "/console/exports/visits.xlsx"):
        response = reza.get(path)
        assert response.status_code == 403, path
        assert '<html lang="fa" dir="rtl">' in response.get_data(as_text=True)
    response = reza.post(f"/console/visits/{seeded.visits['نساجی البرز']}/decide", {"action": "approve"})
    assert response.status_code == 403


def test_supervisors_are_refused_the_admin_page(client, seeded):
    sara = ConsoleUser(client, "sara")
    assert sara.get("/console/admin").status_code == 403
    response = sara.post("/console/admin/users", {"username": "x", "password": PASSWORD, "role": "admin"})
    assert response.status_code == 403


def test_a_supervisor_sees_only_their_provinces(client, seeded):
    sara = ConsoleUser(client, "sara")  # Tehran
    for path in ("/console/queue", "/console/units", "/console/exports", "/console/dashboard"):
        html = sara.page(path)
        assert "کاشی پارس" not in html, path  # the Fars unit
    queue = sara.page("/console/queue")
    assert "نساجی البرز" in queue and "صنایع غذایی مهر" in queue
    dashboard = sara.page("/console/dashboard")
    assert "تهران" in dashboard and "فارس" not in dashboard, "charts count only her provinces"
    assert "فارس" not in sara.page(f"/console/dashboard?province_id={FARS}")
    assert "شیراز" not in sara.page("/console/queue"), "Fars parks are not offered as filters"
    # Records of another province answer 404, as the API does, not revealing they exist.
    assert sara.get(f"/console/units/{seeded.units['کاشی پارس']}").status_code == 404
    assert sara.get(f"/console/visits/{seeded.visits['کاشی پارس']}").status_code == 404
    assert sara.post(f"/console/visits/{seeded.visits['کاشی پارس']}/decide", {"action": "approve"}).status_code == 404
    # Filtering by another province gives nothing rather than its data.
    assert "کاشی پارس" not in sara.page(f"/console/queue?province_id={FARS}")
    assert "کاشی پارس" not in sara.page(f"/console/units?province_id={FARS}")
    exported = sara.get(f"/console/exports/units.csv?province_id={FARS}").get_data().decode("utf-8-sig")
    assert "کاشی پارس" not in exported


def test_an_admin_sees_every_province(client, seeded):
    root = ConsoleUser(client, "root")
    queue = root.page("/console/queue")
    assert "کاشی پارس" in queue and "نساجی البرز" in queue
    assert root.get(f"/console/units/{seeded.units['کاشی پارس']}").status_code == 200
    assert root.page(f"/console/queue?province_id={TEHRAN}").count("data-visit=") == 2


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_every_post_needs_the_session_csrf_token(client, seeded, token):
    sara = ConsoleUser(client, "sara")
    visit_id = seeded.visits["نساجی البرز"]
    data = {"action": "approve"} if token is None else {"action": "approve", "csrf_token": token}
    response = sara.post(f"/console/visits/{visit_id}/decide", data, csrf=False)
    assert response.status_code == 400
    assert "فرم منقضی شده" in response.get_data(as_text=True)
    # Nothing was decided.
    assert "در انتظار بررسی" in sara.page(f"/console/visits/{visit_id}")


def test_login_and_logout_forms_need_the_csrf_token_too(client, seeded):
    assert client.post("/console/login", data={"username": "sara", "password": PASSWORD}).status_code == 400
    sara = ConsoleUser(client, "sara")
    assert sara.post("/console/logout", csrf=False).status_code == 400
    assert sara.get("/console/queue").status_code == 200


def test_console_responses_carry_security_headers(client, seeded):
    sara = ConsoleUser(client, "sara")
    for path in ("/console/login", "/console/queue", "/console/static/console.css", "/console/nowhere"):
        response = sara.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert "default-src 'self'" in CONTENT_SECURITY_POLICY
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert sara.get("/console/queue").headers["Cache-Control"] == "no-store"


def test_unknown_console_pages_are_html_404s(client, seeded):
    sara = ConsoleUser(client, "sara")
    response = sara.get("/console/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "پیدا نشد" in response.get_data(as_text=True)


def test_next_never_leaves_the_console(client, seeded):
    for target in ("https://evil.example/", "//evil.example/console", "/api/v1/units", "/console@evil"):
        token = csrf_of(client.get("/console/login").get_data(as_text=True))
        response = client.post("/console/login", data={"username": "sara", "password": PASSWORD,
                                                       "csrf_token": token, "next": target})
        assert response.headers["Location"] == "/console/", target
        client.post("/console/logout", data={"csrf_token": csrf_of(client.get("/console/").get_data(as_text=True))})


def test_pages_switch_to_english_and_back(client, seeded):
    sara = ConsoleUser(client, "sara")
    response = sara.post("/console/language", {"lang": "en", "next": "/console/queue"})
    assert response.headers["Location"] == "/console/queue"
    html = sara.page("/console/queue")
    assert '<html lang="en" dir="ltr">' in html and "Review queue" in html
    sara.post("/console/language", {"lang": "fa"})
    assert '<html lang="fa" dir="rtl">' in sara.page("/console/queue")
