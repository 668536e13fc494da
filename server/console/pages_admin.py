"""Administration: users (create, deactivate, activate) and devices (revoke), for admins only.

Every action goes through ``sync.users`` on the write path, exactly like the admin API, so
it is audited and a deactivated user's tokens and console sessions stop at once.
"""

from flask import g, request, url_for

from server.console.web import _, act, bp, console_access, page
from server.db import get_db, writing
from sync import console_queries, users
from sync.errors import Invalid
from sync.migrations import ROLES


@bp.route("/admin")
@console_access("admin")
def admin():
    db = get_db()
    everyone = users.list_users(db)
    provinces = console_queries.provinces_for(db, g.actor)
    return page("console/admin.html", users=everyone, devices=users.list_devices(db), roles=ROLES,
                provinces=provinces, province_names={p["id"]: p for p in provinces},
                usernames={u["id"]: u["username"] for u in everyone})


@bp.route("/admin/users", methods=["POST"])
@console_access("admin")
def create_user():
    form = request.form
    username = (form.get("username") or "").strip()
    provinces = [int(p) for p in form.getlist("provinces") if p.isdigit()]

    def create():
        with writing() as tx:
            users.create_user(tx, username, form.get("password") or "", form.get("role") or "",
                              provinces, (form.get("full_name") or "").strip())

    return act(create, _("admin.created", username=username), url_for("console.admin"))


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@console_access("admin")
def set_active(user_id):
    active = request.form.get("active") == "1"

    def update():
        if user_id == g.user["id"] and not active:
            raise Invalid({"active": [_("admin.self")]})
        with writing() as tx:
            return users.update_user(tx, user_id, active=active)

    username = (users.get_user(get_db(), user_id) or {}).get("username", user_id)
    return act(update, _("admin.updated", username=username), url_for("console.admin"))


@bp.route("/admin/devices/<device_id>/revoke", methods=["POST"])
@console_access("admin")
def revoke_device(device_id):
    def revoke():
        with writing() as tx:
            users.revoke_device(tx, device_id[:64])

    return act(revoke, _("admin.revoked"), url_for("console.admin"))


