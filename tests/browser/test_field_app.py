"""The field app in Debian's chromium against `fieldsync serve` on 127.0.0.1 (issue 12):
offline for real (the network cut by the browser context), photos, dedup of the same
factory from two phones, a visit sent back and revised, a lost push answer."""

import random
import uuid

import pytest

from sync.normalize import fold
from tests.browser.fieldapp_steps import (
    PHONE,
    TABLET,
    Phone,
    assert_no_sideways_scroll,
    real_jpegs,
    until,
    wait_text,
)
from tests.helpers import PASSWORD, HttpApi, ServerProcess, create_users, legal_id, server_database

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def field_server(tmp_path_factory):
    server = ServerProcess(tmp_path_factory.mktemp("fieldapp") / "instance").start()
    create_users(server_database(server), [("reza", "engineer", [8]), ("ali", "engineer", [8]),
                                           ("mina", "engineer", [8]), ("nima", "engineer", [8]),
                                           ("sara", "supervisor", [8])])
    yield server
    server.stop()


@pytest.fixture
def phones(request, chromium, playwright_session, field_server, tmp_path):
    made = []

    def make(name, viewport=PHONE):
        phone = Phone(playwright_session, chromium, field_server, tmp_path, name, viewport)
        made.append(phone)
        return phone

    yield make
    failed = getattr(request.node, "report_call", None)
    for phone in made:
        if failed is not None and failed.failed:
            phone.screenshot(f"{request.node.name}-{phone.name}")
        phone.close()
        assert phone.guard.blocked == [], f"the app tried to reach outside the server: {phone.guard.blocked}"
        assert phone.errors == [], phone.errors


def supervisor(server):
    return HttpApi(server.url, "sara", "sara-console")


def test_offline_a_new_unit_and_a_visit_with_photos_reach_the_server_once(phones, field_server):
    rng = random.Random(12)
    phone = phones("reza")
    phone.login("reza", PASSWORD)
    photos = real_jpegs(phone.page, 2)
    phone.offline()
    phone.page.reload()  # no network: the shell comes from the service worker's cache
    phone.page.wait_for_selector("body[data-ready='1']")
    wait_text(phone.page, "#net", "بدون اتصال")
    unit = phone.register_unit("کارخانه آجر البرز", national_id=legal_id("1093456789"))
    answers = phone.fill_visit(rng, photos=photos, obstacles=2)
    phone.reopen()  # the tab closed and opened again, still offline: nothing is lost
    phone.page.click("nav.tabs a[href='#/outbox']")
    wait_text(phone.page, "#storage", "۲ مورد و ۲ عکس هنوز ارسال نشده")
    phone.offline(False)
    phone.sync()
    phone.outbox_empty()
    api = supervisor(field_server)
    units = [u for u in api.get("/api/v1/units", params={"q": "آجر البرز"})[1]["items"] if u["id"] == unit]
    assert len(units) == 1 and units[0]["employees"] == 12
    visits = api.get("/api/v1/visits", params={"unit_id": unit})[1]["items"]
    assert len(visits) == 1
    detail = api.get(f"/api/v1/visits/{visits[0]['id']}")[1]
    assert len(detail["photos"]) == 2 and detail["missing_attachments"] == []
    assert len(detail["obstacles"]) == 2 and detail["answers"]["unit_status"] == answers["unit_status"]
    # what the phone created is named with time-ordered ids (UUIDv7), as the protocol asks
    made = [unit, visits[0]["id"], *(o["obstacle_id"] for o in detail["obstacles"])]
    assert {uuid.UUID(i).version for i in made} == {7}
    assert detail["answers"]["status_since"] == answers["status_since"]  # typed in Jalali, stored Gregorian
    phone.page.click("nav.tabs a[href='#/outbox']")
    wait_text(phone.page, "#storage", "۰ مورد و ۰ عکس")
    assert phone.page.locator(".outbox-item.state-applied").count() >= 2


def test_two_phones_register_the_same_factory_offline_and_end_with_one_unit(phones, field_server):
    rng = random.Random(3)
    first, second = phones("ali"), phones("mina")
    for phone, name in ((first, "ali"), (second, "mina")):
        phone.login(name, PASSWORD)
        phone.offline()
    nid = legal_id("1066554433")
    one = first.register_unit("شرکت صنایع غذایی مهر", national_id=nid)
    first.fill_visit(rng, obstacles=0)
    other = second.register_unit("صنايع غذايي مهر", national_id=nid)
    second.fill_visit(rng, obstacles=0)
    for phone in (first, second, first):
        phone.offline(False)
        phone.sync()
    api = supervisor(field_server)
    live = [u for u in api.get("/api/v1/units", params={"q": "مهر"})[1]["items"] if u["id"] in (one, other)]
    assert len(live) == 1
    survivor = live[0]["id"]
    assert api.get("/api/v1/visits", params={"unit_id": survivor})[1]["total"] == 2
    for phone in (first, second):
        # a fresh page: a hash change alone can leave the search of the screen drawn before
        # the sync in place for a moment, and filling that one counts the old list
        phone.reopen()
        phone.page.fill("#search", "صنایع غذایی مهر")
        assert phone.page.locator(".unit-item").count() == 1
        phone.page.click(".unit-item")
        phone.page.wait_for_selector("#unit-visits")
        until(phone.page, "() => document.querySelectorAll('#unit-visits li').length === 2")


def test_a_visit_sent_back_reaches_the_app_with_its_comment_and_is_revised(phones, field_server):
    rng = random.Random(5)
    phone = phones("nima")
    phone.login("nima", PASSWORD)
    phone.register_unit("تولیدی پوشاک آریا", anyway=True)
    phone.fill_visit(rng, obstacles=1)
    phone.sync()
    phone.outbox_empty()
    api = supervisor(field_server)
    visit = api.get("/api/v1/visits", params={"state": "submitted"})[1]["items"]
    visit = next(v for v in visit if v["unit_name"] == "تولیدی پوشاک آریا")["id"]
    comment = "تعداد کارکنان با لیست بیمه نمی‌خواند؛ دوباره بپرسید."
    assert api.post(f"/api/v1/visits/{visit}/review", {"action": "return", "comment": comment})[0] == 200
    phone.sync()
    phone.page.click("nav.tabs a[href='#/returned']")
    wait_text(phone.page, f".returned-item[data-visit='{visit}']", "لیست بیمه")
    phone.page.click(f".returned-item[data-visit='{visit}'] a")
    phone.page.wait_for_selector("#save-visit")
    phone.page.fill(".question[data-key='employees_now'] input", "۴۷")
    phone.page.fill("#revision-comment", "با لیست بیمه اصلاح شد")
    phone.page.click("#save-visit")
    phone.sync()
    phone.outbox_empty()
    detail = api.get(f"/api/v1/visits/{visit}")[1]
    assert detail["version"] == 2 and detail["answers"]["employees_now"] == 47
    assert api.post(f"/api/v1/visits/{visit}/review", {"action": "approve"})[0] == 200


def test_a_push_whose_answer_is_lost_is_sent_again_and_applied_once(phones, field_server):
    phone = phones("reza")
    phone.login("reza", PASSWORD)
    cut = {"times": 1}

    def lose_answer(route):
        if cut["times"]:
            cut["times"] -= 1
            route.fetch()  # the server receives and applies the push…
            route.abort("connectionreset")  # …and its answer never reaches the phone
        else:
            route.continue_()

    phone.page.route("**/api/v1/sync/push", lose_answer)
    unit = phone.register_unit("کاشی پارس اصفهان", anyway=True)
    phone.page.evaluate("window.fieldsync.device.sync().catch(() => null)")
    assert cut["times"] == 0
    phone.sync()
    phone.outbox_empty()
    api = supervisor(field_server)
    assert len([u for u in api.get("/api/v1/units", params={"q": "کاشی پارس"})[1]["items"] if u["id"] == unit]) == 1
    statuses = phone.page.evaluate("""new Promise(r => { const q = window.fieldsync.db.transaction('acked')
        .objectStore('acked').getAll(); q.onsuccess = () => r(q.result.map(a => a.result.status)); })""")
    assert "duplicate" in statuses


def test_search_folds_persian_like_the_server(phones, field_server):
    phone = phones("ali")
    phone.open("#/login")
    samples = ["صنايع غذايي مهر", "كاشي\u200cپارس", "آجر ۱۲۳", "ـمهـر", "Pars TILE", "أبرار  ٤٥", "\u202eراست\u202c"]
    folded = phone.page.evaluate(
        "async (s) => { const m = await import('/app/static/text.js'); return s.map(m.fold); }", samples)
    assert folded == [fold(s) for s in samples]


def test_a_sync_finishing_keeps_what_the_engineer_typed_in_the_search(phones, field_server):
    phone = phones("nima")
    phone.login("nima", PASSWORD)
    phone.sync()  # the units of the province, from the other tests of this module or none
    phone.register_unit("کارگاه جستجوی ماندگار")
    phone.open("#/units")
    phone.page.fill("#search", "جستجوی ماندگار")
    phone.page.evaluate("() => { window.drawnBefore = document.querySelector('#unit-list'); }")
    phone.sync()  # redraws the list with what the sync brought
    until(phone.page, "() => document.querySelector('#unit-list') !== window.drawnBefore")
    assert phone.page.input_value("#search") == "جستجوی ماندگار"
    until(phone.page, "() => [...document.querySelectorAll('.unit-item strong')].map(e => e.textContent)"
                      ".join() === 'کارگاه جستجوی ماندگار'")


def test_a_redraw_asked_before_a_tap_never_lands_over_the_screen_the_tap_opened(phones, field_server):
    phone = phones("reza")
    phone.login("reza", PASSWORD)
    unit = phone.register_unit("کارگاه صفحه‌ی پایدار")
    phone.open("#/outbox")
    # Hold the store the outbox screen reads and the unit screen does not: a redraw of the
    # outbox (as a sync finishing asks for) then waits on it, as a slow read would.
    phone.page.evaluate("""() => {
      const t = window.fieldsync.db.transaction(["acked"], "readwrite");
      const store = t.objectStore("acked");
      window.holding = true;
      const spin = () => { if (window.holding) store.count().onsuccess = spin; };
      spin();
      window.released = new Promise((done) => { t.oncomplete = done; });
    }""")
    phone.page.evaluate("""() => window.dispatchEvent(new HashChangeEvent("hashchange"))""")
    phone.page.wait_for_timeout(300)  # the redraw of #/outbox has begun, and waits
    phone.page.evaluate("(unit) => { location.hash = `#/unit/${unit}`; }", unit)  # the tap
    phone.page.wait_for_timeout(300)  # room for the unit screen to be drawn out of turn
    phone.page.evaluate("() => { window.holding = false; return window.released.then(() => true); }")
    phone.page.wait_for_selector("#unit-visits")
    phone.page.wait_for_timeout(500)  # room for the held redraw to land, if it could
    assert phone.page.locator("#unit-visits").count() == 1
    assert phone.page.locator(".outbox-item").count() == 0


def test_jalali_days_are_read_like_the_server_reads_them(phones, field_server):
    import jdatetime

    phone = phones("ali")
    phone.open("#/login")
    days = ["1403/12/30", "1404/12/29", "1404/12/30", "1399/01/01", "1404/07/01", "۱۴۰۲/۰۶/۳۱", "1404/13/01"]
    read = phone.page.evaluate(
        "async (d) => { const m = await import('/app/static/text.js'); return d.map(m.parseJalali); }", days)
    expected = []
    for day in days:
        try:
            y, m, d = (int(x) for x in day.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")).split("/"))
            expected.append(jdatetime.date(y, m, d).togregorian().isoformat())
        except ValueError:
            expected.append(None)
    assert read == expected


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone-390", "tablet-768"])
def test_every_screen_fits_phones_and_tablets_in_persian(phones, field_server, viewport):
    phone = phones("mina", viewport)
    phone.login("mina", PASSWORD)
    unit = phone.register_unit("واحد نمونه برای نمایش", anyway=True)
    for fragment in ("#/units", f"#/unit/{unit}", "#/new", f"#/visit/{unit}", "#/outbox", "#/returned"):
        phone.page.goto(f"{field_server.url}/app/{fragment}")
        phone.page.wait_for_selector("body[data-ready='1']")
        phone.page.wait_for_timeout(150)
        assert phone.page.get_attribute("html", "dir") == "rtl" and phone.page.get_attribute("html", "lang") == "fa"
        assert_no_sideways_scroll(phone.page)
        phone.screenshot(f"{viewport['width']}-{fragment.strip('#/').split('/')[0] or 'units'}")
