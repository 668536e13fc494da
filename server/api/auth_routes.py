"""Logging in (which enrols the device), refreshing the access token, and who am I."""

from flask import g, request

from schemas.auth import LoginSchema, RefreshedSchema, TokensSchema, UserSchema
from server.auth import access, check_password_throttled, issue_tokens
from server.db import writing
from server.requests import Blueprint
from sync import users
from sync.errors import Unauthorized

bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Log in and tokens.")


@bp.route("/login", methods=["POST"])
@access(public=True)
@bp.arguments(LoginSchema)
@bp.response(200, TokensSchema)
def login(body):
    """Exchange username and password for tokens bound to this device.

    The first login from a device id registers that device to the user. Failed attempts
    are throttled per client address and username, per address, and per username
    (429 with Retry-After).
    """
    user = check_password_throttled(body["username"], body["password"])
    if user is None:
        raise Unauthorized("Wrong username or password, or the account is deactivated.")
    with writing(users.actor_for(user, body["device_id"])) as tx:
        users.enrol_device(tx, user, body["device_id"], body["device_label"])
        tx.audit("auth.login", "user", user["id"], remote_addr=request.remote_addr)
    return {**issue_tokens(user, body["device_id"]), "device_id": body["device_id"], "user": user}


@bp.route("/refresh", methods=["POST"])
@access(refresh=True)
@bp.response(200, RefreshedSchema)
def refresh():
    """New tokens for the bearer of a refresh token (Authorization: Bearer <refresh>).

    The answer holds a new refresh token too, valid for REFRESH_TOKEN_DAYS from now, so a
    device that keeps syncing is never logged out. The one it replaces stays valid until its
    own expiry: an answer lost on the way leaves the device with a token that still works.
    """
    return issue_tokens(g.user, g.device_id)


@bp.route("/me", methods=["GET"])
@access()
@bp.response(200, UserSchema)
def me():
    """The user behind the token, with their role and provinces."""
    return g.user
