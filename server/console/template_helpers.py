"""Filters and globals the console's Jinja templates use: words for codes, dates, numbers.

Everything follows the page language (``web.lang()``): Persian digits and Jalali dates in
Tehran time for ``fa``; labels of stored codes come from the catalogue in ``i18n``.
"""

from markupsafe import Markup

from server.console import filters, i18n, jalali, labels
from server.console.web import _, bp, lang


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
        return f"{value['lat']:.5f}, {value['lon']:.5f}"
    if isinstance(value, bool):
        return _("common.yes") if value else _("common.no")
    if isinstance(value, int | float):
        return i18n.localize_digits(value, lang())
    if isinstance(value, list):
        return i18n.join(value, lang())
    return str(value)


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
