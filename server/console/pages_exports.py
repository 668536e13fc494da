"""The exports page and the downloads behind it (same filters as the review queue)."""

from flask import Response, abort, g, json, request

from server.auth import STAFF
from server.console import exports, filters, jalali
from server.console.pages_review import queue_choices
from server.console.web import bp, console_access, lang, page
from server.db import get_db, now
from sync.clock import iso


def export_response(kind: str, fmt: str, db, actor, args, language: str) -> Response:
    """Build one export for ``actor`` from query ``args``; shared by the console and the API."""
    if kind not in exports.KINDS or fmt not in exports.FORMATS_OF_KIND[kind]:
        abort(404)
    visit_filter = filters.visit_filter(args).filter
    unit_filter = filters.unit_filter(args).filter
    if fmt == "geojson":
        body = json.dumps(exports.units_geojson(db, actor, unit_filter), ensure_ascii=False).encode("utf-8")
    else:
        table = (exports.register_table(db, actor, filters.register_filter(args), language, iso(now()))
                 if kind == "register" else exports.build(kind, db, actor, visit_filter, unit_filter, language))
        body = exports.to_csv(table) if fmt == "csv" else exports.to_xlsx(table, language)
    name = exports.filename(kind, fmt, jalali.local(now()).date())
    return Response(body, content_type=exports.FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@bp.route("/exports", endpoint="exports")
@console_access(*STAFF)
def exports_page():
    db = get_db()
    parsed = filters.visit_filter(request.args)
    return page("console/exports.html", parsed=parsed, kinds=exports.FORMATS_OF_KIND,
                unit_statuses=filters.UNIT_STATUSES, **queue_choices(db))


@bp.route("/exports/<kind>.<fmt>")
@console_access(*STAFF)
def export(kind, fmt):
    return export_response(kind, fmt, get_db(), g.actor, request.args, lang())
