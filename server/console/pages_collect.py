"""Phones running ODK Collect: issue a key for an engineer (shown once, as the QR code Collect
scans and as a URL), list keys, revoke one. Supervisors, for engineers of their provinces;
admins, for all. The same ``sync.odk.keys`` functions as ``fieldsync collect``."""

from flask import current_app, flash, g, redirect, request, url_for
from markupsafe import Markup

from server.auth import STAFF
from server.console.web import _, act, bp, console_access, describe, form_int, page
from server.db import get_db, writing
from sync import users
from sync.errors import DomainError
from sync.odk import keys


def public_url() -> str:
    """The server's address as phones reach it: PUBLIC_URL, or the one this page was opened at."""
    return current_app.config["PUBLIC_URL"] or request.host_url


def _engineers(db) -> list[dict]:
    return [u for u in users.list_users(db) if keys.may_issue_for(g.actor, u)]


@bp.route("/collect")
@console_access(*STAFF)
def collect():
    db = get_db()
    return page("console/collect.html", engineers=_engineers(db), keys=keys.listed(db, g.actor))


@bp.route("/collect/keys", methods=["POST"])
@console_access(*STAFF)
def issue_key():
    db = get_db()
    try:
        with writing() as tx:
            row, key = keys.issue(tx, form_int("user_id") or 0, request.form.get("label") or "")
    except DomainError as error:
        flash(describe(error), "error")
        return redirect(url_for("console.collect"))
    engineer = users.get_user(db, row["user_id"])
    url = keys.server_url(public_url(), key)
    qr = Markup(keys.qr_svg(keys.settings_payload(url, engineer)))  # noqa: S704 - our own SVG markup
    return page("console/collect_issued.html", key_row=row, engineer=engineer, url=url, qr=qr)


@bp.route("/collect/keys/<int:key_id>/revoke", methods=["POST"])
@console_access(*STAFF)
def revoke_key(key_id):
    def revoke():
        with writing() as tx:
            keys.revoke(tx, key_id)

    return act(revoke, _("collect.revoked"), url_for("console.collect"))
