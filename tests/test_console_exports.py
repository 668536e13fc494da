"""Exports: CSV, XLSX (right-to-left, Jalali and Gregorian dates) and GeoJSON, scoped and filtered."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.test_console_helpers import SHAMSABAD, TEHRAN, ConsoleUser, seed_console


@pytest.fixture
def seeded(app, db, clock, client, tmp_path):
    return seed_console(app, db, clock, client, tmp_path)


def read_xlsx(body: bytes):
    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    return sheet, rows[0], rows[1:]


def test_visits_xlsx_is_right_to_left_with_jalali_and_gregorian_dates(client, seeded, clock):
    sara = ConsoleUser(client, "sara")
    response = sara.get("/console/exports/visits.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="fieldsync-visits-' in response.headers["Content-Disposition"]
    sheet, header, rows = read_xlsx(response.get_data())
    assert sheet.sheet_view.rightToLeft is True
    assert sheet.freeze_panes == "A2"
    assert "تاریخ بازدید (شمسی)" in header and "تاریخ بازدید (میلادی)" in header
    assert len(rows) == 2  # sara sees Tehran only: reza's two visits
    by_name = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_name) == {"نساجی البرز", "صنایع غذایی مهر"}
    row = by_name["نساجی البرز"]
    assert row["وضعیت بررسی"] == "در انتظار بررسی"
    # The devices observed their visits at the fake clock's time: 2026-03-01 06:30 UTC = 10:00 Tehran.
    assert row["تاریخ بازدید (شمسی)"] == "1404/12/10 10:00"
    assert row["تاریخ بازدید (میلادی)"].date() == date(2026, 3, 1)
    assert sheet.cell(row=2, column=header.index("تاریخ بازدید (میلادی)") + 1).number_format == "yyyy-mm-dd"
    # Answers are columns, in words: the choice's Persian label rather than its code.
    assert row["وضعیت فعلی واحد"] == "راکد"


def test_english_headers_and_left_to_right_sheets(client, seeded):
    sara = ConsoleUser(client, "sara")
    sara.post("/console/language", {"lang": "en"})
    sheet, header, rows = read_xlsx(sara.get("/console/exports/units.xlsx").get_data())
    assert sheet.sheet_view.rightToLeft is False
    assert "Visit date (Jalali)" in header and "Unit name" in header
    assert {r[header.index("Status")] for r in rows} == {"Stalled", "Active"}


def test_exports_follow_the_queue_filters(client, seeded):
    sara = ConsoleUser(client, "sara")
    body = sara.get(f"/console/exports/visits.csv?park_id={SHAMSABAD}").get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "CSV starts with a BOM so Excel reads Persian"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["نساجی البرز"]
    assert len(sara.get("/console/exports/visits.csv?state=approved").get_data().decode("utf-8-sig").splitlines()) == 1
    # Jalali date range, Persian digits welcome; 1404/12/10 is the day of the seeded visits.
    in_range = sara.get("/console/exports/visits.csv?date_from=۱۴۰۴/۱۲/۱۰&date_to=1404/12/10").get_data()
    assert len(in_range.decode("utf-8-sig").splitlines()) == 3
    before = sara.get("/console/exports/visits.csv?date_to=2026-02-28").get_data()
    assert len(before.decode("utf-8-sig").splitlines()) == 1


def test_obstacles_export_lists_each_record_with_its_state(client, seeded):
    sara = ConsoleUser(client, "sara")
    sheet, header, rows = read_xlsx(sara.get("/console/exports/obstacles.xlsx").get_data())
    assert len(rows) == 4  # two visits with two obstacles each
    assert {r[header.index("وضعیت مانع")] for r in rows} == {"باز"}
    assert all(r[header.index("حوزه")] in ("مالی و اعتباری", "بازار و تأمین", "فنی و تولیدی", "حقوقی و اداری")
               for r in rows)


def test_units_geojson_has_a_point_per_located_unit(client, seeded):
    sara = ConsoleUser(client, "sara")
    response = sara.get(f"/console/exports/units.geojson?province_id={TEHRAN}")
    assert response.mimetype == "application/geo+json"
    collection = response.get_json(force=True)
    assert collection["type"] == "FeatureCollection"
    assert {f["properties"]["name"] for f in collection["features"]} == {"نساجی البرز", "صنایع غذایی مهر"}
    point = collection["features"][0]["geometry"]
    assert point["type"] == "Point" and 51 < point["coordinates"][0] < 52 and 35 < point["coordinates"][1] < 36


def test_unknown_kinds_and_formats_are_404(client, seeded):
    sara = ConsoleUser(client, "sara")
    assert sara.get("/console/exports/visits.geojson").status_code == 404
    assert sara.get("/console/exports/secrets.csv").status_code == 404


def test_exports_over_the_api_with_a_bearer_token(client, seeded, login):
    hamid = login("hamid", "supervisor", [TEHRAN])
    status, _ = hamid.get("/api/v1/exports/units", params={"format": "bogus"})
    assert status == 422
    response = client.get("/api/v1/exports/visits", query_string={"format": "xlsx", "lang": "en"},
                          headers={"Authorization": f"Bearer {hamid.token}"})
    assert response.status_code == 200
    sheet, header, rows = read_xlsx(response.get_data())
    assert sheet.sheet_view.rightToLeft is False and len(rows) == 2
    engineer = login("nima", "engineer", [TEHRAN])
    assert engineer.get("/api/v1/exports/units")[0] == 403
    spec = client.get("/api/openapi.json").get_json()
    assert "/api/v1/exports/visits" in spec["paths"]


def test_cells_are_spreadsheet_values_with_persian_headers(client, seeded):
    """Numbers answered on the form are number cells (Persian digits would be text that cannot be
    summed), every header is Persian, people are named, and the visit column says what it holds."""
    sara = ConsoleUser(client, "sara")
    _sheet, header, rows = read_xlsx(sara.get("/console/exports/visits.xlsx").get_data())
    assert not [h for h in header if h.isascii()], header
    row = {r[1]: dict(zip(header, r, strict=True)) for r in rows}["نساجی البرز"]
    assert row["تعداد کارکنان فعلی"] == 5 and isinstance(row["تعداد کارکنان فعلی"], int)
    assert isinstance(row["عرض جغرافیایی"], float)
    _sheet, header, rows = read_xlsx(sara.get("/console/exports/obstacles.xlsx").get_data())
    assert not [h for h in header if h.isascii()], header
    assert "شناسه بازدید" in header and {r[header.index("کارشناس")] for r in rows} == {"Reza"}
    _sheet, header, rows = read_xlsx(sara.get("/console/exports/units.xlsx").get_data())
    assert not [h for h in header if h.isascii()], header
    assert header[-1] == "ادغام‌شده در"
    sara.post("/console/language", {"lang": "en"})
    _sheet, header, rows = read_xlsx(sara.get("/console/exports/obstacles.xlsx").get_data())
    assert "Latitude" not in header and "Visit ID" in header
    assert {r[header.index("Province")] for r in rows} == {"Tehran"}
