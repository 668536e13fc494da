"""``fieldsync users …`` and ``fieldsync devices …``: the same write path as the API."""

import json

import click
from flask.cli import AppGroup, with_appcontext

from server.db import get_db, now
from sync import users
from sync.errors import DomainError
from sync.migrations import ROLES
from sync.store import write

users_group = AppGroup("users", help="Create, list and change users.")
devices_group = AppGroup("devices", help="List and revoke devices.")


def run_domain(fn):
    """Run a domain call, turning its errors into a clear CLI error."""
    try:
        return fn()
    except DomainError as error:
        details = f" {json.dumps(error.details, ensure_ascii=False)}" if error.details else ""
        raise click.ClickException(f"{error.message}{details}") from error


def _by_username(username: str) -> dict:
    user = users.find_user(get_db(), username)
    if user is None:
        raise click.ClickException(f"No user {username!r}.")
    return user


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option("--province", "provinces", type=int, multiple=True,
              help="Province id in the user's scope (repeat for several). Required except for admins.")
@click.option("--full-name", default="", help="Name shown in the console.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Password (at least 8 characters); prompted for when omitted.")
@with_appcontext
def create_user(username, role, provinces, full_name, password):
    """Create a user."""
    def create():
        with write(get_db(), now()) as tx:
            return users.create_user(tx, username, password, role, provinces, full_name)

    user = run_domain(create)
    click.echo(f"Created {user['role']} {user['username']} (id {user['id']}), provinces {user['provinces']}.")


@users_group.command("list")
@with_appcontext
def list_users():
    """List users with role, provinces and whether they are active."""
    for user in users.list_users(get_db()):
        state = "active" if user["active"] else "deactivated"
        click.echo(f"{user['id']:>4}  {user['username']:<20} {user['role']:<10} {state:<11} "
                   f"provinces={','.join(map(str, user['provinces'])) or '-'}")


@users_group.command("update")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), help="New role.")
@click.option("--province", "provinces", type=int, multiple=True,
              help="Replace the user's provinces (repeat for several).")
@click.option("--active/--inactive", default=None, help="Activate or deactivate (stops tokens at once).")
@click.option("--password", help="New password.")
@click.option("--full-name", help="New display name.")
@with_appcontext
def update_user(username, role, provinces, active, password, full_name):
    """Change a user's role, provinces, password or active flag."""
    user = _by_username(username)

    def update():
        with write(get_db(), now()) as tx:
            return users.update_user(tx, user["id"], role=role, provinces=list(provinces) or None,
                                     active=active, password=password, full_name=full_name)

    user = run_domain(update)
    click.echo(f"Updated {user['username']}: role={user['role']} active={user['active']} "
               f"provinces={user['provinces']}.")


@devices_group.command("list")
@click.option("--user", "username", help="Only this user's devices.")
@with_appcontext
def list_devices(username):
    """List registered devices."""
    user_id = _by_username(username)["id"] if username else None
    for device in users.list_devices(get_db(), user_id):
        state = f"revoked {device['revoked_at']}" if device["revoked_at"] else "active"
        click.echo(f"{device['id']}  user={device['user_id']}  {state}  last seen {device['last_seen_at']}"
                   f"  label={device['label']!r}")


@devices_group.command("revoke")
@click.argument("device_id")
@with_appcontext
def revoke_device(device_id):
    """Revoke a device: its tokens stop working at once."""
    def revoke():
        with write(get_db(), now()) as tx:
            return users.revoke_device(tx, device_id)

    device = run_domain(revoke)
    click.echo(f"Revoked device {device['id']} at {device['revoked_at']}.")


COMMANDS = [users_group, devices_group]
