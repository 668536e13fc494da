"""Saved filters: a supervisor names the filters of a list (the queue, the obstacle register…)
and opens the list again as it was from the box above it (``sync.saved_filters``)."""

from flask import abort, g, request, url_for

from server.auth import STAFF
from server.console.web import _, act, bp, console_access
from server.db import get_db, writing
from sync import saved_filters

# The list each saved filter belongs to, and the page that shows it.
PAGE_ENDPOINTS = {"queue": "console.queue", "obstacles": "console.obstacles", "units": "console.units",
                  "conflicts": "console.conflicts", "photos": "console.photos", "map": "console.map",
                  "revisits": "console.revisits"}


def list_url(page_key: str, query: str = "") -> str:
    return url_for(PAGE_ENDPOINTS[page_key]) + (f"?{query}" if query else "")


@bp.app_template_global("saved_filters_for")
def _saved_filters_for(page_key: str) -> list[dict]:
    if g.get("user") is None:
        return []
    return saved_filters.for_user(get_db(), g.user["id"], page_key)


@bp.app_template_global("saved_query")
def _saved_query(raw: dict) -> str:
    return saved_filters.query_of(raw)


@bp.app_template_global("saved_url")
def _saved_url(page_key: str, query: str) -> str:
    return list_url(page_key, query)


@bp.route("/filters", methods=["POST"])
@console_access(*STAFF)
def save_filter():
    page_key = request.form.get("page") or ""
    if page_key not in PAGE_ENDPOINTS:
        abort(400)
    query = (request.form.get("query") or "")[:saved_filters.MAX_QUERY + 1]
    name = request.form.get("name") or ""

    def run():
        with writing() as tx:
            saved_filters.save(tx, g.user["id"], page_key, name, query)

    return act(run, _("saved.saved", name=name.strip()), list_url(page_key, query))


@bp.route("/filters/<int:filter_id>/delete", methods=["POST"])
@console_access(*STAFF)
def delete_filter(filter_id):
    page_key = request.form.get("page") if request.form.get("page") in PAGE_ENDPOINTS else "queue"

    def run():
        with writing() as tx:
            saved_filters.remove(tx, g.user["id"], filter_id)

    return act(run, _("saved.deleted"), list_url(page_key))
