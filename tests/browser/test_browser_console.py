"""The console in a real browser against a real server (issue 5, "Must show")."""

import io
import re
import uuid

import pytest
from openpyxl import load_workbook

from sync.client import Device, HttpTransport
from sync.sample_visits import TEMPLATE_REF, diagnosis_answers, sample_obstacles
from tests.browser.steps import DEMO_PASSWORD, PERSIAN_DATE, assert_persian_page, console_login

pytestmark = pytest.mark.slow

TEHRAN = 8


def engineer_device(server, tmp_path, username="reza") -> Device:
    device = Device(str(tmp_path / f"{username}-{uuid.uuid4().hex[:6]}.sqlite"), HttpTransport(server.url))
    device.login(username, DEMO_PASSWORD, label="browser test phone")
    device.sync()
    return device


def test_review_round_trip_send_back_revise_approve(browser_page, demo_server, tmp_path):
    page = browser_page
    # An engineer records a visit in the field and syncs it.
    device = engineer_device(demo_server, tmp_path)
    unit_id, unit = next((i, u) for i, u in device.units().items() if u["province_id"] == TEHRAN)
    answers = diagnosis_answers(unit_status="stalled", employees_now=7, employees_capacity=60)
    visit_id = device.record_visit(unit_id, answers, obstacles=sample_obstacles(count=2), template=TEMPLATE_REF,
                                   location={"lat": 35.61, "lon": 51.31})
    device.sync()
    assert device.rejected() == []

    # The supervisor logs in and filters the queue down to reza's visits waiting for review.
    console_login(page, "sara")
    assert_persian_page(page)
    page.click("nav a[href='/console/queue']")
    page.select_option("#queue-filters select[name=state]", "submitted")
    page.select_option("#queue-filters select[name=engineer_id]", label="رضا کریمی")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*state=submitted.*engineer_id=\d+"))
    rows = page.locator("#queue tbody tr[data-visit]")
    assert rows.count() >= 1
    for state in rows.locator(".badge").all_inner_texts():
        assert state == "در انتظار بررسی"
    assert PERSIAN_DATE.search(page.inner_text("#queue"))

    # Open the visit and send it back with a comment.
    page.click(f"#queue tr[data-visit='{visit_id}'] a.button")
    page.wait_for_url(re.compile(rf".*/console/visits/{visit_id}\?from=.*"))  # remembers the filtered queue
    assert_persian_page(page)
    assert unit["name"] in page.inner_text("h1")
    assert "شناسایی و تماس" in page.inner_text("#answers")
    assert PERSIAN_DATE.search(page.inner_text("#summary"))
    comment = "لطفاً تعداد کارکنان را با فهرست بیمه تطبیق دهید و عکس پروانه را اضافه کنید."
    page.fill("#decision-comment", comment)
    page.click("#return")
    page.wait_for_selector(".flash-ok")
    assert "برگشت برای اصلاح" in page.inner_text("h1")
    assert comment in page.inner_text("#history")

    # The engineer's phone learns of it through pull, with the comment.
    device.pull()
    outcome = device.visits()[visit_id]
    assert outcome["review_state"] == "returned"
    assert outcome["review_comment"] == comment

    # The engineer fixes the visit and pushes a revision: version 2, waiting for review again.
    fixed = {**answers, "employees_now": 9, "summary": "تعداد کارکنان با فهرست بیمه تطبیق داده شد."}
    device.revise_visit(visit_id, fixed, comment="کارکنان با فهرست بیمه تطبیق داده شد.")
    device.sync()
    assert device.rejected() == []
    page.reload()
    assert "در انتظار بررسی" in page.inner_text("h1")
    history = page.inner_text("#history")
    assert "نسخه ۲ دریافت شد" in history and comment in history
    assert "کارکنان با فهرست بیمه تطبیق داده شد." in history

    # Approve the revision. Approving is final, so the page asks first; dismissed, nothing happens.
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click("#approve")
    assert questions and "نهایی" in questions[0]
    assert "در انتظار بررسی" in page.inner_text("h1")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#approve")
    page.wait_for_selector(".flash-ok")
    assert "تأییدشده" in page.inner_text("h1")
    # Back to the queue as it was filtered, not the whole queue.
    page.click("#back-to-queue")
    page.wait_for_url(re.compile(r".*/console/queue\?.*state=submitted.*engineer_id=\d+"))
    assert page.input_value("#queue-filters select[name=state]") == "submitted"
    device.pull()
    assert device.visits()[visit_id]["review_state"] == "approved"
    device.close()


def test_dashboard_shows_its_charts(browser_page):
    page = browser_page
    console_login(page, "hamid")  # Isfahan and Fars
    page.click("nav a[href='/console/dashboard']")
    assert_persian_page(page)
    for chart in ("#chart-units", "#chart-visits", "#chart-obstacle-areas", "#chart-obstacle-groups",
                  "#chart-revivals"):
        svg = page.locator(chart)
        assert svg.is_visible(), chart
        assert svg.locator("rect.bar").count() > 0, chart
        box = svg.bounding_box()
        assert box["width"] > 200 and box["height"] > 40, chart
    units = page.inner_text("#units-by-status")
    assert "اصفهان" in units and "فارس" in units and "تهران" not in units


def test_download_an_xlsx_export_and_read_it_back(browser_page, tmp_path):
    page = browser_page
    console_login(page, "sara")
    page.click("nav a[href='/console/exports']")
    page.select_option("#export-form select[name=state]", "approved")
    with page.expect_download() as info:
        page.click("#export-visits-xlsx")
    download = info.value
    assert download.suggested_filename.startswith("fieldsync-visits-") and download.suggested_filename.endswith(".xlsx")
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    sheet = load_workbook(io.BytesIO(target.read_bytes())).active
    assert sheet.sheet_view.rightToLeft is True
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert "تاریخ بازدید (شمسی)" in header and "تاریخ بازدید (میلادی)" in header
    assert rows, "the demo has approved visits in Tehran"
    states = {row[header.index("وضعیت بررسی")] for row in rows}
    assert states == {"تأییدشده"}
    provinces = {row[header.index("استان")] for row in rows}
    assert provinces == {"تهران"}, "sara exports only her province"
    assert re.fullmatch(r"1[34]\d\d/\d\d/\d\d \d\d:\d\d", rows[0][header.index("تاریخ بازدید (شمسی)")])


def test_merge_a_duplicate_pair_from_the_queue(browser_page):
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())  # the merge button asks for confirmation
    console_login(page, "sara")
    page.click("nav a[href='/console/duplicates']")
    assert_persian_page(page)
    pairs = page.locator("#pairs tr[data-pair]")
    assert pairs.count() >= 1, "the demo leaves pairs for supervisors to decide"
    before = pairs.count()
    pairs.first.locator("a.button").click()
    page.wait_for_url(re.compile(r".*/console/duplicates/\d+$"))
    assert "احتمال یکی بودن" in page.inner_text("main")
    assert page.locator("#compare td.agree").count() >= 1 and page.locator("#compare td.differ").count() >= 1
    assert page.locator("#explain tbody tr").count() >= 3
    left, right = (page.inner_text(f"#compare thead th:nth-child({i})") for i in (2, 3))
    assert left and right
    names = page.locator("#compare tr[data-field='name'] td").all_inner_texts()
    page.click("#merge-left")
    page.wait_for_url(re.compile(r".*/console/units/[^/]+$"))
    assert "دو رکورد ادغام شدند" in page.inner_text(".flash-ok")
    assert names[0] in page.inner_text("h1")
    assert names[1] in page.inner_text("#aliases")
    page.goto(page.base_url + "/console/duplicates")
    assert page.locator("#pairs tr[data-pair]").count() == before - 1


def page_overflow(page) -> dict:
    """How far the page itself scrolls sideways (tables scroll inside their own box instead)."""
    return page.evaluate("() => ({scroll: document.documentElement.scrollWidth,"
                         " client: document.documentElement.clientWidth})")


@pytest.mark.parametrize("width", [768, 1280])
def test_pages_fit_a_tablet_and_a_laptop_in_both_languages(browser_page, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 1024})
    console_login(page, "sara")
    page.goto(page.base_url + "/console/queue")
    visit = page.get_attribute("#queue tbody tr[data-visit] a.button", "href")
    unit = page.get_attribute("#queue tbody tr[data-visit] td a", "href")
    page.goto(page.base_url + "/console/duplicates")
    pair = page.get_attribute("#pairs a.button", "href")
    paths = ["/console/", "/console/queue", "/console/units", "/console/duplicates", "/console/dashboard",
             "/console/exports", visit, unit, pair]
    for language in ("fa", "en"):
        if page.get_attribute("html", "lang") != language:
            page.click("header .tools form button")
            page.wait_for_load_state()
        for path in paths:
            page.goto(page.base_url + path)
            size = page_overflow(page)
            assert size["scroll"] <= size["client"], (language, width, path, size)
            # The menu lies in one row, not a column squeezed beside the name.
            tops = {round(box["y"]) for box in (a.bounding_box() for a in page.locator("nav.nav a").all())}
            assert len(tops) == 1, (language, width, path, tops)
        page.goto(page.base_url + "/console/queue")
        # A row's state and its review button are on screen without scrolling the table.
        for selector in ("#queue tbody tr[data-visit] .badge", "#queue tbody tr[data-visit] a.button"):
            box = page.locator(selector).first.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (language, width, selector, box)
        page.goto(page.base_url + "/console/dashboard")
        # Chart text is drawn at a readable size, whatever the scaling of the SVG.
        heights = page.evaluate("() => [...document.querySelectorAll('svg.chart text')]"
                                ".map(t => t.getBoundingClientRect().height).filter(h => h > 0)")
        assert heights and min(heights) >= 10, (language, width, min(heights))


def test_the_park_list_follows_the_chosen_province(browser_page):
    page = browser_page
    console_login(page, "hamid")  # Isfahan (4) and Fars (17)
    page.goto(page.base_url + "/console/queue")
    form = "#queue-filters"
    page.select_option(f"{form} select[name=province_id]", "4")
    provinces = page.eval_on_selector_all(f"{form} select[name=park_id] option[data-parent]",
                                          "os => os.filter(o => !o.hidden).map(o => o.dataset.parent)")
    assert provinces and set(provinces) == {"4"}
    isfahan_park = page.eval_on_selector(f"{form} select[name=park_id] option[data-parent='4']", "o => o.value")
    page.select_option(f"{form} select[name=park_id]", isfahan_park)
    # Another province: the Isfahan park would empty the list, so it is cleared.
    page.select_option(f"{form} select[name=province_id]", "17")
    assert page.input_value(f"{form} select[name=park_id]") == ""
    # Opened already filtered, the list starts narrowed.
    page.goto(page.base_url + "/console/queue?province_id=17")
    shown = page.eval_on_selector_all(f"{form} select[name=park_id] option[data-parent]",
                                      "os => os.filter(o => !o.hidden).map(o => o.dataset.parent)")
    assert set(shown) == {"17"}
