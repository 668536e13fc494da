"""Administration: users (create, deactivate, activate) and devices (revoke), for admins only.

Every action goes through ``sync.users`` on the write path, exactly like the admin API, so
it is audited and a deactivated user's tokens and console sessions stop at once.
"""

from flask import abort, flash, g, redirect, request, url_for

from server.console import filters, i18n
from server.console.web import _, act, bp, console_access, describe, lang, page
from server.db import get_db, writing
from sync import console_queries, users
from sync.errors import Conflict, DomainError, Invalid, NotFound
from sync.migrations import ROLES


def field_errors(error: DomainError) -> dict[str, str]:
    """A refused form's problems by field, in the page's language, for the field itself to show
    (a taken username is the username's problem)."""
    if isinstance(error, Invalid):
        return {field: "; ".join(i18n.domain_message(lang(), str(m)) for m in (msgs if isinstance(msgs, list)
                                                                            else [msgs]))
                for field, msgs in error.fields.items()}
    if isinstance(error, Conflict) and "Username" in error.message:
        return {"username": i18n.domain_message(lang(), error.message)}
    return {}


def _form_provinces(form) -> list[int]:
    """The provinces ticked in a form; a value no province id can be is kept so that the
    domain refuses it, naming the field, instead of being dropped in silence."""
    chosen = []
    for value in form.getlist("provinces"):
        number = filters.read_int({"p": value}, "p", [])
        chosen.append(number if number is not None else -1)
    return chosen


def _admin_page(form=None, errors=None, status=200):
    db = get_db()
    everyone = users.list_users(db)
    provinces = console_queries.provinces_for(db, g.actor)
    return page("console/admin.html", status, users=everyone, devices=users.list_devices(db), roles=ROLES,
                provinces=provinces, province_names={p["id"]: p for p in provinces},
                usernames={u["id"]: u["username"] for u in everyone}, form=form or {}, errors=errors or {})


@bp.route("/admin")
@console_access("admin")
def admin():
    return _admin_page()


@bp.route("/admin/users", methods=["POST"])
@console_access("admin")
def create_user():
    form = request.form
    username = (form.get("username") or "").strip()
    try:
        with writing() as tx:
            users.create_user(tx, username, form.get("password") or "", form.get("role") or "",
                              _form_provinces(form), (form.get("full_name") or "").strip())
    except DomainError as error:
        # The form comes back as it was typed (but the password), each problem at its field.
        flash(describe(error), "error")
        typed = {"username": username, "full_name": form.get("full_name") or "", "role": form.get("role") or "",
                 "provinces": [str(p) for p in form.getlist("provinces")]}
        return _admin_page(typed, field_errors(error), 422)
    flash(_("admin.created", username=username), "ok")
    return redirect(url_for("console.admin"))


def _editable(user_id: int) -> dict:
    try:
        return users.get_user(get_db(), user_id)
    except NotFound:
        abort(404)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@console_access("admin")
def edit_user(user_id):
    """Change a user's role, provinces, name and password (an empty password keeps it)."""
    target = _editable(user_id)
    db = get_db()
    form, errors, status = {"full_name": target["full_name"] or "", "role": target["role"],
                            "provinces": [str(p) for p in target["provinces"]]}, {}, 200
    if request.method == "POST":
        typed = request.form
        role = typed.get("role") or ""
        try:
            if user_id == g.user["id"] and role != target["role"]:
                raise Invalid({"role": [_("admin.self_role")]})
            with writing() as tx:
                users.update_user(tx, user_id, role=role, provinces=[] if role == "admin" else _form_provinces(typed),
                                  full_name=(typed.get("full_name") or "").strip(),
                                  password=typed.get("password") or None)
        except DomainError as error:
            flash(describe(error), "error")
            form = {"full_name": typed.get("full_name") or "", "role": role,
                    "provinces": [str(p) for p in typed.getlist("provinces")]}
            errors, status = field_errors(error), 422
        else:
            flash(_("admin.updated", username=target["username"]), "ok")
            return redirect(url_for("console.admin"))
    return page("console/user_edit.html", status, target=target, form=form, errors=errors, roles=ROLES,
                provinces=console_queries.provinces_for(db, g.actor))


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


