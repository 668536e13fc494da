"""``fieldsync backup PATH`` and ``fieldsync restore PATH``: see sync/backup.py and
docs/reliability.md ("Backups")."""

import click
from flask import current_app
from flask.cli import with_appcontext

from server.db import now
from server.instance_lock import InstanceBusy, hold
from sync import backup as backups
from sync.errors import DomainError


def _fail(error: Exception) -> None:
    problems = [p for ps in ((getattr(error, "details", None) or {}).get("fields") or {}).values() for p in ps]
    raise click.ClickException(" ".join(problems) or getattr(error, "message", None) or str(error))


@click.command("backup")
@click.argument("path", type=click.Path(file_okay=False))
@with_appcontext
def backup(path):
    """Copy the database (SQLite online backup, one consistent snapshot) and the attachments
    into the new folder PATH, while the server keeps serving; prints the manifest."""
    config = current_app.config
    try:
        manifest = backups.backup(config["DATABASE"], config["ATTACHMENTS_DIR"], path, now())
    except DomainError as error:
        _fail(error)
    click.echo(f"Backup written to {path}: store {manifest['store_id']} up to change {manifest['max_seq']}, "
               f"{manifest['units']} units, {manifest['visits']} visits, {manifest['mutations']} mutations, "
               f"{manifest['attachment_files']} files ({manifest['attachment_bytes']} bytes).")
    if manifest["attachments_missing"]:
        click.echo(f"Warning: {len(manifest['attachments_missing'])} files the store lists were not on disk "
                   "(see attachments_missing in the manifest).", err=True)


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore(path, yes):
    """Put the backup in PATH in place of the database and add its attachments. Refused while
    `fieldsync serve` runs on this instance. The store gets a new id: devices download their
    scope again; what they pushed after the backup was taken is not in it (docs/reliability.md)."""
    config = current_app.config
    try:
        manifest = backups.verify(path)
        lock = hold(current_app.instance_path)
    except (DomainError, InstanceBusy) as error:
        _fail(error)
    try:
        if not yes:
            click.confirm(f"Replace {config['DATABASE']} with the backup of {manifest['created_at']}?", abort=True)
        result = backups.restore(config["DATABASE"], config["ATTACHMENTS_DIR"], path, now())
    except DomainError as error:
        _fail(error)
    finally:
        lock.close()
    click.echo(f"Restored the backup of {manifest['created_at']} (changes up to {manifest['max_seq']}); "
               f"new store id {result['store_id']}; {result['attachments_added']} files added. "
               "Devices will download their scope again at their next sync.")


COMMANDS = [backup, restore]
