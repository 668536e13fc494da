"""Units: the filtered list, and one unit's page with its history, merges and conflicts."""

from flask import abort, g, request, url_for

from server.auth import STAFF
from server.console import filters, labels, pages_duplicates  # noqa: F401 - labels registers taxon()
from server.console.web import _, act, bp, console_access, page
from server.db import get_db, writing
from sync import conflicts, console_queries, obstacles, stats

PAGE_LIMIT_OBSTACLES = 500


def visible_unit(unit_id: str) -> dict:
    """The unit if it exists and lies in the caller's provinces; a 404 page otherwise
    (as the API does, not revealing units of other provinces)."""
    unit = console_queries.unit_detail(get_db(), unit_id[:64])
    if unit is None or not g.actor.can_see_province(unit["province_id"]):
        abort(404)
    return unit


def filter_choices(db) -> dict:
    return {"provinces": console_queries.provinces_for(db, g.actor),
            "parks": console_queries.parks_for(db, g.actor)}


@bp.route("/units")
@console_access(*STAFF)
def units():
    db = get_db()
    parsed = filters.unit_filter(request.args)
    found = console_queries.unit_list(db, g.actor, parsed.filter, parsed.per_page, parsed.offset)
    return page("console/units.html", units=found["items"], total=found["total"], parsed=parsed,
                statuses=console_queries.UNIT_STATUSES, **filter_choices(db))


@bp.route("/units/<unit_id>")
@console_access(*STAFF)
def unit(unit_id):
    db = get_db()
    unit = visible_unit(unit_id)
    found = obstacles.search(db, g.actor, unit_id=unit["id"], limit=PAGE_LIMIT_OBSTACLES)["items"]
    winner = console_queries.unit_detail(db, unit["merged_into"]) if unit["merged_into"] else None
    return page(
        "console/unit.html", unit=unit, winner=winner,
        timeline=stats.unit_history(db, unit["id"]),
        visits=console_queries.unit_visits(db, unit["id"]),
        open_obstacles=[o for o in found if o["status"] == "open"],
        resolved_obstacles=[o for o in found if o["status"] == "resolved"],
        aliases=console_queries.unit_aliases(db, unit["id"]),
        conflicts=console_queries.unit_conflicts(db, unit["id"]),
    )


@bp.route("/units/<unit_id>/unmerge", methods=["POST"])
@console_access(*STAFF)
def unmerge(unit_id):
    """Undo the merge that folded ``unit_id`` into another unit (through ``sync.merge.unmerge``)."""
    loser = visible_unit(unit_id)
    back = request.form.get("next") or url_for("console.unit", unit_id=loser["id"])

    def undo():
        with writing() as tx:
            pages_duplicates.unmerge(tx, loser["id"])

    return act(undo, _("unit.unmerged"), back)


@bp.route("/conflicts/<int:conflict_id>/resolve", methods=["POST"])
@console_access(*STAFF)
def resolve_conflict(conflict_id):
    """Confirm the value that won a same-field collision, or flip to the other one."""
    decision = request.form.get("decision")
    if decision not in ("confirm", "flip"):
        abort(400)
    row = get_db().execute("SELECT unit_id FROM conflicts WHERE id = ?", [conflict_id]).fetchone()
    if row is None:
        abort(404)
    visible_unit(row[0])

    def resolve():
        with writing() as tx:
            conflicts.resolve(tx, conflict_id, decision)

    return act(resolve, _("unit.conflict_resolved"), url_for("console.unit", unit_id=row[0]))
