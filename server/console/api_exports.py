"""The console's exports over the JSON API's auth: ``GET /api/v1/exports/{visits,obstacles,units}``.

Same files, filters and scoping as the console's downloads (``server.console.exports``),
for scripts and spreadsheets that fetch with a bearer token.
"""

from flask import g, request
from marshmallow import Schema, fields, validate

from server.auth import STAFF, access
from server.console.exports import FORMATS
from server.console.i18n import LANGUAGES
from server.console.pages_exports import export_response
from server.db import get_db
from server.requests import Blueprint
from sync.migrations import REVIEW_STATES, UNIT_STATUSES

bp = Blueprint("exports", __name__, url_prefix="/api/v1/exports",
               description="Exports of visits, obstacles and units (CSV, XLSX, GeoJSON).")


class ExportQuerySchema(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(tuple(FORMATS)),
                           metadata={"description": "csv, xlsx, or (units only) geojson."})
    lang = fields.String(load_default="fa", validate=validate.OneOf(LANGUAGES),
                         metadata={"description": "Language of the column headers and labels."})
    state = fields.String(validate=validate.OneOf(REVIEW_STATES),
                          metadata={"description": "Review state (visits, obstacles)."})
    province_id = fields.Integer()
    park_id = fields.Integer()
    engineer_id = fields.Integer(metadata={"description": "Visits and obstacles."})
    template = fields.String(metadata={"description": "Template code, or code:version."})
    date_from = fields.String(
        metadata={"description": "First day (Tehran time), Jalali 1404/12/10 or Gregorian 2026-03-01."})
    date_to = fields.String(metadata={"description": "Last day, inclusive; same formats."})
    q = fields.String(metadata={"description": "Part of the unit's name."})
    status = fields.String(validate=validate.OneOf(UNIT_STATUSES), metadata={"description": "Unit status (units)."})
    include_merged = fields.Boolean(metadata={"description": "Units: include merged records."})


def _export(kind: str, args: dict):
    # The query string is read again by the console's filter parser, so the API and the
    # console interpret filters (Jalali dates included) in exactly the same way.
    return export_response(kind, args["format"], get_db(), g.actor, request.args, args["lang"])


def _file_schema(media_type: str) -> dict:
    # GeoJSON is JSON (clients and validators parse it); CSV and XLSX are opaque bytes.
    return {"type": "object"} if media_type.endswith("json") else {"type": "string", "format": "binary"}


_FILES = {"200": {"description": "The export file (CSV, XLSX or GeoJSON, per `format`).",
                  "content": {t.split(";")[0]: {"schema": _file_schema(t.split(";")[0])}
                              for t in FORMATS.values()}}}


@bp.route("/visits", methods=["GET"])
@access(*STAFF)
@bp.arguments(ExportQuerySchema, location="query")
@bp.doc(responses=_FILES)
def export_visits(args):
    """Visits in the caller's provinces, with their answers, filtered like the review queue."""
    return _export("visits", args)


@bp.route("/obstacles", methods=["GET"])
@access(*STAFF)
@bp.arguments(ExportQuerySchema, location="query")
@bp.doc(responses=_FILES)
def export_obstacles(args):
    """Obstacles recorded by the visits that match the filters, with each obstacle's state."""
    return _export("obstacles", args)


@bp.route("/units", methods=["GET"])
@access(*STAFF)
@bp.arguments(ExportQuerySchema, location="query")
@bp.doc(responses=_FILES)
def export_units(args):
    """Units in the caller's provinces; ``format=geojson`` gives a map layer of located units."""
    return _export("units", args)
