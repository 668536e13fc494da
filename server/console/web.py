"""The console's plumbing: blueprint, session login, access rules, CSRF, headers, error pages.

The console authenticates with a session rather than the API's bearer tokens, but it
applies the same rules: the same accounts and password check, the session held by the
server (``sync.sessions``) and re-checked on every request, so logout, expiry, a password
change or a deactivation end it at once, even for a copy of the cookie; the caller's role
and provinces in ``g.actor`` so every domain query scopes the same way.

Every view declares its rule with :func:`console_access`, which sets ``view.access_rule``
like ``server.auth.access`` does, so the route-table test covers console views too.
"""

import hmac
import logging
import secrets
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException

from server.auth import ROLES_ALL
from server.console import i18n
from server.db import get_db, now
from server.errors import STATUS_OF_CODE
from sync import sessions
from sync.errors import DomainError, Invalid
from sync.users import actor_for

log = logging.getLogger("fieldsync")

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
STATIC_DIR = Path(__file__).parent / "static"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# 'self' only: nothing is fetched from outside the server. Charts are inline SVG markup,
# which needs no inline script or style, so neither is allowed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


# --- language -----------------------------------------------------------------------------

def lang() -> str:
    return g.get("lang", i18n.DEFAULT_LANGUAGE)


def _(key: str, **values) -> str:
    return i18n.translate(lang(), key, **values)


# --- session login --------------------------------------------------------------------------

def start_session(tx, user: dict) -> None:
    """Log ``user`` in: a new server-side session, its key in the cookie (inside ``tx``)."""
    keep = session.get("lang")
    session.clear()
    session.permanent = True
    session["sid"] = sessions.open_session(tx, user["id"], current_app.config["CONSOLE_SESSION_HOURS"])
    session[CSRF_FIELD] = secrets.token_urlsafe(32)  # a fresh token for the logged-in session
    if keep:
        session["lang"] = keep


def end_session(tx=None) -> None:
    """Forget the session in this browser; with ``tx``, end it on the server too (logout)."""
    if tx is not None:
        sessions.close_session(tx, session.get("sid"))
    keep = session.get("lang")
    session.clear()
    if keep:
        session["lang"] = keep


def _load_user() -> None:
    """``g.user``/``g.actor`` from the session, or None when absent, ended or expired."""
    g.user, g.actor, g.device_id = None, None, None
    if "sid" not in session:
        return
    user, why = sessions.holder(get_db(), session["sid"], now())
    if user is None:
        g.session_expired = why == "expired"
        end_session()
        return
    g.user = user
    # No device: console actions are audited under the user with device_id NULL.
    g.actor = actor_for(user, None)


def console_access(*roles, public: bool = False):
    """Declare who may open a console view: ``public``, or a logged-in user with one of ``roles``.

    Anonymous visitors are sent to the login page; a logged-in user without the role gets a
    403 page (an engineer opening a review page, a supervisor opening the admin page).
    """
    roles = roles or ROLES_ALL

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not public:
                if g.user is None:
                    if not g.get("session_expired"):
                        flash(_("login.needed"), "info")
                    else:
                        flash(_("login.expired"), "info")
                    return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
                if g.user["role"] not in roles:
                    abort(403)
            return view(*args, **kwargs)

        wrapper.access_rule = {"public": public, "roles": () if public else roles, "session": True}
        return wrapper

    return decorate


def is_staff() -> bool:
    return g.get("user") is not None and g.user["role"] in ("supervisor", "admin")


# --- CSRF -----------------------------------------------------------------------------------

def csrf_token() -> str:
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def _check_csrf() -> None:
    """Every state-changing request carries the session's token (form field or header)."""
    expected = session.get(CSRF_FIELD)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        g.csrf_failed = True
        abort(400)


@bp.before_request
def _before() -> None:
    chosen = session.get("lang")
    g.lang = chosen if chosen in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    if request.endpoint == "console.static":
        return
    if request.method in _UNSAFE_METHODS:
        _check_csrf()
    _load_user()


@bp.after_request
def _headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "console.static":
        # Pages show scoped data: never cache them where another user could see them.
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


@bp.context_processor
def _context() -> dict:
    return {
        "lang": lang(),
        "direction": i18n.DIRECTION[lang()],
        "sep": i18n.SEPARATORS[lang()][0],
        "user": g.get("user"),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token,
        "is_staff": is_staff(),
    }


# --- pages and actions ----------------------------------------------------------------------

def page(template: str, http_status: int = 200, **context):
    return render_template(template, **context), http_status


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """A redirect target inside the console only: no other host, no scheme, no ``//``."""
    fallback = fallback or url_for("console.home")
    if not target:
        return fallback
    parts = urlsplit(target)
    inside = parts.path == "/console" or parts.path.startswith("/console/")
    if parts.scheme or parts.netloc or not inside or "\\" in target or target.startswith("//"):
        return fallback
    return target


def describe(error: DomainError) -> str:
    """A domain error for a person, in the page's language: the message for its status, then
    what exactly was refused (the fields at fault with what is wrong with each)."""
    status = STATUS_OF_CODE.get(error.code, 400)
    text = _(f"error.{status}")
    if isinstance(error, Invalid):
        parts = []
        for field, messages in error.fields.items():
            label = _(f"field.{field}")
            label = field if label == f"field.{field}" else label
            listed = messages if isinstance(messages, list) else [messages]
            shown = "; ".join(i18n.domain_message(lang(), str(m)) for m in listed)
            parts.append(f"{label}: {shown}")
        return f"{text} {' — '.join(parts)}"
    return f"{text} ({i18n.domain_message(lang(), error.message)})"


def act(action, done: str, back: str):
    """Run a console action; flash its outcome (or the domain error) and go back."""
    try:
        action()
    except DomainError as error:
        flash(describe(error), "error")
    else:
        flash(done, "ok")
    return redirect(safe_next(back))


def form_int(name: str) -> int | None:
    """A form's id field, read like the filters read ids (None for anything no id can be)."""
    from server.console.filters import read_int

    return read_int(request.form, name, [])


# --- errors ---------------------------------------------------------------------------------

def _error_page(status: int, detail: str | None = None):
    message = _("error.csrf") if g.get("csrf_failed") else _(f"error.{status}")
    if message == f"error.{status}":
        message = _("error.500") if status >= 500 else _("error.400")
    return page("console/error.html", status, code=status, message=message, detail=detail)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    response = _error_page(error.code or 500)
    if error.code == 405 and getattr(error, "valid_methods", None):
        body, status = response
        return body, status, {"Allow": ", ".join(error.valid_methods)}
    return response


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    return _error_page(STATUS_OF_CODE.get(error.code, 400), i18n.domain_message(lang(), error.message))


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    log.exception("unhandled error in the console")
    return _error_page(500)


@bp.route("/static/<path:filename>", endpoint="static")
@console_access(public=True)
def static(filename):
    return send_from_directory(STATIC_DIR, filename, max_age=3600)


@bp.route("/<path:anything>")
@console_access(public=True)
def not_found(anything):
    """Unknown console addresses get the console's HTML 404, not the API's JSON one."""
    abort(404)
