"""Checkpoints off the request path.

In WAL mode SQLite copies the log back into the database file when it passes 1,000 pages, and
it does so inside the COMMIT of whichever write crosses the mark: that request then pays for
everyone's pages (tens of milliseconds under a stream of pushes). ``fieldsync serve`` turns
those automatic checkpoints off in the connections that serve requests and runs this loop in
a thread of its master process instead: every ``interval`` seconds a PASSIVE checkpoint, which
never blocks readers or writers, copies what it can. When Litestream replicates the store it
alone checkpoints (``sync.replication``), and this loop is not started. Nothing here imports
Flask.
"""

import logging
import threading

from sync.store import connect

log = logging.getLogger("fieldsync")


def run(database: str, interval: float, stop: threading.Event, busy_timeout_ms: int = 30000) -> None:
    """Checkpoint ``database`` every ``interval`` seconds until ``stop`` is set."""
    db = connect(database, busy_timeout_ms, cache_mb=2, checkpoints=False)
    try:
        while not stop.wait(interval):
            try:
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except Exception:  # a checkpoint that fails now is retried at the next turn
                log.exception("background checkpoint failed")
    finally:
        db.close()


def start(database: str, interval: float) -> threading.Event:
    """Run :func:`run` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run, args=(database, interval, stop), name="fieldsync-checkpointer",
                     daemon=True).start()
    return stop
