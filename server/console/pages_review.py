"""The review queue and the visit page: answers by section, obstacles, photos, history, decisions.

Decisions and comments go through ``sync.review`` on the write path, so the engineer's
devices receive them through pull and the audit log records who decided what, and why.
"""

from flask import abort, flash, g, redirect, request, url_for

from server.api.attachments import file_response, held_file
from server.auth import STAFF
from server.console import filters, labels, visit_view
from server.console.web import _, act, bp, console_access, lang, page, safe_next
from server.db import get_db, writing
from sync import attachments, console_queries, review, visits
from sync.errors import NotFound
from sync.migrations import REVIEW_STATES


def queue_choices(db) -> dict:
    """The options of the queue's filter form, limited to the caller's provinces."""
    return {"provinces": console_queries.provinces_for(db, g.actor),
            "parks": console_queries.parks_for(db, g.actor),
            "engineers": console_queries.engineers_for(db, g.actor),
            "templates": console_queries.template_codes(db, g.actor),
            "states": REVIEW_STATES}


@bp.route("/queue")
@console_access(*STAFF)
def queue():
    db = get_db()
    parsed = filters.read_sort(request.args, filters.visit_filter(request.args), console_queries.VISIT_SORTS,
                               "received_at", True)
    found = console_queries.visit_queue(db, g.actor, parsed.filter, parsed.per_page, parsed.offset, parsed.sort,
                                        parsed.descending)
    return page("console/queue.html", visits=found["items"], total=found["total"], parsed=parsed,
                **queue_choices(db))


@bp.route("/queue/approve", methods=["POST"])
@console_access(*STAFF)
def bulk_approve():
    """Approve the visits ticked in the queue, each audited as if approved alone; those another
    supervisor decided meanwhile are skipped and counted."""
    back = queue_return(request.form.get("from")) or url_for("console.queue")
    chosen = [v[:64] for v in request.form.getlist("visit") if v][:review.MAX_BULK]
    if not chosen:
        flash(_("queue.none_chosen"), "error")
        return redirect(back)
    with writing() as tx:
        done = review.approve_many(tx, chosen)
    flash(_("queue.bulk_approved", count=len(done["approved"])), "ok")
    if done["skipped"]:
        flash(_("queue.bulk_skipped", count=len(done["skipped"])), "error")
    return redirect(back)


def queue_return(target: str | None) -> str | None:
    """The filtered queue a visit was opened from, so the supervisor goes back to the same list
    (the menu's link would drop the filters). Only a queue address is followed."""
    if not target:
        return None
    target = safe_next(target[:2000], "")
    return target if target.split("?")[0] == url_for("console.queue") else None


def visit_url(visit_id: str, back: str | None) -> str:
    return url_for("console.visit", visit_id=visit_id, **({"from": back} if back else {}))


def visible_visit(visit_id: str) -> dict:
    try:
        return visits.require_visible(get_db(), g.actor, visit_id[:64])
    except NotFound:
        abort(404)


SENT_ACTIONS = ("submit", "revise")          # the engineer's: each comes with a version
DECISION_ACTIONS = ("approve", "reject", "return")


def history(all_versions: list[dict], thread: list[dict], definition: dict | None = None) -> list[dict]:
    """Versions received, decisions and comments in one time line, oldest first.

    The engineer's ``submit``/``revise`` event is the arrival of a version, so it is told on
    that version's entry (who sent it, with the engineer's comment) rather than twice.
    """
    entries, by_version = [], {}
    previous = None
    for version in all_versions:
        changed = visit_view.answer_changes(definition, previous["answers"], version.get("answers"),
                                            lang()) if previous else []
        entry = {"kind": "version", "at": version["received_at"], "version": version["version"],
                 "changed": changed, "action": None, "user_name": None, "text": None}
        entries.append(entry)
        by_version[version["version"]] = entry
        previous = version
    for event in thread:
        sent = by_version.get(event.get("version")) if event.get("action") in SENT_ACTIONS else None
        if sent is not None and sent["action"] is None:
            sent.update(action=event["action"], user_name=event.get("user_name"), text=event.get("text"))
            continue
        entries.append(dict(event))
    entries.sort(key=lambda e: (e["at"], 0 if e["kind"] == "version" else 1))
    return entries


def last_decision(thread: list[dict]) -> dict | None:
    """The supervisor's latest decision on the visit (it stays shown after a revision)."""
    decisions = [e for e in thread if e["kind"] == "state" and e.get("action") in DECISION_ACTIONS]
    return decisions[-1] if decisions else None


@bp.route("/visits/<visit_id>")
@console_access(*STAFF)
def visit(visit_id):
    db = get_db()
    row = visible_visit(visit_id)
    summary = console_queries.visit_summary(db, row["id"])
    all_versions = visits.versions(db, row["id"])
    current = all_versions[-1]
    definition = labels.template_definition(db, row["template_code"], row["template_version"])
    answers = current.get("answers") or {}
    unit = console_queries.unit_detail(db, row["unit_id"])
    entries = visit_view.photo_entries(definition, answers, current.get("attachments"))
    missing = set(visits.missing_attachments(db, row["id"], row["version"]))
    held = console_queries.attachment_types(db, [e["sha256"] for e in entries])
    labels_of = visit_view.question_labels(definition, lang())
    photos = [{"sha256": e["sha256"], "missing": e["sha256"] in missing or e["sha256"] not in held,
               "media_type": held.get(e["sha256"]) or "",
               "caption": labels_of.get(e["question"]) if e["question"] else _("photos.other_file")}
              for e in entries]
    location = current.get("location")
    unit_point = {"lat": unit["lat"], "lon": unit["lon"]} if unit and unit["lat"] is not None else None
    thread = review.thread(db, row["id"])
    return page(
        "console/visit.html", visit=summary, unit=unit, definition=definition, decision=last_decision(thread),
        sections=visit_view.layout(definition, answers, lang()),
        obstacles=current.get("obstacles") or [], photos=photos, location=location,
        distance=visit_view.distance_m(location, unit_point),
        history=history(all_versions, thread, definition), version_count=len(all_versions),
        back=queue_return(request.args.get("from")),
    )


@bp.route("/visits/<visit_id>/decide", methods=["POST"])
@console_access(*STAFF)
def decide(visit_id):
    """Approve, reject or send back (``return``) a submitted visit, with a comment."""
    row = visible_visit(visit_id)
    action = request.form.get("action")
    if action not in review.ACTIONS:
        abort(400)
    comment = request.form.get("comment") or None

    def run():
        with writing() as tx:
            review.decide(tx, row["id"], action, comment)

    return act(run, _("visit.decided"), visit_url(row["id"], queue_return(request.form.get("from"))))


@bp.route("/visits/<visit_id>/comments", methods=["POST"])
@console_access(*STAFF)
def comment(visit_id):
    row = visible_visit(visit_id)

    def run():
        with writing() as tx:
            review.add_comment(tx, row["id"], request.form.get("text") or "")

    return act(run, _("visit.commented"), visit_url(row["id"], queue_return(request.form.get("from"))) + "#history")


@bp.route("/attachments/<sha256>")
@console_access(*STAFF)
def attachment(sha256):
    """A photo or PDF of a visit the caller may see (the same rule as the API's download)."""
    found = held_file(sha256) if attachments.SHA256_RE.match(sha256) else None
    if found is None:
        abort(404)
    return file_response(sha256, found, max_age=3600, as_attachment=not found[1].startswith("image/"))
