"""Reference data: provinces, cities, industrial parks and zones."""

from schemas.reference import CityListSchema, ParkListSchema, ParkQuerySchema, ProvinceListSchema
from server.auth import access
from server.db import get_db
from server.requests import Blueprint
from sync import reference

bp = Blueprint("reference", __name__, url_prefix="/api/v1", description="Reference data.")


@bp.route("/provinces", methods=["GET"])
@access()
@bp.response(200, ProvinceListSchema)
def provinces():
    """All 31 provinces."""
    return {"items": reference.list_rows(get_db(), "provinces")}


@bp.route("/cities", methods=["GET"])
@access()
@bp.arguments(ParkQuerySchema, location="query")
@bp.response(200, CityListSchema)
def cities(args):
    """Cities, optionally of one province."""
    return {"items": reference.list_rows(get_db(), "cities", args.get("province_id"))}


@bp.route("/parks", methods=["GET"])
@access()
@bp.arguments(ParkQuerySchema, location="query")
@bp.response(200, ParkListSchema)
def parks(args):
    """Industrial parks and zones, optionally of one province."""
    return {"items": reference.list_rows(get_db(), "parks", args.get("province_id"))}
