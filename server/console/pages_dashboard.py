"""The dashboard: units by status per province, open obstacles by area and group, visits per
week, and revived units and jobs per month — inline SVG charts from ``sync.stats``.

Statistics count approved visits only, as the review rules ask, unless the supervisor asks
for the visits still in review too (``include_review=1``, the statistics' ``approved_only=False``);
the visits-per-week chart always shows approved visits beside the others still in review
(rejected ones never count).
"""

from datetime import date, timedelta

from flask import g, request, url_for

from server.auth import STAFF
from server.console import charts, filters, jalali, labels
from server.console.i18n import DIRECTION
from server.console.web import _, bp, console_access, lang, page
from server.db import get_db
from sync import console_queries, stats
from sync.days import week_start

STATUS_SERIES = (("active", "c0"), ("semi_active", "c1"), ("stalled", "c2"), ("closed", "c3"), (None, "cx"))
TOP_GROUPS = 12
MAX_WEEKS = 52
MAX_MONTHS = 36


def _place_name(row: dict) -> str:
    return row.get("name_en") if lang() == "en" and row.get("name_en") else row["name"]


def _place_args(where: dict) -> dict:
    return {k: v for k, v in where.items() if v is not None}


def units_by_status_chart(db, where: dict, approved_only: bool) -> tuple:
    rows = stats.units_by_status(db, g.actor, approved_only=approved_only, **where)
    provinces = {p["id"]: p for p in console_queries.provinces_for(db, g.actor)}
    counts: dict[int, dict] = {}
    for row in rows:
        counts.setdefault(row["province_id"], {}).setdefault(row["status"], 0)
        counts[row["province_id"]][row["status"]] += row["units"]
    order = sorted(counts, key=lambda p: -sum(counts[p].values()))
    series = [charts.Series(_("status." + (status or "unknown")), css, [counts[p].get(status, 0) for p in order])
              for status, css in STATUS_SERIES]
    names = [_place_name(provinces[p]) if p in provinces else str(p) for p in order]
    rtl = DIRECTION[lang()] == "rtl"

    def link(row, k):
        # The units the bar counts: by the status their latest counted visit observed.
        observed = None if k is None else (STATUS_SERIES[k][0] or "unknown")
        return url_for("console.units", province_id=order[row], park_id=where.get("park_id"), observed=observed,
                       include_review=None if approved_only else 1)

    chart = charts.hbars("chart-units", _("dash.units_by_status"), names, series, lang(), rtl, link=link)
    return chart, series, bool(order)


def obstacle_charts(db, where: dict, approved_only: bool) -> tuple:
    rows = stats.obstacle_counts(db, g.actor, approved_only=approved_only, **where)
    rtl = DIRECTION[lang()] == "rtl"
    areas: dict[str, int] = {}
    for row in rows:
        areas[row["area"]] = areas.get(row["area"], 0) + row["open"]
    area_order = sorted(areas, key=lambda a: -areas[a])
    area_names = [labels.taxonomy_label("areas", a, lang()) for a in area_order]
    # The register lists what the chart counts: open obstacles, approved visits only unless the
    # supervisor asked for those in review too.
    listed = {**_place_args(where), "status": "open", **({"approved": 1} if approved_only else {})}
    # One series per area on both charts, so each bar takes its area's colour, the same everywhere.
    area_series = [charts.Series(labels.taxonomy_label("areas", a, lang()), charts.area_colour(a),
                                 [areas[a] if b == a else 0 for b in area_order]) for a in area_order]
    by_area = charts.hbars("chart-obstacle-areas", _("dash.obstacles_by_area"), area_names, area_series, lang(),
                           rtl, link=lambda row, _k: url_for("console.obstacles", area=area_order[row], **listed))
    groups = sorted((r for r in rows if r["open"]), key=lambda r: -r["open"])[:TOP_GROUPS]
    group_series = [charts.Series(labels.taxonomy_label("areas", a, lang()), charts.area_colour(a),
                                  [r["open"] if r["area"] == a else 0 for r in groups]) for a in area_order]
    by_group = charts.hbars("chart-obstacle-groups", _("dash.obstacles_by_group"),
                            [labels.taxonomy_label("groups", r["group"], lang()) for r in groups], group_series,
                            lang(), rtl, link=lambda row, _k: url_for("console.obstacles", area=groups[row]["area"],
                                                                       group=groups[row]["group"], **listed))
    return by_area, by_group, area_series, any(areas.values())


def _weeks(first: date, last: date) -> list[date]:
    """The last MAX_WEEKS weeks up to ``last`` that are not before ``first``'s week."""
    start = max(week_start(first), week_start(last) - timedelta(days=7 * (MAX_WEEKS - 1)))
    return [start + timedelta(days=7 * k) for k in range((week_start(last) - start).days // 7 + 1)]


def visits_chart(db, where: dict) -> tuple:
    counted = {r["week"]: r["visits"] for r in stats.visits_per_week(db, g.actor, **where)}
    approved = {r["week"]: r["visits"] for r in stats.visits_per_week(db, g.actor, approved_only=True, **where)}
    if not counted:
        return None, [], False, None
    weeks = _weeks(date.fromisoformat(min(counted)), date.fromisoformat(max(counted)))
    keys = [w.isoformat() for w in weeks]
    series = [charts.Series(_("review.approved"), "c0", [approved.get(k, 0) for k in keys]),
              charts.Series(_("review.submitted") + " / " + _("review.returned"), "c1",
                            [counted.get(k, 0) - approved.get(k, 0) for k in keys])]
    names = [jalali.jalali_date(w, lang())[5:] for w in weeks]  # month/day; the years are in the caption
    span = _("dash.weeks_span", first=jalali.jalali_date(weeks[0], lang()), last=jalali.jalali_date(weeks[-1], lang()))

    def link(i, k):
        # The week's visits in the queue: approved ones for the approved part of the column.
        days = {"date_from": weeks[i].isoformat(), "date_to": (weeks[i] + timedelta(days=6)).isoformat()}
        return url_for("console.queue", **_place_args(where), **days, **({"state": "approved"} if k == 0 else {}))

    chart = charts.columns("chart-visits", _("dash.visits_per_week"), names, series, lang(), link=link)
    return chart, series, True, span


def revivals_chart(db, where: dict, approved_only: bool) -> tuple:
    found = stats.revivals(db, g.actor, approved_only=approved_only, **where)
    if not found["items"]:
        return None, [], False, found
    months: dict[date, list] = {}
    for item in found["items"]:
        start = jalali.month_start(jalali.local_day(item["revived_at"]))
        months.setdefault(start, []).append(item)
    first, last = min(months), max(months)
    order, day = [last], last
    # Every month in between, empty ones too, so time reads evenly; the last MAX_MONTHS.
    while len(order) < MAX_MONTHS and day > first:
        day = jalali.month_start(day - timedelta(days=1))
        order.insert(0, day)
    units_series = charts.Series(_("dash.revived_units"), "c0", [len({i["unit_id"] for i in months.get(m, [])})
                                                                 for m in order])
    jobs_series = charts.Series(_("dash.jobs"), "c7", [sum(i["jobs"] for i in months.get(m, [])) for m in order])
    chart = charts.columns("chart-revivals", _("dash.revived"), [jalali.jalali_month(m, lang()) for m in order],
                           [units_series], lang(), line=jobs_series)
    return chart, [units_series, jobs_series], True, found


@bp.route("/dashboard")
@console_access(*STAFF)
def dashboard():
    db = get_db()
    parsed = filters.unit_filter(request.args)
    where = {"province_id": parsed.filter.province_id, "park_id": parsed.filter.park_id}
    # The review rules count approved visits only "unless asked otherwise": this is the asking.
    include_review = (request.args.get("include_review") or "") in filters.TRUE_WORDS
    approved_only = not include_review
    units_chart, status_series, has_units = units_by_status_chart(db, where, approved_only)
    by_area, by_group, group_series, has_obstacles = obstacle_charts(db, where, approved_only)
    visits, visit_series, has_visits, weeks_span = visits_chart(db, where)
    revived, revived_series, has_revivals, found = revivals_chart(db, where, approved_only)
    return page("console/dashboard.html", parsed=parsed, provinces=console_queries.provinces_for(db, g.actor),
                parks=console_queries.parks_for(db, g.actor), include_review=include_review,
                units_chart=units_chart, status_series=status_series, has_units=has_units,
                by_area=by_area, by_group=by_group, group_series=group_series, has_obstacles=has_obstacles,
                visits_chart=visits, visit_series=visit_series, has_visits=has_visits, weeks_span=weeks_span,
                revivals_chart=revived, revived_series=revived_series, has_revivals=has_revivals,
                revived_units=found["units"], revived_jobs=found["jobs"], legend=charts.legend)
