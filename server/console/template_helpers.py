"""Filters and globals the console's Jinja templates use: words for codes, dates, numbers.

Everything follows the page language (``web.lang()``): Persian digits and Jalali dates in
Tehran time for ``fa``; labels of stored codes come from the catalogue in ``i18n``.
"""

from flask import g
from markupsafe import Markup, escape

from server.console import charts, dedup_words, filters, i18n, jalali, labels
from server.console.web import _, bp, lang
from server.db import get_db
from sync import console_queries


@bp.app_template_global("_")
def _translate_global(key: str, **values) -> str:
    return _(key, **values)


bp.add_app_template_global(filters.query_args, "filter_args")
bp.add_app_template_global(filters.PAGE_SIZES, "page_sizes")


@bp.app_template_global("place_options")
def _place_options(rows) -> list[tuple]:
    """(id, name in the page language) for a select of provinces or parks."""
    return [(r["id"], (r.get("name_en") if lang() == "en" and r.get("name_en") else r["name"])) for r in rows]


@bp.app_template_global("engineer_options")
def _engineer_options(rows) -> list[tuple]:
    return [(r["id"], r["full_name"] or r["username"]) for r in rows]


@bp.app_template_global("template_options")
def _template_options(rows) -> list[tuple]:
    return [(f"{r['code']}:{r['version']}", labels.template_name(r["code"], r["version"], lang())) for r in rows]


@bp.app_template_global("code_options")
def _code_options(codes, kind: str) -> list[tuple]:
    """(code, its label) for a select of stored codes: statuses, review states, roles."""
    return [(code, _label(code, kind)) for code in codes]


@bp.app_template_filter("num")
def _num(value) -> str:
    return i18n.localize_digits(value, lang())


@bp.app_template_filter("jdate")
def _jdate(value) -> str:
    return jalali.jalali_date(value, lang())


@bp.app_template_filter("jdatetime")
def _jdatetime(value) -> str:
    return jalali.jalali_datetime(value, lang())


@bp.app_template_filter("gdate")
def _gdate(value) -> str:
    return jalali.gregorian_date(value)


@bp.app_template_filter("shown")
def _shown(value) -> Markup:
    """A stored field value as text: numbers localised, a location as "lat, lon".

    Isolated in ``<bdi>``: a phone "0912 111 2233" or a location "35.5, 51.2" has no letter to
    set its direction, and in a right-to-left cell its groups would read backwards."""
    return Markup("<bdi>{}</bdi>").format(_shown_text(value))


def _shown_text(value) -> str:
    if value in (None, ""):
        return _("common.none")
    if isinstance(value, dict) and "lat" in value:
        return coordinates(value["lat"], value["lon"])
    if isinstance(value, bool):
        return _("common.yes") if value else _("common.no")
    if isinstance(value, int | float):
        return i18n.localize_digits(value, lang())
    if isinstance(value, list):
        return i18n.join(value, lang())
    # Ids, phones and addresses typed with Latin digits read in Persian digits on a Persian page.
    return i18n.localize_digits(str(value), lang())


@bp.app_template_global("coordinates")
def coordinates(lat, lon) -> str:
    """``35.56380, 51.26544``, or ``۳۵٫۵۶۳۸۰، ۵۱٫۲۶۵۴۴`` on a Persian page."""
    if lat is None or lon is None:
        return _("common.none")
    text = [i18n.decimal(f"{float(x):.5f}", lang()) for x in (lat, lon)]
    return i18n.join(text, lang())


@bp.app_template_filter("digits")
def _digits(value) -> str:
    """Text (an id, a phone) with the page's digits; nothing else changes."""
    return _("common.none") if value in (None, "") else i18n.localize_digits(str(value), lang())


@bp.app_template_filter("signed")
def _signed(value) -> str:
    # Between LEFT-TO-RIGHT ISOLATE and POP DIRECTIONAL ISOLATE: plain text that keeps its sign in
    # front inside a Persian sentence or cell, and can go into a translated message.
    return f"\u2066{i18n.signed(value or 0, lang())}\u2069"


@bp.app_template_filter("percent")
def _percent(value) -> str:
    return i18n.percent(value, lang())


@bp.app_template_filter("label")
def _label(value, kind: str) -> str:
    """A stored code shown in words: ``'stalled'|label('status')`` → ``راکد``."""
    if value in (None, ""):
        return _("common.none")
    key = f"{kind}.{value}"
    text = _(key)
    return str(value) if text == key else text


PLACE_TABLES = {"province_id": "provinces", "city_id": "cities", "park_id": "parks"}


def _place_name(table: str, place_id) -> str | None:
    """A province, city or park by id, in the page's language (looked up once per request)."""
    cache = g.setdefault("place_names", {})
    if (table, place_id) not in cache:
        row = console_queries.names_by_id(get_db(), table, [place_id]).get(place_id)
        cache[(table, place_id)] = None if row is None else (
            row.get("name_en") if lang() == "en" and row.get("name_en") else row["name"])
    return cache[(table, place_id)]


@bp.app_template_global("unit_value")
def _unit_value(field: str, value) -> Markup:
    """A unit field's value as a person reads it: places and statuses in words, numbers,
    phones, ids and coordinates in the page's digits (exports keep them as typed)."""
    if value in (None, ""):
        return Markup(escape(_("common.none")))
    if field in PLACE_TABLES and isinstance(value, int):
        return Markup(escape(_place_name(PLACE_TABLES[field], value) or _("common.unknown_place")))
    if field == "status":
        return Markup(escape(_label(value, "status")))
    return _shown(value)


@bp.app_template_global("field_options")
def _field_options(names) -> list[tuple]:
    return [(name, _(f"field.{name}")) for name in names]


@bp.app_template_global("device_name")
def _device_name(label, registered_at=None) -> str:
    """A device as a person knows it: its label, else when it was first used (its id is a code)."""
    if label:
        return label
    if registered_at:
        return _("common.device_since", day=jalali.jalali_date(registered_at, lang()))
    return _("common.device_unnamed")


@bp.app_template_global("area_css")
def _area_css(code) -> str:
    return charts.area_colour(code)


@bp.app_template_global("merge_reason")
def _merge_reason(reason) -> str:
    """Why two records were merged, in words (``dedup:supervisor`` is a code, not a reason)."""
    if not reason:
        return ""
    key = "merge_reason." + str(reason).replace(":", "_")
    text = _(key)
    return str(reason) if text == key else text


@bp.app_template_global("revisit_windows")
def _revisit_windows(days) -> list[tuple]:
    return [(d, _("revisits.within_0") if d == 0 else _("revisits.within_days", days=d)) for d in days]


@bp.app_template_global("chance_band")
def _chance_band(probability: float) -> str:
    return dedup_words.chance_band(probability)


@bp.app_template_global("kind_words")
def _kind_words(kind: str, level_key: str | None) -> str:
    """How two values compare, in the same words on the pair's table and in the score's
    explanation: the kind ("agree", "differ", …) and, when it says more, the level's range."""
    words = _(f"dup.kind.{kind}")
    if not level_key or kind in ("missing", "both_empty"):
        return words
    detail = _(level_key)
    return words if detail in (words, level_key) else f"{words} ({detail})"
