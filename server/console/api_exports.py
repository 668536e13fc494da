"""(being written)"""
from server.requests import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/api/v1", description="Exports.")
