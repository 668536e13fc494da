"""One owner of an instance at a time: a running ``fieldsync serve``, or a ``fieldsync restore``.

The owner holds an exclusive ``flock`` on ``<instance>/fieldsync.lock`` for as long as it
runs. The kernel drops the lock when the process dies however it dies (SIGKILL included), so a
crash never leaves a stale lock behind — unlike a pid file. gunicorn's workers inherit the
open file, so the lock lives exactly as long as the server's process group.
"""

import fcntl
import time
from pathlib import Path

LOCK_FILE = "fieldsync.lock"


class InstanceBusy(Exception):
    """Another process owns the instance."""


def hold(instance: str | Path, wait_s: float = 0.0):
    """Take the instance's lock, waiting up to ``wait_s`` (a server restarted right after a kill
    may find the lock still held for a moment by a dying worker); returns the open lock file,
    which the caller keeps for as long as it owns the instance."""
    lock = open(Path(instance) / LOCK_FILE, "a")  # noqa: SIM115 - held open on purpose
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock
        except BlockingIOError:
            if time.monotonic() >= deadline:
                lock.close()
                raise InstanceBusy(f"{instance} is in use by a running `fieldsync serve` or `fieldsync restore`.") \
                    from None
            time.sleep(0.1)
