"""Versioned schema migrations, applied in order and recorded in ``PRAGMA user_version``.

Each migration is a module ``mNNN_<what>.py`` in this package with ``VERSION``,
``DESCRIPTION`` and ``apply(db)``. Each runs inside one transaction with the version
bump, so a crash mid-way leaves the store at the previous version, never half-migrated.
Add new modules; never edit one that has shipped.
"""

import importlib
import pkgutil
import sqlite3

import sqlite_utils

UNIT_STATUSES = ("active", "semi_active", "stalled", "closed")
ROLES = ("engineer", "supervisor", "admin")
REVIEW_STATES = ("submitted", "approved", "rejected", "returned")


def run_script(db: sqlite_utils.Database, script: str) -> None:
    """Run ``;``-separated statements inside the current transaction.

    ``executescript()`` would COMMIT the migration's transaction first, hence this.
    Pieces are joined until SQLite's own tokenizer says the statement is complete, so a
    ``;`` inside a comment, a string or a trigger body does not split a statement.
    """
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \n\t;"):
                db.execute(buffer)
            buffer = ""
    if buffer.strip(" \n\t;"):
        raise ValueError(f"incomplete SQL statement in migration: {buffer[:80]!r}")


def steps() -> list:
    """The migration modules, in version order."""
    modules = [importlib.import_module(f"{__name__}.{info.name}")
               for info in pkgutil.iter_modules(__path__) if info.name.startswith("m")]
    modules.sort(key=lambda m: m.VERSION)
    versions = [m.VERSION for m in modules]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migration versions must be 1..n without gaps, found {versions}")
    return modules


def current_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply pending migrations; returns the versions applied. Safe to run concurrently."""
    applied = []
    for step in steps():
        # BEGIN IMMEDIATE serialises two processes starting at once: the second
        # re-reads the version under the write lock and skips what the first did.
        db.execute("BEGIN IMMEDIATE")
        try:
            if current_version(db) >= step.VERSION:
                db.execute("ROLLBACK")
                continue
            step.apply(db)
            db.execute(f"PRAGMA user_version = {int(step.VERSION)}")
            db.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.execute("ROLLBACK")
            raise
        applied.append(step.VERSION)
    return applied
