"""Store connections: one per thread of a server process, reused across requests.

Reusing a connection keeps SQLite's page cache warm (candidate lookups and pulls read
the same pages again and again); opening one per request would start every request
cold. A connection is never shared between threads or carried across a fork, and any
transaction still open when a request ends is rolled back.
"""

import logging
import os
import threading

from flask import current_app, g

from sync import unit_index
from sync.store import SYSTEM, connect, open_store, write


def request_checkpoints(config) -> bool:
    """Do the connections that serve requests checkpoint in their commits? Not when Litestream
    does it (``REPLICA_URL``), nor when ``fieldsync serve`` runs its checkpointer thread."""
    return not config["REPLICA_URL"] and not config.get("BACKGROUND_CHECKPOINTS")


def _open(app):
    return connect(app.config["DATABASE"], app.config["BUSY_TIMEOUT_MS"], app.config["SQLITE_CACHE_MB"],
                   checkpoints=request_checkpoints(app.config))


def get_db():
    if "db" not in g:
        app = current_app._get_current_object()
        local = app.extensions["fieldsync_connections"]
        # A connection made before gunicorn forked belongs to the parent: never reuse it.
        if getattr(local, "pid", None) != os.getpid():
            local.db, local.pid = _open(app), os.getpid()
        g.db = local.db
    return g.db


def close_connection(app) -> None:
    """Close this thread's store connection (``fieldsync serve``, before gunicorn forks)."""
    local = app.extensions["fieldsync_connections"]
    db = getattr(local, "db", None)
    if db is not None:
        db.close()
        del local.db, local.pid


def release_db(_error=None) -> None:
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


def now():
    return current_app.config["CLOCK"]()


def init_app(app) -> None:
    # Migrate once at start-up so requests never race a schema change, and bring the
    # duplicate-matching index in step with this version's engine.
    db = open_store(app.config["DATABASE"], app.config["BUSY_TIMEOUT_MS"])
    try:
        if unit_index.stale(db.conn):
            with write(db, app.config["CLOCK"](), SYSTEM) as tx:
                if unit_index.stale(db.conn):  # another process may have done it meanwhile
                    count = unit_index.rebuild(db.conn)
                    if count:
                        tx.audit("dedup.reindex", "store", None, units=count)
                        logging.getLogger("fieldsync").info(
                            "Re-indexed %d units for duplicate matching (the matching engine changed).", count)
    finally:
        db.close()
    app.extensions["fieldsync_connections"] = threading.local()
    app.teardown_appcontext(release_db)


def writing(actor=None):
    """The write path, for the current request's user (or the system)."""
    return write(get_db(), now(), actor or g.get("actor") or SYSTEM)
