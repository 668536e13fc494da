"""The duplicates queue: pairs of unit records that may be one unit, for supervisors to decide."""

from flask import g

from schemas.dedup import (
    CandidateDecisionResultSchema,
    CandidateDecisionSchema,
    CandidateDetailSchema,
    CandidatePageSchema,
    CandidateQuerySchema,
)
from server.auth import STAFF, access
from server.db import get_db, writing
from server.requests import Blueprint
from sync import dedup_store

bp = Blueprint("duplicates", __name__, url_prefix="/api/v1", description="Possible duplicate units.")


@bp.route("/duplicates", methods=["GET"])
@access(*STAFF)
@bp.arguments(CandidateQuerySchema, location="query")
@bp.response(200, CandidatePageSchema)
def list_duplicates(args):
    """Candidate pairs in the caller's provinces, highest score first."""
    return dedup_store.list_candidates(get_db(), g.actor, **args)


@bp.route("/duplicates/<int:candidate_id>", methods=["GET"])
@access(*STAFF)
@bp.response(200, CandidateDetailSchema)
def get_duplicate(candidate_id):
    """A pair side by side: both units, the fields that agree and differ, the score's explanation."""
    detail = dedup_store.candidate_detail(get_db(), g.actor, candidate_id)
    return {**detail, "fields_": detail.pop("fields")}


@bp.route("/duplicates/<int:candidate_id>/decide", methods=["POST"])
@access(*STAFF)
@bp.arguments(CandidateDecisionSchema)
@bp.response(200, CandidateDecisionResultSchema)
def decide_duplicate(body, candidate_id):
    """``merge`` the pair (devices get a redirect; ``values`` picks a value per field), mark it
    ``distinct`` (never proposed again), ``reopen`` a pair marked distinct, or ``unmerge`` a
    merged pair (and remember it as distinct). Audited."""
    with writing() as tx:
        return dedup_store.decide(tx, candidate_id, body["decision"], body.get("winner_id"), body.get("values"))
