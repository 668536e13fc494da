"""Units: list and read within scope, merge two records into one, undo a merge."""

from flask import g

from schemas.units import (
    MergeRequestSchema,
    MergeResultSchema,
    UnitPageSchema,
    UnitQuerySchema,
    UnitSchema,
)
from server.auth import STAFF, access
from server.db import get_db, writing
from server.requests import Blueprint
from sync import dedup_store, merge, units
from sync.errors import NotFound

bp = Blueprint("units", __name__, url_prefix="/api/v1", description="Units and merges.")


@bp.route("/units", methods=["GET"])
@access()
@bp.arguments(UnitQuerySchema, location="query")
@bp.response(200, UnitPageSchema)
def list_units(args):
    """Units in the caller's provinces, filtered and paged."""
    return units.search(get_db(), g.actor, **args)


@bp.route("/units/<unit_id>", methods=["GET"])
@access()
@bp.response(200, UnitSchema)
def get_unit(unit_id):
    """One unit. A merged unit is returned with ``merged_into`` set: follow it."""
    return _visible(unit_id)


def _visible(unit_id: str) -> dict:
    """The unit, if the caller may see it; units of other provinces look unknown (404), so
    neither a read nor an action (merge, unmerge) reveals that they exist or their state."""
    unit = units.get(get_db(), unit_id)
    if not g.actor.can_see_province(unit["province_id"]):
        raise NotFound(f"No unit {unit_id}.")
    return unit


@bp.route("/merges", methods=["POST"])
@access(*STAFF)
@bp.arguments(MergeRequestSchema)
@bp.response(200, MergeResultSchema)
def merge_units(body):
    """Merge ``loser_id`` into ``winner_id``: one unit remains, devices get a redirect."""
    for unit_id in (body["winner_id"], body["loser_id"]):
        _visible(unit_id)
    with writing() as tx:
        return merge.merge(tx, body["loser_id"], body["winner_id"], reason=body["reason"])


@bp.route("/units/<unit_id>/unmerge", methods=["POST"])
@access(*STAFF)
@bp.response(200, MergeResultSchema)
def unmerge_unit(unit_id):
    """Undo the merge that tombstoned this unit; devices get it back through pull. The two
    records are remembered as different units, so dedup never proposes them again."""
    _visible(unit_id)
    with writing() as tx:
        return dedup_store.unmerge(tx, unit_id)
