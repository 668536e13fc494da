"""What supervisors follow up: visits, same-field conflicts, and rejected mutations."""

from flask import g

from schemas.admin import DeadLetterPageSchema, PageQuerySchema
from schemas.units import (
    ConflictDecisionSchema,
    ConflictPageSchema,
    ConflictQuerySchema,
    ConflictSchema,
)
from schemas.visits import (
    CommentInSchema,
    ReviewSchema,
    ThreadEntrySchema,
    ThreadSchema,
    VisitDetailSchema,
    VisitPageSchema,
    VisitQuerySchema,
    VisitSummarySchema,
    VisitVersionListSchema,
)
from server.auth import STAFF, access
from server.db import get_db, writing
from server.requests import Blueprint
from sync import audit, conflicts, review, visits

bp = Blueprint("review", __name__, url_prefix="/api/v1", description="Visits, conflicts, dead letters.")


@bp.route("/visits", methods=["GET"])
@access()
@bp.arguments(VisitQuerySchema, location="query")
@bp.response(200, VisitPageSchema)
def list_visits(args):
    """The review queue: visits in the caller's provinces (an engineer: their own visits),
    filtered by state, province, park, engineer, template and the day they were made."""
    return visits.search(get_db(), g.actor, **args)


@bp.route("/visits/<visit_id>", methods=["GET"])
@access()
@bp.response(200, VisitDetailSchema)
def get_visit(visit_id):
    """One visit with its current answers and obstacles, and which files are still missing."""
    visits.require_visible(get_db(), g.actor, visit_id)
    return visits.detail(get_db(), visit_id)


@bp.route("/visits/<visit_id>/review", methods=["POST"])
@access(*STAFF)
@bp.arguments(ReviewSchema)
@bp.response(200, VisitSummarySchema)
def review_visit(body, visit_id):
    """Approve, reject or return (send back for revision) a submitted visit.

    Rejecting and returning need a comment. Supervisors review visits of their provinces.
    A returned visit reaches the engineer's device through pull with the comment.
    """
    with writing() as tx:
        return review.decide(tx, visit_id, body["action"], body.get("comment"))


@bp.route("/visits/<visit_id>/comments", methods=["GET"])
@access()
@bp.response(200, ThreadSchema)
def visit_thread(visit_id):
    """The visit's thread: comments and state changes, oldest first."""
    visits.require_visible(get_db(), g.actor, visit_id)
    return {"items": review.thread(get_db(), visit_id)}


@bp.route("/visits/<visit_id>/comments", methods=["POST"])
@access()
@bp.arguments(CommentInSchema)
@bp.response(201, ThreadEntrySchema)
def comment_visit(body, visit_id):
    """Add a comment to the visit's thread (its engineer, a supervisor of its province, an admin)."""
    with writing() as tx:
        return review.add_comment(tx, visit_id, body["text"])


@bp.route("/visits/<visit_id>/versions", methods=["GET"])
@access()
@bp.response(200, VisitVersionListSchema)
def visit_versions(visit_id):
    """Every version the engineer sent, oldest first, with its full content."""
    visits.require_visible(get_db(), g.actor, visit_id)
    return {"items": visits.versions(get_db(), visit_id)}


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
