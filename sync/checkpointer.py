"""Checkpoints off the request path.

In WAL mode SQLite copies the log back into the database file when it passes 1,000 pages, and
it does so inside the COMMIT of whichever write crosses the mark: that request then pays for
everyone's pages (tens of milliseconds under a stream of pushes). ``fieldsync serve`` turns
those automatic checkpoints off in the connections that serve requests and runs this loop in
a thread of its master process instead: every ``interval`` seconds a PASSIVE checkpoint, which
never blocks readers or writers, copies what it can. When Litestream replicates the store it
alone checkpoints (``sync.replication``), and this loop is not started. Nothing here imports
Flask.

A PASSIVE checkpoint copies the log but never has it start again from its beginning: the next
writer does that, and only when the log has been copied whole at the moment it begins. Under a
steady stream of pushes that moment never comes (each copy ends behind the commits made
while it ran), and the log grew by some 25 KB a visit for as long as the stream lasted. So
once the log passes ``restart_mb``, the loop also takes a turn in the writers' queue
(:mod:`sync.write_queue`) and runs a RESTART checkpoint there: no writer is in the way, what
the PASSIVE one left is copied, and after waiting at most RESTART_PATIENCE_MS for readers of
older pages to finish, the next writer starts the log again at its beginning.
"""

import logging
import threading

from sync import write_queue
from sync.store import connect

log = logging.getLogger("fieldsync")

# How long a RESTART checkpoint waits for readers of older pages (a pull reading its snapshot)
# while writers queue behind it; if they are not done by then, the next turn tries again.
RESTART_PATIENCE_MS = 200


def checkpoint(db, restart_mb: float) -> None:
    """One turn: a PASSIVE checkpoint, then a RESTART one in the writers' queue when the log is
    past ``restart_mb`` (0: never). A RESTART that readers kept busy is simply tried again at
    the next turn."""
    _, frames, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    if restart_mb and frames * page_size >= restart_mb * 1024 * 1024:
        with write_queue.turn(db.write_queue):
            db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()


def run(database: str, interval: float, stop: threading.Event, restart_mb: float = 0) -> None:
    """Checkpoint ``database`` every ``interval`` seconds until ``stop`` is set."""
    db = connect(database, RESTART_PATIENCE_MS, cache_mb=2, checkpoints=False)
    try:
        while not stop.wait(interval):
            try:
                checkpoint(db, restart_mb)
            except Exception:  # a checkpoint that fails now is retried at the next turn
                log.exception("background checkpoint failed")
    finally:
        db.close()


def start(database: str, interval: float, restart_mb: float = 0) -> threading.Event:
    """Run :func:`run` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run, args=(database, interval, stop, restart_mb), name="fieldsync-checkpointer",
                     daemon=True).start()
    return stop
