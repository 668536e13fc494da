"""``fieldsync replica …``: the replica of the store and the durable watermark
(sync/replication.py, sync/durability.py, docs/reliability.md)."""

import os
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from server.db import get_db, now
from sync import durability, replication

replica_group = AppGroup("replica", help="The store's replica (Litestream) and the durable watermark.")


def _replica_url() -> str:
    url = current_app.config["REPLICA_URL"]
    if not url:
        raise click.ClickException("No replica is configured: set FIELDSYNC_REPLICA_URL.")
    return url


@replica_group.command("status")
@with_appcontext
def status():
    """Where the store is replicated, and how far the durable watermark has come."""
    config = current_app.config
    state = durability.state(get_db())
    click.echo(f"Replica: {config['REPLICA_URL'] or 'none (acknowledgements are durable on this disk only)'}")
    click.echo(f"Write number {state['write_seq']}, durable up to {state['durable_seq']} "
               f"({state['behind']} behind), last moved {state['durable_at'] or 'never'}.")
    where = f"S3 bucket {config['ATTACHMENTS_S3_BUCKET']}" if config["ATTACHMENTS_S3_BUCKET"] else "this disk"
    click.echo(f"Photos and files: {where}.")
    if config["REPLICA_URL"] and not config["ATTACHMENTS_S3_BUCKET"]:
        click.echo("Warning: photos are on this machine's disk only; devices keep every photo until they are "
                   "in storage that outlives it (set ATTACHMENTS_S3_BUCKET).", err=True)


@replica_group.command("watch")
@click.option("--socket", "socket", required=True, help="Litestream's control socket.")
@click.option("--once", is_flag=True, help="Move the watermark once and exit.")
@with_appcontext
def watch(socket, once):
    """Move the durable watermark every DURABLE_INTERVAL_SECONDS: ask the running Litestream
    to put everything committed on the replica, then tell devices it is there. `fieldsync
    serve` runs this beside Litestream; it exits when its parent does."""
    config = current_app.config
    _replica_url()
    db, s3, parent = get_db(), replication.s3_of(config), os.getppid()
    database = str(Path(config["DATABASE"]).resolve())
    failing = None
    while True:
        try:
            durability.advance(db, now(), lambda: replication.sync_now(socket, database, s3))
            if failing:
                click.echo("Replica reachable again; the durable watermark moves.", err=True)
            failing = None
        except replication.ReplicaError as error:
            if str(error) != failing:  # say it once, not every second
                click.echo(f"Durable watermark held back: {error}", err=True)
            failing = str(error)
            if once:
                raise click.ClickException(str(error)) from None
        if once or os.getppid() != parent:
            return
        time.sleep(config["DURABLE_INTERVAL_SECONDS"])


def start_beside_server(app) -> list:
    """For ``fieldsync serve``: Litestream and the watermark job, as child processes in the
    server's process group (a kill of the group stops them too). Returns what to stop."""
    config = app.config
    log = open(Path(app.instance_path) / "litestream.log", "ab")  # noqa: SIM115 - the child writes it
    replicator = replication.start(app.instance_path, str(Path(config["DATABASE"]).resolve()),
                                   config["REPLICA_URL"], replication.s3_of(config),
                                   config["REPLICA_SYNC_INTERVAL_SECONDS"], log=log)
    import subprocess

    watcher = subprocess.Popen([sys.executable, "-m", "server", "--instance", app.instance_path,
                                "--db", config["DATABASE"], "replica", "watch", "--socket", replicator.socket],
                               preexec_fn=replication.die_with_parent)
    return [replicator, watcher, log]


def stop_beside_server(children: list) -> None:
    replicator, watcher, log = children
    watcher.terminate()
    watcher.wait(10)
    replicator.stop()
    log.close()


COMMANDS = [replica_group]
