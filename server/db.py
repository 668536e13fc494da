"""One store connection per request (flaskr style), closed when the request ends."""

from flask import current_app, g

from sync.store import connect, open_store


def get_db():
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"], current_app.config["BUSY_TIMEOUT_MS"])
    return g.db


def close_db(_error=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def now():
    return current_app.config["CLOCK"]()


def init_app(app) -> None:
    # Migrate once at start-up so requests never race a schema change.
    open_store(app.config["DATABASE"], app.config["BUSY_TIMEOUT_MS"]).close()
    app.teardown_appcontext(close_db)


def writing(actor=None):
    """The write path, for the current request's user (or the system)."""
    from sync.store import SYSTEM, write

    return write(get_db(), now(), actor or g.get("actor") or SYSTEM)
