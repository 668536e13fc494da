"""Exports of visits, obstacles and units as CSV and XLSX, and of units as GeoJSON.

Plain functions (no request needed): the console's export page and the API's
``/api/v1/exports/...`` endpoints both call :func:`build` and a writer. Rows come from
``sync.console_queries`` with the caller's province scope and the review queue's filters.

Format decisions:
* Column headers are in the requested language; every time has a Jalali column (Tehran
  time, ``1404/12/10``) and a Gregorian one (``2026-03-01``). Digits stay ASCII in files so
  spreadsheets sort and sum them.
* CSV is UTF-8 with a byte-order mark, which Excel needs to read Persian correctly.
* XLSX sheets are right-to-left in Persian, with a bold frozen header row and a filter;
  Gregorian dates are real date cells, Jalali ones text.
* GeoJSON has one Point feature per unit with a location (``[lon, lat]``), properties under
  stable English keys, values as stored.
* Text is never a formula. In XLSX every text cell is written as text (openpyxl would take
  text starting with ``=`` for a formula). In CSV, text starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's advice for CSV
  injection): a spreadsheet opening the file shows the text instead of running it.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from server.console import i18n, jalali, labels, visit_view
from sync import console_queries, obstacle_register
from sync.console_queries import UnitFilter, VisitFilter

KINDS = ("visits", "obstacles", "units", "register")
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "geojson": "application/geo+json"}
FORMATS_OF_KIND = {"visits": ("csv", "xlsx"), "obstacles": ("csv", "xlsx"), "units": ("csv", "xlsx", "geojson"),
                   "register": ("csv", "xlsx")}


@dataclass
class Table:
    """An export before it is written: a title, headers and rows of plain values."""

    title: str
    headers: list[str]
    rows: list[list]


def _t(lang: str, key: str) -> str:
    return i18n.translate(lang, key)


def _when(value, lang: str) -> list:
    """A stored UTC time as [Jalali date-time text, Gregorian date] in Tehran time."""
    moment = jalali.local(value)
    if moment is None:
        return ["", None]
    return [jalali.jalali_datetime(value, "en"), moment.date()]


def _date_headers(lang: str, key: str) -> list[str]:
    name = _t(lang, key)
    return [f"{name} ({_t(lang, 'exports.jalali')})", f"{name} ({_t(lang, 'exports.gregorian')})"]


def _place(row: dict, prefix: str, lang: str) -> str:
    english = row.get(f"{prefix}_name_en")
    return (english if lang == "en" and english else row.get(f"{prefix}_name")) or ""


def _label(lang: str, kind: str, code) -> str:
    if code in (None, ""):
        return ""
    text = _t(lang, f"{kind}.{code}")
    return str(code) if text == f"{kind}.{code}" else text


def answer_cell(question: dict, value, lang: str):
    """An answer for a spreadsheet: numbers stay numbers (Persian digits in a cell are text, and
    a column of text cannot be summed or sorted), dates and counts in ASCII digits, choices in
    words of ``lang``."""
    kind = question.get("type")
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if kind in ("integer", "decimal") and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        try:
            return f"{jalali.jalali_date(date.fromisoformat(value), 'en')} ({value})"
        except ValueError:
            return value
    if kind == "photo":
        return len(value) if isinstance(value, list) else 1
    return visit_view.answer_text(question, value, lang, display=False)


# --- the three tables -----------------------------------------------------------------------

def visits_table(db, actor, f: VisitFilter, lang: str) -> Table:
    rows = console_queries.visit_rows(db, actor, f)
    definitions = {}
    for row in rows:
        ref = (row["template_code"], row["template_version"])
        if ref not in definitions:
            definitions[ref] = labels.template_definition(db, *ref)
    # Answer columns: every question of the templates involved, in template order.
    questions = {}
    for definition in definitions.values():
        for section in (definition or {}).get("sections", []):
            for question in section.get("questions", []):
                if question.get("type") not in visit_view.SKIPPED_TYPES:
                    questions.setdefault(question["key"], question)
    headers = [_t(lang, "common.id"), _t(lang, "field.unit"), _t(lang, "common.id") + " " + _t(lang, "field.unit"),
               _t(lang, "field.province"), _t(lang, "field.park"), _t(lang, "field.engineer"),
               _t(lang, "field.template"), _t(lang, "field.version"), _t(lang, "field.state"),
               *_date_headers(lang, "field.observed_at"), *_date_headers(lang, "field.received_at"),
               *_date_headers(lang, "visit.state_since"), _t(lang, "field.comment"), _t(lang, "field.lat"),
               _t(lang, "field.lon"),
               *(labels.pick(q.get("label"), lang, key) for key, q in questions.items())]
    body = []
    for row in rows:
        answers = row["answers"]
        body.append([
            row["id"], row["unit_name"], row["unit_id"], _place(row, "province", lang), _place(row, "park", lang),
            row["engineer_name"] or row["engineer_username"], f"{row['template_code']}:{row['template_version']}",
            row["version"], _label(lang, "review", row["review_state"]),
            *_when(row["observed_at"], lang), *_when(row["received_at"], lang), *_when(row["reviewed_at"], lang),
            row["review_comment"] or "", row["lat"], row["lon"],
            *(answer_cell(q, answers.get(key), lang) for key, q in questions.items()),
        ])
    return Table(_t(lang, "exports.visits"), headers, body)


def obstacles_table(db, actor, f: VisitFilter, lang: str) -> Table:
    rows = console_queries.obstacle_rows(db, actor, f)
    taxonomy = labels.taxonomy_label_map(db)

    def tx(kind, code):
        return labels.pick(taxonomy[kind].get(code), lang, code or "") if code else ""

    headers = [_t(lang, "common.id"), _t(lang, "field.obstacle_state"), _t(lang, "field.unit"),
               _t(lang, "field.province"), _t(lang, "field.park"), _t(lang, "field.area"), _t(lang, "field.group"),
               _t(lang, "field.severity"), _t(lang, "field.description"), _t(lang, "field.proposed_action"),
               _t(lang, "field.responsible_body"), _t(lang, "field.visit_id"), _t(lang, "field.state"),
               _t(lang, "field.engineer"), *_date_headers(lang, "field.observed_at")]
    body = [[r["obstacle_id"] or "", _label(lang, "obstacle", r["obstacle_status"]), r["unit_name"],
             _place(r, "province", lang), _place(r, "park", lang), tx("areas", r["area"]),
             tx("groups", r["group_code"]), tx("severities", r["severity"]), r["description"],
             r["proposed_action"] or "", tx("responsible_bodies", r["responsible_body"]), r["visit_id"],
             _label(lang, "review", r["review_state"]), r["engineer_name"] or r["engineer_username"],
             *_when(r["observed_at"], lang)] for r in rows]
    return Table(_t(lang, "exports.obstacles"), headers, body)


def register_table(db, actor, parsed, lang: str, now: str) -> Table:
    """The obstacle register as filtered and sorted on its page: one row per obstacle, with
    when it was first seen, when it was resolved and how many days it has been open."""
    rows = obstacle_register.register_rows(db, actor, parsed.filter, now, parsed.sort, parsed.descending)
    taxonomy = labels.taxonomy_label_map(db)

    def tx(kind, code):
        return labels.pick(taxonomy[kind].get(code), lang, code or "") if code else ""

    headers = [_t(lang, "common.id"), _t(lang, "field.unit"), _t(lang, "field.province"), _t(lang, "field.park"),
               _t(lang, "field.area"), _t(lang, "field.group"), _t(lang, "field.severity"),
               _t(lang, "field.description"), _t(lang, "field.proposed_action"), _t(lang, "field.responsible_body"),
               _t(lang, "field.obstacle_state"), *_date_headers(lang, "field.first_seen"),
               *_date_headers(lang, "field.resolved_at"), _t(lang, "register.days_open"),
               _t(lang, "register.found_by"), _t(lang, "register.resolved_by")]
    body = [[r["id"], r["unit_name"], _place(r, "province", lang), _place(r, "park", lang), tx("areas", r["area"]),
             tx("groups", r["group_code"]), tx("severities", r["severity"]), r["description"],
             r["proposed_action"] or "", tx("responsible_bodies", r["responsible_body"]),
             _label(lang, "obstacle", r["status"]), *_when(r["opened_at"], lang), *_when(r["resolved_at"], lang),
             r["days_open"], r["opened_visit_id"], r["resolved_visit_id"] or ""] for r in rows]
    return Table(_t(lang, "exports.register"), headers, body)


UNIT_FIELDS = ("name", "national_id", "license_no", "owner", "activity", "address", "phone")


def units_table(db, actor, f: UnitFilter, lang: str) -> Table:
    rows = console_queries.unit_rows(db, actor, f)
    headers = [_t(lang, "common.id"), *(_t(lang, f"field.{k}") for k in UNIT_FIELDS),
               _t(lang, "field.province"), _t(lang, "field.city"), _t(lang, "field.park"), _t(lang, "field.status"),
               _t(lang, "field.employees"), _t(lang, "field.lat"), _t(lang, "field.lon"), _t(lang, "unit.visits"),
               *_date_headers(lang, "field.observed_at"), *_date_headers(lang, "field.created_at"),
               *_date_headers(lang, "field.updated_at"), _t(lang, "field.merged_into")]
    body = [[r["id"], *(r[k] or "" for k in UNIT_FIELDS), _place(r, "province", lang), r["city_name"] or "",
             _place(r, "park", lang), _label(lang, "status", r["status"]), r["employees"], r["lat"], r["lon"],
             r["visit_count"], *_when(r["last_visit_at"], lang), *_when(r["created_at"], lang),
             *_when(r["updated_at"], lang), r["merged_into"] or ""] for r in rows]
    return Table(_t(lang, "exports.units"), headers, body)


def units_geojson(db, actor, f: UnitFilter) -> dict:
    features = []
    for r in console_queries.unit_rows(db, actor, f):
        if r["lat"] is None or r["lon"] is None:
            continue
        features.append({
            "type": "Feature",
            "id": r["id"],
            "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": {
                "id": r["id"], "name": r["name"], "national_id": r["national_id"], "status": r["status"],
                "employees": r["employees"], "province_id": r["province_id"], "province": r["province_name"],
                "park_id": r["park_id"], "park": r["park_name"], "activity": r["activity"],
                "visits": r["visit_count"], "last_visit_at": r["last_visit_at"], "updated_at": r["updated_at"],
            },
        })
    return {"type": "FeatureCollection", "features": features}


def build(kind: str, db, actor, visit_filter: VisitFilter, unit_filter: UnitFilter, lang: str) -> Table:
    if kind == "visits":
        return visits_table(db, actor, visit_filter, lang)
    if kind == "obstacles":
        return obstacles_table(db, actor, visit_filter, lang)
    return units_table(db, actor, unit_filter, lang)


# --- writers --------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value  # text, not a formula, in whatever opens the file
    return "" if value is None else value


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_plain(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xml_safe(value):
    """Text as stored may hold control characters (a vertical tab pasted from a word processor)
    that XML, hence XLSX, cannot carry; openpyxl refuses them, which failed the whole export.
    They are shown as U+FFFD."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def to_xlsx(table: Table, lang: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31]  # Excel's limit on sheet names
    sheet.sheet_view.rightToLeft = lang == "fa"
    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_xml_safe(v) for v in row])
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, date) and not isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, str):
                cell.data_type = "s"  # what was typed is text, even when it starts with "="
    for index, header in enumerate(table.headers, start=1):
        sample = [len(str(header))] + [len(str(r[index - 1] or "")) for r in table.rows[:200]]
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(10, max(sample) + 2))
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def filename(kind: str, fmt: str, today: date) -> str:
    return f"fieldsync-{kind}-{today.isoformat()}.{fmt}"
