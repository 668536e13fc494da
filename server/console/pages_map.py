"""The map: units of the filtered view coloured by status, and the visits recorded there.

The page draws with Leaflet (``/vendor/leaflet/``) over Iran's provinces (an outline shipped
with fieldsync, ``/vendor/iran-provinces/``), so it needs no server but this one; a tile
server is added when ``MAP_TILE_URL`` is set, and only its origin is let into the page's
content policy. The points come from ``/console/map/data.json`` with the same filters as the
units list (and the visit dates of the review queue), scoped like every console list.
"""

from urllib.parse import urlsplit

from flask import current_app, g, jsonify, request

from server.auth import STAFF
from server.console import filters
from server.console.web import CONTENT_SECURITY_POLICY, bp, console_access, page
from server.db import get_db
from sync import console_queries

MAX_POINTS = 20_000  # a province has a few thousand units; more would only slow the browser


def _tile_origin() -> str | None:
    url = current_app.config.get("MAP_TILE_URL") or ""
    parts = urlsplit(url.replace("{", "").replace("}", ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def map_filters(args):
    """The units list's filters, and the review queue's visit dates for the visits layer."""
    units = filters.unit_filter(args)
    visits = filters.visit_filter(args)
    units.errors.extend(e for e in visits.errors if e in ("date_from", "date_to", "unit_id"))
    units.raw.update(date_from=args.get("date_from", ""), date_to=args.get("date_to", ""),
                     unit_id=args.get("unit_id", ""))
    return units, visits.filter


@bp.route("/map", endpoint="map")
@console_access(*STAFF)
def map_page():
    db = get_db()
    parsed, _visits = map_filters(request.args)
    body, status = page("console/map.html", parsed=parsed, statuses=console_queries.UNIT_STATUSES,
                        provinces=console_queries.provinces_for(db, g.actor),
                        parks=console_queries.parks_for(db, g.actor),
                        tile_url=current_app.config.get("MAP_TILE_URL") or "",
                        tile_attribution=current_app.config.get("MAP_TILE_ATTRIBUTION") or "")
    headers = {}
    origin = _tile_origin()
    if origin:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "img-src 'self' data:", f"img-src 'self' data: {origin}")
    return body, status, headers


@bp.route("/map/data.json")
@console_access(*STAFF)
def map_data():
    """Units (``[id, name, lat, lon, status]``) and their visits (``[id, unit_id, lat, lon,
    review_state, observed_at]``) of the filtered view that have a location."""
    parsed, visit_filter = map_filters(request.args)
    unit_id = (request.args.get("unit_id") or "")[:64] or None
    found = console_queries.map_points(get_db(), g.actor, parsed.filter, unit_id, visit_filter.since,
                                       visit_filter.until, MAX_POINTS)
    return jsonify({**found, "limit": MAX_POINTS})
