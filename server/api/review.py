"""What supervisors follow up: visits, same-field conflicts, and rejected mutations."""

from flask import g

from schemas.admin import DeadLetterPageSchema, PageQuerySchema
from schemas.units import (
    ConflictDecisionSchema,
    ConflictPageSchema,
    ConflictQuerySchema,
    ConflictSchema,
)
from schemas.visits import VisitDetailSchema, VisitPageSchema, VisitQuerySchema
from server.auth import STAFF, access
from server.db import get_db, writing
from server.requests import Blueprint
from sync import audit, conflicts, visits
from sync.errors import NotFound

bp = Blueprint("review", __name__, url_prefix="/api/v1", description="Visits, conflicts, dead letters.")


@bp.route("/visits", methods=["GET"])
@access()
@bp.arguments(VisitQuerySchema, location="query")
@bp.response(200, VisitPageSchema)
def list_visits(args):
    """Visits in the caller's provinces (an engineer: their own visits)."""
    return visits.search(get_db(), g.actor, **args)


@bp.route("/visits/<visit_id>", methods=["GET"])
@access()
@bp.response(200, VisitDetailSchema)
def get_visit(visit_id):
    """One visit with its answers and obstacles."""
    visit = visits.detail(get_db(), visit_id)
    if not visits.visible_to(g.actor, visit):
        raise NotFound(f"No visit {visit_id}.")
    return visit


@bp.route("/conflicts", methods=["GET"])
@access(*STAFF)
@bp.arguments(ConflictQuerySchema, location="query")
@bp.response(200, ConflictPageSchema)
def list_conflicts(args):
    """Same-field collisions between devices, for a supervisor to confirm or flip."""
    return conflicts.list_conflicts(get_db(), g.actor, **args)


@bp.route("/conflicts/<int:conflict_id>/resolve", methods=["POST"])
@access(*STAFF)
@bp.arguments(ConflictDecisionSchema)
@bp.response(200, ConflictSchema)
def resolve_conflict(body, conflict_id):
    """``confirm`` keeps the value that won; ``flip`` applies the other value."""
    with writing() as tx:
        return conflicts.resolve(tx, conflict_id, body["decision"])


@bp.route("/dead-letters", methods=["GET"])
@access(*STAFF)
@bp.arguments(PageQuerySchema, location="query")
@bp.response(200, DeadLetterPageSchema)
def list_dead_letters(args):
    """Mutations the server rejected, kept with the reason, newest first."""
    return audit.list_dead_letters(get_db(), g.actor, **args)
