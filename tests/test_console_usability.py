"""What a supervisor meets on the pages: Persian words (no codes or English messages), the
paging and filters they set kept, exports from every list, the dashboard's "unless asked"."""

import html as htmllib
import json
import re

import pytest

from sync import users
from sync.sample_visits import TEMPLATE_REF, diagnosis_answers
from sync.store import write
from tests.test_console_helpers import FARS, SHAMSABAD, TEHRAN, ConsoleUser, seed_console

TEMPLATE_FA = "فرم عارضه‌یابی واحد تولیدی (نسخه ۱)"
UUIDISH = re.compile(r"\b[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\b|\b[0-9a-f]{16,64}\b")


@pytest.fixture
def seeded(app, db, clock, client, tmp_path):
    return seed_console(app, db, clock, client, tmp_path)


def visible_text(page: str) -> str:
    """What a reader sees: text outside tags, plus the titles and placeholders shown on hover or
    in empty fields; identifiers (uuids, hashes) removed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    shown = " ".join(re.findall(r'(?:title|placeholder)="([^"]*)"', page))
    text = htmllib.unescape(re.sub(r"<[^>]+>", " ", page) + " " + shown)
    return UUIDISH.sub(" ", text)


def latin_words(page: str, allowed: set[str]) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z][A-Za-z_]+", visible_text(page)) if w not in allowed}


def names_of_people(db) -> set[str]:
    """Usernames and the seed's names are people's names, not words of the interface."""
    found = set()
    for username, full_name in db.execute("SELECT username, full_name FROM users"):
        found.update([username, *(full_name or "").split()])
    return found


def test_persian_pages_have_no_english_words(client, seeded, db):
    allowed = names_of_people(db) | {"English", "CSV", "XLSX", "GeoJSON", "ZIP"}
    sara = ConsoleUser(client, "sara")
    paths = ["/console/", "/console/queue", "/console/units", "/console/dashboard", "/console/exports",
             "/console/duplicates", "/console/nowhere", f"/console/units/{seeded.units['نساجی البرز']}",
             f"/console/visits/{seeded.visits['نساجی البرز']}", "/console/queue?date_from=yesterday",
             "/console/obstacles", "/console/conflicts?status=all", "/console/map", "/console/photos",
             "/console/revisits"]
    for path in paths:
        response = sara.get(path)
        assert latin_words(response.get_data(as_text=True), allowed) == set(), path
    root = ConsoleUser(client.application.test_client(), "root")
    assert latin_words(root.page("/console/admin"), allowed) == set()
    reza = db.execute("SELECT id FROM users WHERE username = 'reza'").fetchone()[0]
    assert latin_words(root.page(f"/console/admin/users/{reza}"), allowed) == set()


def test_templates_are_named_by_their_title_and_version_not_their_code(client, seeded):
    sara = ConsoleUser(client, "sara")
    queue = sara.page("/console/queue")
    assert f'<option value="diagnosis:1">{TEMPLATE_FA}</option>' in queue
    assert "diagnosis v1" not in queue
    # One template in use: no column repeating it on every row; the unit page names it.
    assert f'<td class="opt">{TEMPLATE_FA}</td>' not in queue
    assert f"<td>{TEMPLATE_FA}</td>" in sara.page(f"/console/units/{seeded.units['نساجی البرز']}")
    visit = sara.page(f"/console/visits/{seeded.visits['نساجی البرز']}")
    assert f'<dd data-template="diagnosis:1">{TEMPLATE_FA}</dd>' in visit
    sara.post("/console/language", {"lang": "en"})
    assert "Production unit diagnosis (version 1)" in sara.page("/console/queue")


def test_the_queue_shows_the_form_column_when_visits_used_several(client, seeded, db, clock):
    from sync import checklists
    from sync.templates import default_template

    second = {**default_template(), "version": 2}
    with write(db, clock()) as tx:
        checklists.save_template(tx, second, publish=True)
    reza = seeded.devices["reza"]
    reza.pull()
    reza.record_visit(seeded.units["نساجی البرز"], diagnosis_answers(unit_status="stalled"),
                      template={"code": "diagnosis", "version": 2})
    reza.sync()
    assert reza.rejected() == []
    queue = ConsoleUser(client, "sara").page("/console/queue")
    assert f'<td class="opt">{TEMPLATE_FA}</td>' in queue
    assert '<td class="opt">فرم عارضه‌یابی واحد تولیدی (نسخه ۲)</td>' in queue


def test_a_refused_decision_is_explained_in_the_page_language(client, seeded):
    sara = ConsoleUser(client, "sara")
    visit = f"/console/visits/{seeded.visits['نساجی البرز']}"
    sara.post(f"{visit}/decide", {"action": "return", "comment": ""})
    page = sara.page(visit)
    assert "توضیح: بنویسید کارشناس چه چیزی را باید بداند یا اصلاح کند." in page
    assert "Write what" not in page
    sara.post(f"{visit}/decide", {"action": "approve"})
    sara.post(f"{visit}/decide", {"action": "reject", "comment": "دیر"})
    page = sara.page(visit)
    assert "وضعیت این بازدید «تأییدشده» است" in page and "The visit is" not in page
    sara.post("/console/language", {"lang": "en"})
    sara.post(f"{visit}/comments", {"text": "  "})
    assert "Comment: Write what the engineer should know or fix." in sara.page(visit)


def test_error_pages_tell_a_domain_refusal_in_persian(app, client, seeded):
    from server.console import i18n

    assert i18n.domain_message("fa", "No visit 12.") == "این رکورد پیدا نشد."
    assert i18n.domain_message("fa", "Username 'x' is taken.") == "نام کاربری «x» پیش‌تر گرفته شده است."
    assert i18n.domain_message("fa", "Unknown province ids: [98, 99].") == "استان ناشناخته: ۹۸، ۹۹"
    stale = ("The phone of this unit has changed since the conflict; flipping would overwrite the newer value.")
    assert i18n.domain_message("fa", stale).startswith("«تلفن» این واحد پس از این تعارض دوباره تغییر کرده است")
    assert i18n.domain_message("fa", "Something new.") == "Something new."  # unknown: kept as it is
    assert i18n.domain_message("en", "At most 4000 characters.") == "At most 4000 characters."


def test_the_last_decision_and_one_history_entry_per_version(client, seeded, db):
    sara = ConsoleUser(client, "sara")
    visit_id = seeded.visits["نساجی البرز"]
    reza = seeded.devices["reza"]
    sara.post(f"/console/visits/{visit_id}/decide", {"action": "return", "comment": "عکس پروانه را اضافه کنید."})
    reza.pull()
    reza.revise_visit(visit_id, diagnosis_answers(unit_status="stalled", employees_now=9), template=TEMPLATE_REF,
                      comment="عکس اضافه شد.")
    reza.sync()
    assert reza.rejected() == []
    page = sara.page(f"/console/visits/{visit_id}")
    decision = page[page.index('id="last-decision"'):]
    decision = decision[:decision.index("</dd>")]
    # The decision stays on a revised visit: what it was, who took it (by name), why.
    assert "برگشت برای اصلاح" in decision and "Sara" in decision and "عکس پروانه را اضافه کنید." in decision
    history = page[page.index('id="history"'):]
    assert history.count('class="version"') == 2
    second = history[history.index('data-version="2"'):]
    second = second[:second.index("</li>")]
    assert "ارسال نسخه اصلاح‌شده" in second and "Reza" in second and "عکس اضافه شد." in second
    assert "پاسخ‌های تغییرکرده" in second
    # The engineer's submission is told once, on its version, not again as a separate entry.
    assert history.count("ارسال بازدید") == 1


def test_answers_without_letters_keep_their_order_in_right_to_left(client, seeded):
    page = ConsoleUser(client, "sara").page(f"/console/visits/{seeded.visits['نساجی البرز']}")
    location = re.search(r'data-key="unit_location">.*?<span class="a">(.*?)</span>', page, re.S)
    # Persian digits and separators on a Persian page (issue 14), isolated so they keep their order.
    assert location and re.fullmatch(r"<bdi>[۰-۹٫]+، [۰-۹٫]+</bdi>", location.group(1)), location


def record_visits(seeded, count: int) -> None:
    reza = seeded.devices["reza"]
    for i in range(count):
        reza.record_visit(seeded.units["نساجی البرز"], diagnosis_answers(unit_status="stalled", employees_now=i),
                          template=TEMPLATE_REF)
    reza.sync()
    assert reza.rejected() == []


def test_paging_keeps_every_filter_and_the_page_size(client, seeded, db):
    record_visits(seeded, 30)  # 31 of reza's visits in Shamsabad, all waiting
    reza_id = users.find_user(db, "reza")["id"]
    sara = ConsoleUser(client, "sara")
    filters = (f"state=submitted&province_id={TEHRAN}&park_id={SHAMSABAD}&engineer_id={reza_id}"
               "&template=diagnosis:1&date_from=1404/10/01&date_to=1405/12/29&q=البرز")
    first = sara.page(f"/console/queue?{filters}&per_page=25")
    assert first.count("data-visit=") == 25 and "۳۱ مورد" in first and "صفحه ۱ از ۲" in first
    assert '<option value="25" selected>۲۵</option>' in first
    following = htmllib.unescape(re.search(r'<a rel="next" href="([^"]+)"', first).group(1))
    for part in filters.split("&"):
        name, value = part.split("=")
        assert re.search(rf"[?&]{name}=", following), name
    assert "per_page=25" in following and "page=2" in following
    second = sara.page(following)
    assert second.count("data-visit=") == 6 and "صفحه ۲ از ۲" in second
    assert 'rel="prev"' in second and re.search(r'<input type="text" name="q" value="البرز"', second)
    everything = sara.page(f"/console/queue?{filters}&per_page=50")
    assert everything.count("data-visit=") == 31 and 'rel="next"' not in everything
    assert '<option value="50" selected>۵۰</option>' in everything
    # The units list pages the same way.
    assert 'name="per_page"' in sara.page("/console/units")


def test_the_units_list_exports_what_it_shows(client, seeded):
    sara = ConsoleUser(client, "sara")
    page = sara.page("/console/units?status=stalled&q=البرز")
    links = [htmllib.unescape(h) for h in re.findall(r'href="(/console/exports/units\.[a-z]+[^"]*)"', page)]
    assert len(links) == 3 and all("status=stalled" in link for link in links)
    geojson = next(link for link in links if ".geojson" in link)
    collection = json.loads(sara.get(geojson).get_data())
    assert [f["properties"]["name"] for f in collection["features"]] == ["نساجی البرز"]


def test_the_exports_page_filters_by_unit_name_too(client, seeded):
    sara = ConsoleUser(client, "sara")
    page = sara.page("/console/exports")
    assert 'name="q"' in page and 'name="include_merged"' in page
    body = sara.get("/console/exports/visits.csv?q=مهر").get_data().decode("utf-8-sig")
    assert "صنایع غذایی مهر" in body and "نساجی البرز" not in body


def test_the_dashboard_counts_visits_in_review_only_when_asked(client, seeded, db):
    sara = ConsoleUser(client, "sara")
    counted = sara.page("/console/dashboard")  # the seed's visits all wait for review
    assert "فقط بازدیدهای تأییدشده در آمار شمرده می‌شوند" in counted
    units_chart = counted[counted.index('id="chart-units"'):]
    assert "راکد" not in units_chart[:units_chart.index("</desc>")]
    asked = sara.page("/console/dashboard?include_review=1")
    assert "بازدیدهای تأییدشده و بازدیدهای در حال بررسی شمرده می‌شوند" in asked
    assert 'name="include_review" value="1" checked' in asked
    desc = asked[asked.index('id="chart-units"'):]
    assert "راکد ۱" in desc[:desc.index("</desc>")]
    # A park narrows every chart: Abbasabad has no stalled unit.
    from tests.test_console_helpers import ABBASABAD

    narrowed = sara.page(f"/console/dashboard?include_review=1&park_id={ABBASABAD}")
    desc = narrowed[narrowed.index('id="chart-units"'):]
    assert "راکد" not in desc[:desc.index("</desc>")] and "فعال ۱" in desc[:desc.index("</desc>")]


def test_value_axes_end_near_the_largest_value(app):
    from server.console import charts

    assert charts._axis(9) == (10, 2) and charts._axis(2) == (2, 1) and charts._axis(38) == (40, 10)
    assert charts._axis(0) == (1, 1) and charts._axis(101) == (150, 50)
    svg = str(charts.hbars("x", "t", ["a"], [charts.Series("s", "c0", [9])], "en", rtl=False))
    ticks = re.findall(r'<text class="value"[^>]*text-anchor="middle">(\d+)</text>', svg)
    assert ticks == ["0", "2", "4", "6", "8", "10"]


def test_admins_are_shown_with_every_province(client, seeded):
    root = ConsoleUser(client, "root")
    row = re.search(r'<tr id="user-root">.*?</tr>', root.page("/console/admin"), re.S).group(0)
    assert "همه استان‌ها" in row


def test_a_supervisor_of_another_province_sees_none_of_it_in_filters_or_exports(client, seeded):
    maryam = ConsoleUser(client, "maryam")  # Fars
    queue = maryam.page("/console/queue")
    assert "نساجی البرز" not in queue and f'data-parent="{TEHRAN}"' not in queue
    body = maryam.get(f"/console/exports/units.csv?province_id={TEHRAN}").get_data().decode("utf-8-sig")
    assert "نساجی البرز" not in body
    assert maryam.page(f"/console/queue?province_id={FARS}").count("data-visit=") == 1


def test_a_visit_opened_from_the_filtered_queue_leads_back_to_it(client, seeded):
    sara = ConsoleUser(client, "sara")
    queue = sara.page("/console/queue?state=submitted&q=البرز")
    opened = htmllib.unescape(re.search(r'href="(/console/visits/[^"]+)"', queue).group(1))
    assert "from=" in opened
    page = sara.page(opened)
    back = htmllib.unescape(re.search(r'<a class="button" href="([^"]+)" id="back-to-queue">', page).group(1))
    assert back.startswith("/console/queue?") and "state=submitted" in back and "q=" in back
    # The decision keeps the way back; a target outside the queue is never offered.
    visit_path = opened.split("?")[0]
    response = sara.post(f"{visit_path}/decide", {"action": "approve", "from": back})
    assert response.headers["Location"].startswith(f"{visit_path}?from=")
    for elsewhere in ("/console/admin", "https://example.org/console/queue", "//example.org/console/queue"):
        assert 'id="back-to-queue"' not in sara.page(visit_path, query_string={"from": elsewhere})


def test_final_decisions_ask_for_confirmation_and_send_back_does_not(client, seeded):
    page = ConsoleUser(client, "sara").page(f"/console/visits/{seeded.visits['نساجی البرز']}")
    for button in ("approve", "reject"):
        assert re.search(rf'id="{button}" data-confirm="[^"]*نهایی', page), button
    assert not re.search(r'id="return" data-confirm', page)


def test_every_dedup_feature_level_and_hard_rule_has_words():
    """The duplicates page explains a score with the engine's features and levels: each needs a
    label in both languages, or its code would show in the page (as name_commonness once did)."""
    from server.console import i18n
    from sync.dedup import scoring
    from sync.dedup.features import LEVELS

    for catalogue in (i18n.FA, i18n.EN):
        missing = [f"dupf.{f}" for f in LEVELS if f"dupf.{f}" not in catalogue]
        levels = {level for of_feature in LEVELS.values() for level in of_feature}
        missing += [f"dupl.{level}" for level in levels if f"dupl.{level}" not in catalogue]
        missing += [f"duprule.{name}" for name, _level in scoring.HARD_RULES if f"duprule.{name}" not in catalogue]
        assert missing == []
