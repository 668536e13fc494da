"""The obstacle register: every obstacle of the supervisor's provinces, filtered and sorted,
with the unit, the visit that found it and the one that resolved it (``sync.obstacle_register``)."""

from flask import g, request

from server.auth import STAFF
from server.console import filters, labels
from server.console.web import bp, console_access, lang, page
from server.db import get_db, now
from sync import console_queries, obstacle_register
from sync.clock import iso


def taxonomy_choices(db) -> dict:
    """Options of the register's taxonomy filters, in the order of the taxonomy itself; each
    group names its area so the page can narrow the group list to the chosen area."""
    doc = labels.taxonomy_document(db)
    language = lang()
    areas = [(a["code"], labels.pick(a.get("label"), language, a["code"])) for a in doc.get("areas", [])]
    groups = [{"code": grp["code"], "area": a["code"], "label": labels.pick(grp.get("label"), language, grp["code"])}
              for a in doc.get("areas", []) for grp in a.get("groups", [])]
    return {"areas": areas, "groups": groups,
            "severities": [(s["code"], labels.pick(s.get("label"), language, s["code"]))
                           for s in doc.get("severities", [])],
            "bodies": [(b["code"], labels.pick(b.get("label"), language, b["code"]))
                       for b in doc.get("responsible_bodies", [])]}


@bp.route("/obstacles")
@console_access(*STAFF)
def obstacles():
    db = get_db()
    parsed = filters.register_filter(request.args)
    found = obstacle_register.register(db, g.actor, parsed.filter, iso(now()), parsed.sort, parsed.descending,
                                       parsed.per_page, parsed.offset)
    return page("console/obstacles.html", obstacles=found["items"], total=found["total"], parsed=parsed,
                statuses=obstacle_register.STATUSES, provinces=console_queries.provinces_for(db, g.actor),
                parks=console_queries.parks_for(db, g.actor), **taxonomy_choices(db))
