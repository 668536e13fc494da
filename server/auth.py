"""Tokens and access rules.

Access and refresh tokens are JWTs bound to a registered device. Every protected request
re-reads the user and the device, so deactivating a user or revoking a device stops its
tokens at once. Expiry is checked against the app's injectable clock (claim ``xp``) as
well as by the JWT library, so tests can expire a token without sleeping.

Every view declares its rule with :func:`access`; a test walks the route table and fails
for any view without one.
"""

from datetime import timedelta
from functools import wraps

from flask import current_app, g, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt,
    verify_jwt_in_request,
)

from server.db import get_db, now, writing
from server.errors import error_response
from sync import users
from sync.clock import iso
from sync.errors import Forbidden, Unauthorized
from sync.users import actor_for, token_holder, token_version

ROLES_ALL = ("engineer", "supervisor", "admin")
STAFF = ("supervisor", "admin")


class TokenExpired(Unauthorized):
    code = "token_expired"


class TokenRevoked(Unauthorized):
    code = "token_revoked"


def check_password_throttled(username: str, password: str) -> dict | None:
    """The user, if ``username`` and ``password`` are right; else None (audited). Raises
    :class:`~sync.errors.TooManyAttempts` when this address has failed too often (see
    ``sync.users.LoginLimits``). Shared by the API's and the console's login."""
    config, address = current_app.config, request.remote_addr
    limits = users.LoginLimits(config["LOGIN_MAX_FAILURES"], config["LOGIN_MAX_FAILURES"] * 4,
                               config["LOGIN_MAX_FAILURES_PER_ACCOUNT"], config["LOGIN_WINDOW_SECONDS"])
    with writing() as tx:  # counted before the password is checked: parallel guesses queue here
        attempt = users.reserve_attempt(tx, username, address, limits)
    user = users.authenticate(get_db(), username, password) if username and password else None
    with writing(users.actor_for(user) if user else None) as tx:
        if user is None:
            tx.audit("auth.login_failed", "user", None, username=username, remote_addr=address)
        else:
            users.release_attempt(tx, attempt)
            users.clear_login_failures(tx, username, address)
            users.upgrade_hash(tx, user["id"], password)
    return user


def issue_tokens(user: dict, device_id: str) -> dict:
    """A fresh access and refresh token for ``user`` on ``device_id`` (at login and at every
    refresh: a device that keeps syncing keeps its session; an idle one expires)."""
    moment = now()
    access_for = timedelta(minutes=current_app.config["ACCESS_TOKEN_MINUTES"])
    refresh_for = timedelta(days=current_app.config["REFRESH_TOKEN_DAYS"])
    claims = {"dev": device_id, "role": user["role"], "tv": token_version(get_db(), user["id"])}
    access = create_access_token(
        str(user["id"]), additional_claims={**claims, "xp": int((moment + access_for).timestamp())},
        expires_delta=access_for)
    refresh = create_refresh_token(
        str(user["id"]), additional_claims={**claims, "xp": int((moment + refresh_for).timestamp())},
        expires_delta=refresh_for)
    return {
        "access_token": access,
        "refresh_token": refresh,
        "access_expires_at": iso(moment + access_for),
        "refresh_expires_at": iso(moment + refresh_for),
    }


def _authenticate(roles, refresh: bool) -> None:
    verify_jwt_in_request(refresh=refresh)
    claims = get_jwt()
    if claims.get("xp", 0) <= now().timestamp():
        raise TokenExpired("The token has expired.")
    # Tokens issued before token versions existed carry none: version 1, the column's default.
    user = token_holder(get_db(), int(claims["sub"]), claims.get("dev"), claims.get("tv", 1))
    if user is None:
        raise TokenRevoked("The token's device is revoked, or its user deactivated or given a new "
                           "password since it was issued: log in again.")
    if user["role"] not in roles:
        raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
    g.user = user
    g.device_id = claims.get("dev")
    g.actor = actor_for(user, g.device_id)


def access(*roles, public: bool = False, refresh: bool = False):
    """Declare who may call a view: ``public``, or a bearer of a token with one of ``roles``."""
    roles = roles or ROLES_ALL

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not public:
                _authenticate(roles, refresh)
            return view(*args, **kwargs)

        wrapper.access_rule = {"public": public, "roles": () if public else roles, "refresh": refresh}
        if not public:
            apidoc = dict(getattr(wrapper, "_apidoc", {}))
            apidoc["manual_doc"] = {**apidoc.get("manual_doc", {}), "security": [{"bearerAuth": []}]}
            wrapper._apidoc = apidoc
        return wrapper

    return decorate


def _jwt_error(code: str):
    def loader(*args):
        messages = {
            "token_missing": "A bearer token is required (Authorization: Bearer …).",
            "token_invalid": "The token is not valid.",
            "token_expired": "The token has expired.",
            "token_revoked": "The token has been revoked.",
        }
        detail = args[0] if args and isinstance(args[0], str) else None
        response = error_response(code, messages[code], {"reason": detail} if detail else None)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    return loader


def init_app(app) -> None:
    app.config.setdefault("JWT_SECRET_KEY", app.config["SECRET_KEY"])
    app.config["JWT_TOKEN_LOCATION"] = ["headers"]
    app.config["JWT_ERROR_MESSAGE_KEY"] = "message"
    manager = JWTManager(app)
    # flask-jwt-extended answers {"msg": …} with 401/422 by default; ours is the one envelope.
    manager.unauthorized_loader(_jwt_error("token_missing"))
    manager.invalid_token_loader(_jwt_error("token_invalid"))
    manager.expired_token_loader(_jwt_error("token_expired"))
    manager.revoked_token_loader(_jwt_error("token_revoked"))
    manager.user_lookup_error_loader(_jwt_error("token_revoked"))
    manager.needs_fresh_token_loader(_jwt_error("token_invalid"))
    manager.token_verification_failed_loader(_jwt_error("token_invalid"))

