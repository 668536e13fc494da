"""Pieces of the console that need no request: catalogue, Jalali dates, answers layout, charts."""

from datetime import date

import pytest

from server.console import charts, i18n, jalali, visit_view
from sync import days
from sync.templates import default_template


def test_both_languages_have_every_message():
    assert set(i18n.FA) == set(i18n.EN)
    assert all(text.strip() for text in [*i18n.FA.values(), *i18n.EN.values()])


def test_numbers_use_persian_digits_in_persian():
    assert i18n.localize_digits(1403, "fa") == "۱۴۰۳"
    assert i18n.localize_digits(125000, "fa") == "۱۲۵٬۰۰۰"
    assert i18n.localize_digits(12.5, "fa") == "۱۲٫۵"
    assert i18n.localize_digits(125000, "en") == "125,000"
    assert i18n.translate("fa", "common.total", count=12) == "۱۲ مورد"


def test_stored_utc_times_show_as_jalali_tehran_time():
    assert jalali.jalali_datetime("2026-03-01T06:30:00.000Z", "fa") == "۱۴۰۴/۱۲/۱۰ ۱۰:۰۰"
    assert jalali.jalali_datetime("2026-03-01T06:30:00.000Z", "en") == "1404/12/10 10:00"
    # 21:00 UTC on 20 March is already Nowruz (1 Farvardin 1405) in Tehran.
    assert jalali.jalali_date("2026-03-20T21:00:00.000Z", "en") == "1405/01/01"
    assert jalali.jalali_month(date(2026, 3, 1), "fa") == "اسفند ۱۴۰۴"
    assert jalali.jalali_date(None) == ""


@pytest.mark.parametrize("typed, day", [("1404/12/10", date(2026, 3, 1)), ("۱۴۰۴/۱۲/۱۰", date(2026, 3, 1)),
                                        ("1404-12-10", date(2026, 3, 1)), ("2026-03-01", date(2026, 3, 1))])
def test_filters_accept_jalali_or_gregorian_days(typed, day):
    assert days.parse_day(typed) == day


@pytest.mark.parametrize("typed", ["yesterday", "1404/13/01", "2026-02-30", "12/10"])
def test_malformed_days_are_refused(typed):
    with pytest.raises(ValueError):
        days.parse_day(typed)


def test_day_bounds_are_tehran_midnights_in_utc():
    assert days.day_bounds(date(2026, 3, 1), date(2026, 3, 1)) == (
        "2026-02-28T20:30:00.000Z", "2026-03-01T20:30:00.000Z")


def test_answers_are_laid_out_by_section_in_words():
    answers = {"unit_status": "stalled", "status_since": "2025-06-01", "employees_now": 4,
               "has_bank_facilities": False, "government_debts": ["tax"], "unknown_key": "kept"}
    sections = visit_view.layout(default_template(), answers, "fa")
    items = {i["key"]: i for s in sections for i in s["items"]}
    assert items["unit_status"]["text"] == "راکد"
    assert items["status_since"]["text"] == "۱۴۰۴/۰۳/۱۱ (2025-06-01)"
    assert items["has_bank_facilities"]["text"] == "خیر"
    assert "shifts_per_day" not in items  # hidden: only asked of active and semi-active units
    assert items["summary"]["answered"] is False
    assert sections[-1]["key"] == "_other" and items["unknown_key"]["text"] == "kept"
    assert visit_view.layout(None, {"a": 1}, "en")[0]["title"] == "Other answers"


def test_changed_answers_and_distance():
    assert visit_view.changed_answers({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == ["b", "c"]
    assert visit_view.distance_m({"lat": 35.7, "lon": 51.4}, {"lat": 35.7, "lon": 51.401}) == 90
    assert visit_view.distance_m(None, {"lat": 1, "lon": 1}) is None


def test_charts_are_self_contained_svg():
    series = [charts.Series("فعال", "c0", [3, 0]), charts.Series("راکد", "c2", [1, 5])]
    svg = str(charts.hbars("c", "واحدها", ["تهران", "فارس"], series, "fa", rtl=True))
    assert svg.startswith('<svg class="chart" id="c"') and 'role="img"' in svg
    assert svg.count('<rect class="bar') == 3 and "style=" not in svg and "<script" not in svg
    assert "تهران — فعال: ۳" in svg
    columns = str(charts.columns("v", "بازدیدها", ["هفته ۱", "هفته ۲"], series, "fa",
                                 line=charts.Series("شغل", "c7", [2, 9])))
    assert columns.count("<circle") == 2 and "<polyline" in columns
    assert "&lt;b&gt;" in str(charts.hbars("x", "<b>", ["<b>"], [charts.Series("<b>", "c0", [1])], "en", rtl=False))
