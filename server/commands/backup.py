"""``fieldsync backup PATH`` and ``fieldsync restore PATH``: see sync/backup.py and
docs/reliability.md ("Backups")."""

import click
from flask import current_app
from flask.cli import with_appcontext

from server.db import now
from server.instance_lock import InstanceBusy, hold
from sync import backup as backups
from sync import replication
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
        files = None if config["ATTACHMENTS_S3_BUCKET"] else config["ATTACHMENTS_DIR"]  # a bucket keeps its own
        manifest = backups.backup(config["DATABASE"], files, path, now())
    except DomainError as error:
        _fail(error)
    click.echo(f"Backup written to {path}: store {manifest['store_id']} up to change {manifest['max_seq']}, "
               f"{manifest['units']} units, {manifest['visits']} visits, {manifest['mutations']} mutations, "
               f"{manifest['attachment_files']} files ({manifest['attachment_bytes']} bytes).")
    if manifest["attachments_missing"]:
        click.echo(f"Warning: {len(manifest['attachments_missing'])} files the store lists were not on disk "
                   "(see attachments_missing in the manifest).", err=True)


@click.command("restore")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--from-replica", "from_replica", is_flag=True,
              help="Restore from the replica (REPLICA_URL, or --replica-url) instead of a backup folder.")
@click.option("--replica-url", default=None, help="The replica to restore from (default: REPLICA_URL).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore(path, from_replica, replica_url, yes):
    """Put a backup (the folder PATH) or the replica (--from-replica) in place of the
    database. Refused while `fieldsync serve` runs on this instance. The store gets a new id:
    devices download their scope again and send what it lacks (docs/reliability.md)."""
    config = current_app.config
    if bool(path) == bool(from_replica):
        raise click.UsageError("Give a backup folder PATH or --from-replica (not both).")
    replica_url = replica_url or config["REPLICA_URL"]
    if from_replica and not replica_url:
        raise click.UsageError("--from-replica needs REPLICA_URL (or --replica-url).")
    try:
        manifest = backups.verify(path) if path else None
        lock = hold(current_app.instance_path)
    except (DomainError, InstanceBusy) as error:
        _fail(error)
    try:
        if not yes:
            what = f"the backup of {manifest['created_at']}" if manifest else f"the replica at {replica_url}"
            click.confirm(f"Replace {config['DATABASE']} with {what}?", abort=True)
        if manifest:
            result = backups.restore(config["DATABASE"], config["ATTACHMENTS_DIR"], path, now())
        else:
            result = replication.restore(config["DATABASE"], replica_url, replication.s3_of(config), now())
    except DomainError as error:
        _fail(error)
    finally:
        lock.close()
    if manifest:
        click.echo(f"Restored the backup of {manifest['created_at']} (changes up to {manifest['max_seq']}); "
                   f"new store id {result['store_id']}; {result['attachments_added']} files added. "
                   "Devices will download their scope again at their next sync.")
    else:
        found = result["replica"]
        click.echo(f"Restored from {replica_url}: {found['units']} units, {found['visits']} visits, "
                   f"{found['mutations']} mutations (changes up to {found['max_seq']}); new store id "
                   f"{result['store_id']}. Devices will download their scope again and send what it lacks.")


COMMANDS = [backup, restore]
