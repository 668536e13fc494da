"""Units: the filtered list, and one unit's page with its history, merges and conflicts."""

from datetime import timedelta

from flask import abort, g, request, url_for

from server.auth import STAFF
from server.console import filters, jalali, labels, pages_duplicates  # noqa: F401 - labels registers taxon()
from server.console.web import _, act, bp, console_access, page
from server.db import get_db, now, writing
from sync import conflicts, console_queries, obstacles, revisits, stats
from sync import units as unit_records

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
    parsed = filters.read_sort(request.args, filters.unit_filter(request.args), console_queries.UNIT_SORTS,
                               "name", False)
    found = console_queries.unit_list(db, g.actor, parsed.filter, parsed.per_page, parsed.offset, parsed.sort,
                                      parsed.descending)
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
        pairs=pages_duplicates.pending_pairs_of(db, g.actor, unit["id"]),
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

    back = request.form.get("next") or url_for("console.unit", unit_id=row[0])
    return act(resolve, _("unit.conflict_resolved"), back)


@bp.route("/conflicts")
@console_access(*STAFF)
def conflicts_page():
    """Every same-field collision of the supervisor's provinces, with who sent each value from
    which device and when; confirm or flip from the list."""
    db = get_db()
    parsed = filters.unit_filter(request.args)
    status = request.args.get("status") or ""
    if status not in (*console_queries.CONFLICT_STATUSES, "all", ""):
        parsed.errors.append("status")
        status = ""
    field = request.args.get("field") or ""
    if field and field not in unit_records.FIELDS:
        parsed.errors.append("field")
        field = ""
    status = status or "open"
    found = console_queries.conflict_list(db, g.actor, None if status == "all" else status,
                                          parsed.filter.province_id, field or None, parsed.per_page, parsed.offset)
    raw = {"status": status, "province_id": parsed.raw["province_id"], "field": field}
    return page("console/conflicts.html", conflicts=found["items"], total=found["total"], parsed=parsed, raw=raw,
                statuses=(*console_queries.CONFLICT_STATUSES, "all"), fields=unit_records.FIELDS,
                provinces=console_queries.provinces_for(db, g.actor))


REVISIT_WINDOWS = (0, 7, 30, 90)  # due today or overdue, within a week, a month, three months


@bp.route("/revisits")
@console_access(*STAFF)
def revisits_page():
    """Units whose latest visit suggested a revisit by a date now due (``sync.revisits``)."""
    db = get_db()
    parsed = filters.unit_filter(request.args)
    within = filters.read_int(request.args, "within", parsed.errors, (0, 3650))
    within = 30 if within is None else within
    today = jalali.local(now()).date()
    found = revisits.due(db, g.actor, today + timedelta(days=within), parsed.filter.province_id,
                         parsed.filter.park_id, parsed.filter.q, parsed.per_page, parsed.offset)
    raw = {**{k: parsed.raw[k] for k in ("province_id", "park_id", "q")}, "within": str(within)}
    return page("console/revisits.html", due_units=found["items"], total=found["total"], parsed=parsed, raw=raw,
                today=today.isoformat(), windows=REVISIT_WINDOWS, **filter_choices(db))
