"""Liveness: is the server up and can it read its store?"""

from server.auth import access
from server.db import get_db
from server.requests import Blueprint

bp = Blueprint("health", __name__, url_prefix="/api/v1", description="Liveness check.")


@bp.route("/health", methods=["GET"])
@access(public=True)
@bp.response(200)
def health():
    get_db().execute("SELECT 1").fetchone()
    return {"status": "ok"}
