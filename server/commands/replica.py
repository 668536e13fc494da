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


def start_beside_server(app) -> dict:
    """For ``fieldsync serve``: Litestream and the watermark job, as child processes in the
    server's process group (a kill of the group stops them too), and a thread that starts
    Litestream again if it stops. Returns what to stop."""
    import subprocess
    import threading

    config = app.config
    log = open(Path(app.instance_path) / "litestream.log", "ab")  # noqa: SIM115 - the child writes it

    def start_litestream(socket=None):
        return replication.start(app.instance_path, str(Path(config["DATABASE"]).resolve()),
                                 config["REPLICA_URL"], replication.s3_of(config),
                                 config["REPLICA_SYNC_INTERVAL_SECONDS"], log=log, socket=socket)

    children = {"replicator": start_litestream(), "log": log, "stopping": threading.Event()}
    children["watcher"] = subprocess.Popen(
        [sys.executable, "-m", "server", "--instance", app.instance_path, "--db", config["DATABASE"],
         "replica", "watch", "--socket", children["replicator"].socket], preexec_fn=replication.die_with_parent)
    # The thread lives as long as the server: Litestream, started from it, dies with it
    # (PR_SET_PDEATHSIG follows the thread that started the child).
    threading.Thread(target=_keep_litestream_running, args=(children, start_litestream), daemon=True).start()
    return children


def _keep_litestream_running(children: dict, start_litestream, every_s: float = 2.0) -> None:
    """A Litestream that stopped under a running server would leave the store unreplicated
    and its WAL growing (the server does not checkpoint under Litestream): start it again.
    Meanwhile the watermark stands still, so devices keep everything."""
    while not children["stopping"].wait(every_s):
        if children["replicator"].process.poll() is None:
            continue
        click.echo(f"Litestream stopped (exit {children['replicator'].process.returncode}); starting it again.",
                   err=True)
        try:
            children["replicator"] = start_litestream(children["replicator"].socket)
        except replication.ReplicaError as error:
            click.echo(f"Litestream did not start again: {error}", err=True)


def stop_beside_server(children: dict) -> None:
    children["stopping"].set()
    children["watcher"].terminate()
    children["watcher"].wait(10)
    children["replicator"].stop()
    children["log"].close()


COMMANDS = [replica_group]
