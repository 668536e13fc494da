"""Logging in and out, the language switch, and the home page."""

from datetime import timedelta

from flask import flash, g, redirect, request, session, url_for

from server.auth import check_password_throttled
from server.console import i18n, jalali
from server.console.web import (
    _,
    bp,
    console_access,
    end_session,
    is_staff,
    page,
    safe_next,
    start_session,
)
from server.db import get_db, now, writing
from sync import console_queries, obstacle_register, revisits, users, visits
from sync.clock import iso
from sync.errors import TooManyAttempts


@bp.route("/login", methods=["GET", "POST"])
@console_access(public=True)
def login():
    """The same accounts, password check, throttling and audit as ``POST /api/v1/auth/login``."""
    next_url = request.values.get("next")
    if request.method == "GET":
        if g.user is not None:
            return redirect(safe_next(next_url))
        return page("console/login.html", next=next_url)
    username = (request.form.get("username") or "").strip()[:64]
    password = request.form.get("password") or ""
    try:
        user = check_password_throttled(username, password)
    except TooManyAttempts as error:
        minutes = max(1, (error.retry_after + 59) // 60)
        return page("console/login.html", 429, error=_("login.throttled", minutes=minutes),
                    username=username, next=next_url)
    if user is None:
        return page("console/login.html", 401, error=_("login.failed"), username=username, next=next_url)
    with writing(users.actor_for(user)) as tx:
        tx.audit("auth.login", "user", user["id"], remote_addr=request.remote_addr, via="console")
        start_session(tx, user)
    return redirect(safe_next(next_url))


@bp.route("/logout", methods=["POST"])
@console_access()
def logout():
    with writing() as tx:
        tx.audit("auth.logout", "user", g.user["id"], via="console")
        end_session(tx)
    flash(_("login.logged_out"), "ok")
    return redirect(url_for("console.login"))


@bp.route("/language", methods=["POST"])
@console_access(public=True)
def set_language():
    chosen = request.form.get("lang")
    if chosen in i18n.LANGUAGES:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next"), url_for("console.home")))


@bp.route("/")
@console_access()
def home():
    db = get_db()
    if not is_staff():
        # Engineers may log in, but the review pages are not theirs: show their own visits.
        mine = visits.search(db, g.actor, limit=50)
        names = console_queries.names_by_id(db, "units", [v["unit_id"] for v in mine["items"]])
        return page("console/home_engineer.html", visits=mine["items"], total=mine["total"], units=names)
    provinces = console_queries.provinces_for(db, g.actor)
    today = jalali.local(now()).date()
    counts = {**console_queries.overview_counts(db, g.actor),
              "open_obstacles": obstacle_register.register(db, g.actor, obstacle_register.RegisterFilter(status="open"),
                                                           iso(now()), limit=0)["total"],
              "revisits": revisits.due(db, g.actor, today + timedelta(days=30), limit=0)["total"]}
    return page("console/home.html", counts=counts, provinces=provinces, duplicates=pending_duplicate_count(db))


def pending_duplicate_count(db) -> int | None:
    """Pairs waiting in the duplicates queue, or None while that queue does not exist."""
    from server.console import pages_duplicates

    return pages_duplicates.pending_count(db, g.actor)
