"""Obstacles, unit history, and the statistics of the dashboard (scoped to the caller's provinces)."""

from flask import g

from schemas.checklists import (
    HistoryQuerySchema,
    HistorySchema,
    ObstacleCountListSchema,
    ObstacleDetailSchema,
    ObstaclePageSchema,
    ObstacleQuerySchema,
    ObstacleStatsQuerySchema,
    PeriodQuerySchema,
    RevivalsSchema,
    StatsQuerySchema,
    UnitsByStatusListSchema,
    WeekCountListSchema,
)
from server.auth import STAFF, access
from server.db import get_db
from server.requests import Blueprint
from sync import obstacles, stats, units
from sync.errors import NotFound

bp = Blueprint("stats", __name__, url_prefix="/api/v1",
               description="Obstacles, unit history and statistics.")


@bp.route("/obstacles", methods=["GET"])
@access()
@bp.arguments(ObstacleQuerySchema, location="query")
@bp.response(200, ObstaclePageSchema)
def list_obstacles(args):
    """Open and resolved obstacles of units in the caller's provinces, by unit, park,
    province, area, group and status."""
    return obstacles.search(get_db(), g.actor, **args)


@bp.route("/obstacles/<obstacle_id>", methods=["GET"])
@access()
@bp.response(200, ObstacleDetailSchema)
def get_obstacle(obstacle_id):
    """One obstacle with what each visit recorded about it."""
    found = obstacles.search(get_db(), g.actor, obstacle_id=obstacle_id, limit=1)["items"]
    if not found:
        raise NotFound(f"No obstacle {obstacle_id}.")
    return {**found[0], "records": obstacles.records(get_db(), obstacle_id)}


@bp.route("/units/<unit_id>/history", methods=["GET"])
@access()
@bp.arguments(HistoryQuerySchema, location="query")
@bp.response(200, HistorySchema)
def unit_history(args, unit_id):
    """The unit's timeline: status, employees and capacity use seen by each visit, and revivals."""
    db = get_db()
    unit = units.get(db, units.resolve(db, unit_id))
    if not g.actor.can_see_province(unit["province_id"]):
        raise NotFound(f"No unit {unit_id}.")
    return {"unit_id": unit["id"], "items": stats.unit_history(db, unit["id"], **args)}


@bp.route("/stats/units-by-status", methods=["GET"])
@access(*STAFF)
@bp.arguments(StatsQuerySchema, location="query")
@bp.response(200, UnitsByStatusListSchema)
def units_by_status(args):
    """Units per province and park by the status their latest visit observed."""
    return {"items": stats.units_by_status(get_db(), g.actor, **args)}


@bp.route("/stats/revivals", methods=["GET"])
@access(*STAFF)
@bp.arguments(PeriodQuerySchema, location="query")
@bp.response(200, RevivalsSchema)
def revivals(args):
    """Units revived (stalled or closed → active) in a period, and the jobs they brought back."""
    return stats.revivals(get_db(), g.actor, **args)


@bp.route("/stats/obstacles", methods=["GET"])
@access(*STAFF)
@bp.arguments(ObstacleStatsQuerySchema, location="query")
@bp.response(200, ObstacleCountListSchema)
def obstacle_counts(args):
    """Open and resolved obstacles by area and group."""
    return {"items": stats.obstacle_counts(get_db(), g.actor, **args)}


@bp.route("/stats/visits-per-week", methods=["GET"])
@access(*STAFF)
@bp.arguments(PeriodQuerySchema, location="query")
@bp.response(200, WeekCountListSchema)
def visits_per_week(args):
    """Visits per week (Saturday to Friday). ``approved_only`` defaults to true here too."""
    return {"items": stats.visits_per_week(get_db(), g.actor, **args)}
