"""Consistent copies of the store and its photos, and putting one back.

A backup is a folder: ``fieldsync.db`` (one self-contained SQLite file), ``attachments/``
(the photo and PDF files, content-addressed, as in the instance) and ``manifest.json``
(when, which store, up to which change, checksums). It is written as ``<name>.partial`` and
renamed when complete, so a folder without that suffix is always a whole backup.

The database is copied with SQLite's online backup API in a single step: the copy is one
read snapshot, taken while the server keeps serving writes (WAL lets writers go on beside a
reader). The files are copied afterwards; a file is listed in the ``attachments`` table only
once it is complete and verified and is never changed after, so every file the snapshot
lists is on disk when it is copied (files that arrive later may come along; they are harmless).

Restoring writes the backup into the live database with the same API, gives the store a new
``store_id`` (devices see ``store_replaced`` at their next pull and download their scope
again) and adds the backup's files to the attachments folder, never removing any. What
devices had pushed after the backup point is not in the restored store: see
docs/reliability.md ("Backups") for what that means and what devices must do.
"""

import json
import os
import secrets
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

from sync import durability
from sync.attachments import SHA256_RE, file_sha256
from sync.clock import iso
from sync.errors import Conflict, Invalid
from sync.migrations import migrate, steps
from sync.store import SYSTEM, connect, write

FORMAT = 1
DATABASE_FILE, ATTACHMENTS_DIR, MANIFEST_FILE = "fieldsync.db", "attachments", "manifest.json"


def _held_files(root: Path):
    """Complete attachment files under ``root`` (``ab/<sha256>``); uploads in progress
    (``partial/``) are not part of a backup: devices resume them."""
    if not root.is_dir():
        return
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and len(folder.name) == 2:
            for path in sorted(folder.iterdir()):
                if SHA256_RE.match(path.name) and path.name.startswith(folder.name):
                    yield path


def _copy_database(source: str, target: Path) -> None:
    live = connect(source)
    copy = sqlite3.connect(target)
    try:
        live.conn.backup(copy)  # pages=-1: the whole store from one read snapshot
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        live.close()


def describe(database: Path) -> dict:
    """What a database file holds, for the manifest and for checks after a restore."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise Invalid({"database": [f"integrity check failed: {check}"]})
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731 - a local shorthand
        return {"store_id": one("SELECT value FROM meta WHERE key = 'store_id'"),
                "schema_version": one("PRAGMA user_version"),
                "max_seq": one("SELECT coalesce(max(seq), 0) FROM change_log"),
                "mutations": one("SELECT count(*) FROM mutations"),
                "units": one("SELECT count(*) FROM units"), "visits": one("SELECT count(*) FROM visits"),
                "attachments_listed": one("SELECT count(*) FROM attachments")}
    finally:
        conn.close()


def backup(database: str, attachments_dir: str | None, target: str, now: datetime) -> dict:
    """Write a backup of the store at ``database`` and its files to the new folder ``target``;
    returns the manifest. Safe while the server serves writes. ``attachments_dir`` None: the
    files live in an object store (``ATTACHMENTS_S3_BUCKET``), which keeps them itself; the
    backup then holds the database only."""
    final = Path(target)
    if final.exists():
        raise Conflict(f"{final} exists; back up to a new folder.")
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # left by a backup that was interrupted
    (partial / ATTACHMENTS_DIR).mkdir(parents=True)
    _copy_database(database, partial / DATABASE_FILE)
    summary = describe(partial / DATABASE_FILE)
    conn = sqlite3.connect(partial / DATABASE_FILE)
    listed = {sha: (size, content) for sha, size, content in conn.execute(
        "SELECT sha256, size, content_sha256 FROM attachments")}
    conn.close()
    copied, total, missing = 0, 0, []
    if attachments_dir is None:
        listed = {}  # in the bucket, which keeps them: nothing to copy or check here
    for path in _held_files(Path(attachments_dir)) if attachments_dir else ():
        (partial / ATTACHMENTS_DIR / path.parent.name).mkdir(exist_ok=True)
        shutil.copy2(path, partial / ATTACHMENTS_DIR / path.parent.name / path.name)
        copied, total = copied + 1, total + path.stat().st_size
    for sha, (size, content) in listed.items():
        kept = partial / ATTACHMENTS_DIR / sha[:2] / sha
        if not kept.exists() or kept.stat().st_size != size or file_sha256(kept) != content:
            missing.append(sha)  # listed in the store but not on disk as it should be
    manifest = {"format": FORMAT, "created_at": iso(now), **summary,
                "database_sha256": file_sha256(partial / DATABASE_FILE),
                "database_bytes": (partial / DATABASE_FILE).stat().st_size,
                "attachment_files": copied, "attachment_bytes": total, "attachments_missing": missing,
                "attachments_in": "backup" if attachments_dir else "object storage"}
    (partial / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    os.rename(partial, final)
    return manifest


def verify(source: str) -> dict:
    """The manifest of the backup at ``source`` once its database checks out; raises
    :class:`Invalid` for anything that would make restoring it unsafe."""
    folder = Path(source)
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text())
    except (OSError, ValueError) as error:
        raise Invalid({"backup": [f"{folder} is not a fieldsync backup (no readable {MANIFEST_FILE})."]}) from error
    if manifest.get("format") != FORMAT:
        raise Invalid({"backup": [f"Unknown backup format {manifest.get('format')!r}."]})
    database = folder / DATABASE_FILE
    if not database.is_file() or file_sha256(database) != manifest["database_sha256"]:
        raise Invalid({"backup": ["The database file is missing or differs from the one the manifest describes."]})
    known = max(step.VERSION for step in steps())
    if describe(database)["schema_version"] > known:
        raise Invalid({"backup": [f"The backup comes from a newer fieldsync (schema above {known}); "
                                  "upgrade before restoring it."]})
    return manifest


def install(database: str, source: Path, now: datetime, origin: dict) -> str:
    """Write the SQLite file ``source`` into the store at ``database`` (the caller makes sure
    no server is running), bring it to this fieldsync's schema, and mark it restored: a new
    store id (devices are told ``store_replaced``), everything in it durable, each device's
    restore floor (``sync.durability.restored``). ``origin`` says where it came from, for
    ``meta`` and the audit log. Returns the new store id."""
    source_conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    live = connect(database)
    try:
        source_conn.backup(live.conn)  # page by page under the live store's write lock; WAL-safe
        migrate(live)  # a copy from an older fieldsync is brought up to this one's schema
        new_id = secrets.token_hex(8)
        with write(live, now, SYSTEM) as tx:
            tx.execute("UPDATE meta SET value = ? WHERE key = 'store_id'", (new_id,))
            tx.execute("INSERT INTO meta (key, value) VALUES ('restored_from', ?) ON CONFLICT(key)"
                       " DO UPDATE SET value = excluded.value", (json.dumps(origin, ensure_ascii=False),))
            durability.restored(tx)
            tx.audit("store.restore", "store", new_id, **origin)
    finally:
        live.close()
        source_conn.close()
    return new_id


def restore(database: str, attachments_dir: str, source: str, now: datetime) -> dict:
    """Put the backup at ``source`` in place of the store at ``database`` (the caller makes
    sure no server is running) and add its files; returns what was restored."""
    manifest = verify(source)
    folder = Path(source)
    new_id = install(database, folder / DATABASE_FILE, now, {
        "backup_created_at": manifest["created_at"], "backup_store_id": manifest["store_id"],
        "backup_max_seq": manifest["max_seq"]})
    added = 0
    for path in _held_files(folder / ATTACHMENTS_DIR):
        kept = Path(attachments_dir) / path.parent.name / path.name
        if not kept.exists():  # content-addressed: a file already there is the same file
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, kept.with_suffix(".restoring"))
            os.replace(kept.with_suffix(".restoring"), kept)
            added += 1
    return {"store_id": new_id, "backup": manifest, "attachments_added": added}
