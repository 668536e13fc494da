"""Browser assets fetched from the npm registry by scripts/fetch_assets.py (pinned in
scripts/assets.json, with their licences): the Vazirmatn font of the console and the field
app. Served at ``/vendor/…``, cached for a year (a new version has a new file name)."""

from pathlib import Path

from flask import Blueprint, send_from_directory

HERE = Path(__file__).parent
bp = Blueprint("vendor", __name__, url_prefix="/vendor")


@bp.route("/<path:filename>", endpoint="asset")
def asset(filename):
    return send_from_directory(HERE, filename, max_age=365 * 86400)


asset.access_rule = {"public": True, "roles": ()}
