"""``fieldsync serve`` and ``fieldsync init-db``."""

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from server import instance_lock
from server.db import close_connection, get_db, now
from sync import checklists, reference, users
from sync.errors import DomainError
from sync.store import write


def prepare_store(demo: bool = False) -> list[str]:
    """Load reference data, the default template and taxonomy if missing, and make sure someone
    can log in; returns notes to print."""
    db = get_db()
    notes = []
    if not db.execute("SELECT 1 FROM provinces LIMIT 1").fetchone():
        with write(db, now()) as tx:
            counts = reference.load_reference(tx, reference.shipped_reference())
        notes.append("Loaded reference data: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    with write(db, now()) as tx:  # the default diagnosis template and the starter taxonomy
        notes.extend(checklists.load_defaults(tx))
    if demo:
        from server.commands.demo import load_demo

        notes.extend(load_demo(db))
    if not db.execute("SELECT 1 FROM users LIMIT 1").fetchone():
        password = secrets.token_urlsafe(12)
        with write(db, now()) as tx:
            users.create_user(tx, "admin", password, "admin", full_name="Administrator")
        path = _keep_secret(Path(current_app.instance_path) / "initial_admin_password", password)
        notes.append(f"Created user 'admin'; its password is in {path} (readable by this account only). "
                     "Log in, change it, then delete the file.")
    return notes


def _keep_secret(path: Path, secret: str) -> Path:
    """Write ``secret`` to a file only its owner can read. What serve prints ends up in logs
    (journald, docker logs), and logs must never hold a password."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(secret + "\n")
    return path


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or migrate the database and load the shipped reference data."""
    for note in prepare_store():
        click.echo(note)
    click.echo(f"Database ready: {current_app.config['DATABASE']}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per worker.")
@click.option("--demo", is_flag=True, help="Fill an empty database with the Persian demo data set.")
@click.option("--dev", is_flag=True, help="Use Flask's development server (one process, auto-reload off).")
@click.pass_context
def serve(ctx, host, port, workers, threads, demo, dev):
    """Set up the database if needed and serve the API and console with gunicorn."""
    app = ctx.ensure_object(ScriptInfo).load_app()
    try:  # held until the process group ends: `fieldsync restore` refuses meanwhile
        ctx.meta["fieldsync.instance_lock"] = instance_lock.hold(app.instance_path, wait_s=15)
    except instance_lock.InstanceBusy as error:
        raise click.ClickException(str(error)) from None
    with app.app_context():
        for note in prepare_store(demo):
            click.echo(note)
    # Workers are forked from here: outside any app context, so that each request pushes its
    # own (its own ``g``), and without a store connection of ours, so that each worker opens
    # its own (SQLite connections must not cross a fork; the write queue's locks belong to
    # the open file, which a fork would share).
    close_connection(app)
    click.echo(f"Database: {app.config['DATABASE']}")
    click.echo(f"Serving on http://{host}:{port}/  (console: /console, API spec: /api/openapi.json)")
    children, checkpointer = None, None
    if not app.config["REPLICA_URL"] and app.config["CHECKPOINT_INTERVAL_SECONDS"] > 0:
        from sync import checkpointer as background

        # Workers forked from here (and their connections) leave checkpoints to this thread.
        app.config["BACKGROUND_CHECKPOINTS"] = True
        checkpointer = background.start(str(Path(app.config["DATABASE"]).resolve()),
                                        app.config["CHECKPOINT_INTERVAL_SECONDS"],
                                        app.config["CHECKPOINT_RESTART_MB"])
    if app.config["REPLICA_URL"]:
        from server.commands.replica import start_beside_server

        try:
            children = start_beside_server(app)
        except DomainError as error:
            raise click.ClickException(f"Replication did not start: {error}") from None
        click.echo(f"Replicating the store to {app.config['REPLICA_URL']} (log: litestream.log).")
        kept = Path(app.instance_path) / "secret_key"
        if kept.exists() and kept.read_text().strip() == app.config["SECRET_KEY"]:
            click.echo("Warning: the signing key lives only in this instance folder; a machine restored from "
                       "the replica would not have it, and every device would have to log in again. Set "
                       "FIELDSYNC_SECRET_KEY (docs/deployment.md).", err=True)
    try:
        if dev:
            app.run(host=host, port=port, threaded=True, use_reloader=False)
        else:
            run_gunicorn(app, host, port, workers, threads)
    finally:
        if checkpointer is not None:
            checkpointer.set()
        if children:
            from server.commands.replica import stop_beside_server

            stop_beside_server(children)


def run_gunicorn(app, host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("timeout", 120)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("accesslog", None)
            # gunicorn >= 24 opens a control socket at one path in the user's home: every
            # instance on the host would fight over it, and nothing of ours uses it.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return app

    Server().run()


COMMANDS = [serve, init_db]
