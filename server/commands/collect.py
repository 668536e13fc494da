"""``fieldsync collect …``: Collect keys for engineers' phones (docs/odk-collect.md)."""

import click
from flask.cli import AppGroup, with_appcontext

from server.commands.admin import _by_username, run_domain
from server.db import get_db, now
from sync.odk import keys
from sync.store import write

collect_group = AppGroup("collect", help="Issue, list and revoke Collect keys (ODK Collect, KoboCollect).")


@collect_group.command("issue")
@click.argument("username")
@click.option("--label", default="", help="Which phone, for the list (e.g. its model).")
@click.option("--url", "base_url", default="http://127.0.0.1:5000", show_default=True,
              help="The server's address as the phone reaches it.")
@with_appcontext
def issue(username, label, base_url):
    """Issue a Collect key for engineer USERNAME: prints the server URL and the QR code
    that Collect's "Configure with QR code" scans. The key is shown only now."""
    engineer = _by_username(username)

    def make():
        with write(get_db(), now()) as tx:
            return keys.issue(tx, engineer["id"], label)

    row, key = run_domain(make)
    url = keys.server_url(base_url, key)
    click.echo(f"Collect key {row['id']} for {engineer['username']} (device {row['device_id']}).")
    click.echo(f"Server URL: {url}")
    click.echo(keys.qr_text(keys.settings_payload(url, engineer)))


@collect_group.command("list")
@with_appcontext
def list_keys():
    """List Collect keys: id, engineer, device, when issued, and whether revoked."""
    from sync.store import SYSTEM

    for row in keys.listed(get_db(), SYSTEM):
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        click.echo(f"{row['id']:>4}  {row['username']:<20} {row['device_id']}  issued {row['created_at']}  {state}"
                   f"  {row['label']!r}")


@collect_group.command("revoke")
@click.argument("key_id", type=int)
@with_appcontext
def revoke(key_id):
    """Revoke Collect key KEY_ID: the phone is refused from its next request."""
    def stop():
        with write(get_db(), now()) as tx:
            return keys.revoke(tx, key_id)

    row = run_domain(stop)
    click.echo(f"Revoked Collect key {row['id']} ({row['username']}) at {row['revoked_at']}.")


COMMANDS = [collect_group]
