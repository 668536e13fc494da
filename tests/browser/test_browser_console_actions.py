"""The console from counting to acting, in a real browser against a real server (issue 14,
"Must show"): the obstacle register, conflicts, safe merges, not-the-same taken back, the map,
the photo gallery, bulk approval, saved filters, and every new page at 1366 and 768 px.

These tests decide pairs and approve visits, so they get a demo server of their own."""

import re

import pytest

from tests.browser.conftest import start_demo_server
from tests.browser.steps import assert_persian_page, console_login

pytestmark = pytest.mark.slow
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@pytest.fixture(scope="module")
def console_server(tmp_path_factory):
    server = start_demo_server(tmp_path_factory.mktemp("console-actions"))
    yield server
    server.stop()


def accept_dialogs(page) -> list[str]:
    """Answer yes to every confirmation the page asks, remembering what it asked."""
    asked = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return asked


def test_filter_the_obstacle_register_and_open_the_unit(browser_page):
    page = browser_page
    console_login(page, "sara")
    page.click("nav a[href='/console/obstacles']")
    assert_persian_page(page)
    assert page.locator("#register tbody tr[data-obstacle]").count() >= 10
    form = "#register-filters"
    page.select_option(f"{form} select[name=area]", "finance")
    # The group list follows the area: only finance groups are offered.
    shown = page.eval_on_selector_all(f"{form} select[name=group] option[data-parent]",
                                      "os => os.filter(o => !o.hidden).map(o => o.dataset.parent)")
    assert shown and set(shown) == {"finance"}
    page.select_option(f"{form} select[name=group]", "finance.working_capital")
    page.select_option(f"{form} select[name=status]", "open")
    page.click(f"{form} button[type=submit]")
    page.wait_for_url(re.compile(r".*group=finance\.working_capital.*"))
    rows = page.locator("#register tbody tr[data-obstacle]")
    assert rows.count() >= 1
    assert set(rows.locator("td:nth-child(3) small").all_inner_texts()) == {"کمبود سرمایه در گردش"}
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.status)")) == {"open"}
    description = rows.first.locator("td:nth-child(6)").inner_text().split("\n")[0]
    unit_name = rows.first.locator("td:first-child a").inner_text()
    rows.first.locator("td:first-child a").click()
    page.wait_for_url(re.compile(r".*/console/units/[^/?]+$"))
    assert unit_name in page.inner_text("h1")
    assert description in page.inner_text("#obstacles-open")


def test_confirm_a_conflict_from_the_list(browser_page):
    page = browser_page
    console_login(page, "sara")
    page.click("#tile-conflicts")
    page.wait_for_url(re.compile(r".*/console/conflicts$"))
    rows = page.locator("#conflicts tbody tr[data-conflict]")
    assert rows.count() == 1
    row = rows.first
    assert "رضا کریمی" in row.locator("td.kept").inner_text() and "رضا کریمی" in row.locator("td.other").inner_text()
    assert "تبلت نمایشی" in row.inner_text() and "گوشی نمایشی" in row.inner_text()  # which device sent which
    kept = row.locator("td.kept strong").inner_text()
    conflict = row.get_attribute("data-conflict")
    row.locator(f"#confirm-{conflict}").click()
    page.wait_for_url(re.compile(r".*/console/conflicts$"))
    assert "تعارض بررسی شد" in page.inner_text(".flash-ok")
    assert page.locator("#conflicts tbody tr[data-conflict]").count() == 0
    page.select_option("#conflict-filters select[name=status]", "confirmed")
    page.click("#conflict-filters button[type=submit]")
    assert page.locator(f"#conflicts tr[data-conflict='{conflict}']").count() == 1
    assert kept in page.inner_text("#conflicts")


def test_merge_choosing_a_value_and_see_it_on_the_unit(browser_page):
    page = browser_page
    asked = accept_dialogs(page)
    console_login(page, "sara")
    page.click("nav a[href='/console/duplicates']")
    page.locator("#pairs tr[data-pair]").filter(has_text="کیان").locator("a.button").click()
    page.wait_for_url(re.compile(r".*/console/duplicates/\d+$"))
    assert "احتمال یکی بودن" in page.inner_text("#pair-score")
    phone = page.locator("#compare tr[data-field='phone']")
    first_phone = phone.locator("td").nth(0).inner_text()
    assert first_phone != phone.locator("td").nth(1).inner_text()
    # The merged record keeps the later phone by the rules; the supervisor keeps the first record's.
    assert phone.locator("input[type=radio]").nth(1).is_checked()
    phone.locator("input[type=radio]").nth(0).check()
    page.click("#merge-left")
    page.wait_for_url(re.compile(r".*/console/units/[^/?]+$"))
    assert asked, "the merge asked for confirmation"
    assert "دو رکورد ادغام شدند" in page.inner_text(".flash-ok")
    fields = page.inner_text("#fields")
    assert first_phone in fields


def test_take_back_a_not_the_same(browser_page):
    page = browser_page
    asked = accept_dialogs(page)
    console_login(page, "sara")
    page.goto(page.base_url + "/console/duplicates")
    before = page.locator("#pairs tr[data-pair]").count()
    assert before >= 1
    pair = page.locator("#pairs tr[data-pair]").first.get_attribute("data-pair")
    page.locator("#pairs tr[data-pair]").first.locator("a.button").click()
    page.click("#not-same")
    page.wait_for_url(re.compile(rf".*/console/duplicates/{pair}$"))
    assert len(asked) == 1, "not the same asks first"
    assert page.locator("#distinct-note").is_visible()
    page.goto(page.base_url + "/console/duplicates")
    assert page.locator("#pairs tr[data-pair]").count() == before - 1
    page.goto(page.base_url + f"/console/duplicates/{pair}")
    page.click("#reopen")
    page.wait_for_url(re.compile(rf".*/console/duplicates/{pair}$"))
    assert len(asked) == 2 and "دوباره در انتظار تصمیم" in page.inner_text(".flash-ok")
    assert page.locator("#merge-left").is_visible()
    page.goto(page.base_url + "/console/duplicates")
    assert page.locator("#pairs tr[data-pair]").count() == before


def marker_count(page, selector: str) -> int:
    page.wait_for_selector("#map[data-ready='1']")
    return page.locator(f"#map {selector}").count()


def test_the_map_shows_the_filtered_units(browser_page):
    page = browser_page
    console_login(page, "sara")
    page.goto(page.base_url + "/console/units?per_page=100")
    all_units = page.locator("#units tbody tr[data-unit]").count()
    page.goto(page.base_url + "/console/units?status=stalled&per_page=100")
    stalled = set(page.locator("#units tbody tr[data-unit]").evaluate_all("rs => rs.map(r => r.dataset.unit)"))
    assert stalled
    page.click("nav a[href='/console/map']")
    assert_persian_page(page)
    assert marker_count(page, "path.unit-marker") == all_units
    assert page.locator("#map path.leaflet-interactive").count() > all_units  # the visits too
    assert page.locator("#map svg path").count() > all_units + 30, "the provinces are drawn"
    page.select_option("#map-filters select[name=status]", "stalled")
    page.click("#map-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/map\?.*status=stalled.*"))
    markers = page.locator("#map path.unit-marker")
    assert marker_count(page, "path.unit-marker") == len(stalled)
    assert set(markers.evaluate_all("ms => ms.map(m => m.dataset.unit)")) == stalled
    assert all("status-stalled" in c for c in markers.evaluate_all("ms => ms.map(m => m.getAttribute('class'))"))
    count = page.inner_text("#map-count")
    assert str(len(stalled)).translate(PERSIAN_DIGITS) in count
    # A unit opens from its marker.
    markers.first.click()
    page.locator(".leaflet-popup-content a").click()
    page.wait_for_url(re.compile(r".*/console/units/[^/?]+$"))


def test_the_gallery_filters_by_question(browser_page):
    page = browser_page
    console_login(page, "sara")
    page.click("nav a[href='/console/photos']")
    assert_persian_page(page)
    figures = page.locator("#gallery figure.photo")
    assert {"photos", "licence_photo"} <= set(figures.evaluate_all("fs => fs.map(f => f.dataset.question)"))
    page.select_option("#photo-filters select[name=question]", "licence_photo")
    page.click("#photo-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*question=licence_photo.*"))
    assert figures.count() >= 1
    assert set(figures.evaluate_all("fs => fs.map(f => f.dataset.question)")) == {"licence_photo"}
    assert set(figures.locator("figcaption strong").all_inner_texts()) == {"تصویر پروانه بهره‌برداری"}
    # Every picture really arrived and is drawn.
    widths = figures.locator("img").evaluate_all(
        "is => Promise.all(is.map(i => i.decode().then(() => i.naturalWidth)))")
    assert all(w > 0 for w in widths)
    figures.first.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/console/photos/[0-9a-f]{64}\?.*"))
    assert page.inner_text("h1") == "تصویر پروانه بهره‌برداری"
    assert page.locator(".photo-large img").evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
    page.click("#back-to-gallery")
    page.wait_for_url(re.compile(r".*/console/photos\?.*question=licence_photo.*"))
    with page.expect_download() as download:
        page.click("#photos-zip")
    assert download.value.suggested_filename.endswith(".zip")


def test_bulk_approve_three_visits(browser_page):
    page = browser_page
    asked = accept_dialogs(page)
    console_login(page, "sara")
    page.goto(page.base_url + "/console/queue?state=submitted")
    boxes = page.locator("#queue tbody input[name=visit]")
    assert boxes.count() >= 3, "the demo leaves visits waiting in Tehran"
    chosen = [boxes.nth(i).get_attribute("value") for i in range(3)]
    for i in range(3):
        boxes.nth(i).check()
    page.click("#approve-chosen")
    page.wait_for_url(re.compile(r".*/console/queue\?state=submitted$"))
    assert asked, "approving is final: it asks first"
    assert "۳ بازدید تأیید شد" in page.inner_text(".flash-ok")
    page.goto(page.base_url + "/console/queue?state=approved&per_page=100")
    approved = set(page.locator("#queue tbody tr[data-visit]").evaluate_all("rs => rs.map(r => r.dataset.visit)"))
    assert set(chosen) <= approved


def test_a_saved_filter_reopens(browser_page):
    page = browser_page
    console_login(page, "sara")
    page.goto(page.base_url + "/console/obstacles")
    page.select_option("#register-filters select[name=severity]", "critical")
    page.select_option("#register-filters select[name=status]", "open")
    page.click("#register-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*severity=critical.*"))
    expected = page.locator("#register tbody tr[data-obstacle]").count()
    page.click("#saved-filters summary")
    page.fill("#save-filter input[name=name]", "موانع بحرانی باز")
    page.click("#save-filter button[type=submit]")
    page.wait_for_url(re.compile(r".*severity=critical.*"))
    page.goto(page.base_url + "/console/")
    page.goto(page.base_url + "/console/obstacles")
    assert page.locator("#register tbody tr[data-obstacle]").count() > expected
    page.click("#saved-filters a:has-text('موانع بحرانی باز')")
    page.wait_for_url(re.compile(r".*severity=critical.*status=open.*|.*status=open.*severity=critical.*"))
    assert page.input_value("#register-filters select[name=severity]") == "critical"
    assert page.locator("#register tbody tr[data-obstacle]").count() == expected


NEW_PAGES = ("/console/obstacles", "/console/conflicts?status=all", "/console/map", "/console/photos",
             "/console/revisits?within=90", "/console/duplicates")


@pytest.mark.parametrize("width", [768, 1366])
def test_every_new_page_fits_a_tablet_and_a_laptop_in_persian(browser_page, width):
    page = browser_page
    page.set_viewport_size({"width": width, "height": 1024})
    console_login(page, "sara")
    page.goto(page.base_url + "/console/duplicates?status=pending")
    pair = page.get_attribute("#pairs a.button", "href")
    page.goto(page.base_url + "/console/photos")
    photo = page.get_attribute("#gallery figure.photo a", "href")
    for path in (*NEW_PAGES, pair, photo):
        page.goto(page.base_url + path)
        assert_persian_page(page)
        size = page.evaluate("() => ({scroll: document.documentElement.scrollWidth,"
                             " client: document.documentElement.clientWidth})")
        assert size["scroll"] <= size["client"], (width, path, size)
        tops = {round(box["y"]) for box in (a.bounding_box() for a in page.locator("nav.nav a").all())}
        assert len(tops) == 1, (width, path, tops)
