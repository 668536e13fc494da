"""Administration: users, devices and the audit log."""

from flask import abort

from schemas.admin import (
    AuditPageSchema,
    AuditQuerySchema,
    DeviceListSchema,
    DeviceQuerySchema,
    DeviceSchema,
    UserCreateSchema,
    UserListSchema,
    UserUpdateSchema,
)
from schemas.auth import UserSchema
from server.auth import access
from server.db import get_db, writing
from server.requests import Blueprint
from sync import audit, users

bp = Blueprint("admin", __name__, url_prefix="/api/v1", description="Users, devices, audit (admins).")


@bp.route("/users", methods=["GET"])
@access("admin")
@bp.response(200, UserListSchema)
def list_users():
    return {"items": users.list_users(get_db())}


@bp.route("/users", methods=["POST"])
@access("admin")
@bp.arguments(UserCreateSchema)
@bp.response(201, UserSchema)
def create_user(body):
    """Create an engineer, supervisor or admin; engineers and supervisors need provinces."""
    with writing() as tx:
        return users.create_user(tx, body["username"], body["password"], body["role"],
                                 body["provinces"], body["full_name"])


@bp.route("/users/<int:user_id>", methods=["GET"])
@access("admin")
@bp.response(200, UserSchema)
def get_user(user_id):
    return users.get_user(get_db(), user_id)


@bp.route("/users/<int:user_id>", methods=["PATCH"])
@access("admin")
@bp.arguments(UserUpdateSchema)
@bp.response(200, UserSchema)
def update_user(body, user_id):
    """Change password, role, provinces or active flag. Deactivating stops the user's tokens now;
    changing provinces makes the user's devices reset and download their new scope."""
    with writing() as tx:
        return users.update_user(tx, user_id, **body)


@bp.route("/devices", methods=["GET"])
@access("admin")
@bp.arguments(DeviceQuerySchema, location="query")
@bp.response(200, DeviceListSchema)
def list_devices(args):
    return {"items": users.list_devices(get_db(), args.get("user_id"))}


@bp.route("/devices/<device_id>/revoke", methods=["POST"])
@access("admin")
@bp.response(200, DeviceSchema)
def revoke_device(device_id):
    """Revoke a device: its tokens stop working at once, and it cannot log in again."""
    if len(device_id) > 64:
        abort(404)
    with writing() as tx:
        return users.revoke_device(tx, device_id)


@bp.route("/audit", methods=["GET"])
@access("admin")
@bp.arguments(AuditQuerySchema, location="query")
@bp.response(200, AuditPageSchema)
def list_audit(args):
    """Who did what, when, from which device; newest first."""
    return audit.list_audit(get_db(), **args)
