"""Writers take their turn in arrival order, across processes and threads.

SQLite's busy handler polls with growing sleeps, so under load a writer can wait hundreds of
milliseconds for a lock held a few. A blocking ``flock`` wakes every waiter when it is freed
and the first one scheduled wins: fast, but a writer can lose many rounds in a row (with four
busy workers a push's p95 was seven rounds of waiting). So writers take tickets:

* under a short ``flock`` of the queue file a writer reads the ticket counter kept in the
  file, writes it back plus one, and locks the byte numbered by its ticket;
* it then waits for the byte of the ticket before it (its holder unlocks it when done),
  which only it waits for: the kernel hands it over to that one waiter, in order;
* when its write is done it unlocks its own byte, and the next in line goes.

The byte locks are Linux open-file-description locks: owned by the open file (one per store
connection, so threads conflict like processes) and dropped by the kernel when the file is
closed or its process dies, so a killed writer never blocks the queue. SQLite's own lock
still guards the data; this only orders who asks for it. Where OFD locks do not exist the
queue is the plain ``flock``.
"""

import contextlib
import fcntl
import os
import struct
from collections.abc import Iterator

_COUNTER = struct.Struct("<Q")  # the next ticket, at offset 0 of the queue file
_FIRST_BYTE = 64  # ticket t locks byte _FIRST_BYTE + t (past the counter)
# struct flock: l_type, l_whence, l_start, l_len, l_pid (0 for OFD locks), native layout
_FLOCK = struct.Struct("@hhqqi4x")
_OFD = hasattr(fcntl, "F_OFD_SETLKW")


def open_queue(path: str):
    """The queue file of a store, opened for this connection alone (not in append mode:
    the counter is rewritten in place)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    return open(fd, "r+b", buffering=0)  # noqa: SIM115 - lives as long as the connection


def _byte(fd: int, kind: int, ticket: int, wait: bool) -> None:
    command = fcntl.F_OFD_SETLKW if wait else fcntl.F_OFD_SETLK
    fcntl.fcntl(fd, command, _FLOCK.pack(kind, os.SEEK_SET, _FIRST_BYTE + ticket, 1, 0))


def _take_ticket(fd: int) -> int:
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        raw = os.pread(fd, _COUNTER.size, 0)
        ticket = _COUNTER.unpack(raw)[0] if len(raw) == _COUNTER.size else 0
        os.pwrite(fd, _COUNTER.pack(ticket + 1), 0)
        _byte(fd, fcntl.F_WRLCK, ticket, wait=False)  # nobody holds a byte not yet handed out
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
    return ticket


@contextlib.contextmanager
def turn(queue) -> Iterator[None]:
    """Wait for this writer's turn; the next writer's turn comes when the block ends."""
    fd = queue.fileno()
    if not _OFD:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
        return
    ticket = _take_ticket(fd)
    try:
        if ticket:
            _byte(fd, fcntl.F_WRLCK, ticket - 1, wait=True)  # the writer before is done
            _byte(fd, fcntl.F_UNLCK, ticket - 1, wait=False)
        yield
    finally:
        _byte(fd, fcntl.F_UNLCK, ticket, wait=False)


def tickets(path: str) -> int:
    """How many turns were ever asked for on the queue file at ``path`` (for diagnostics)."""
    try:
        with open(path, "rb") as queue:
            raw = queue.read(_COUNTER.size)
    except FileNotFoundError:
        return 0
    return _COUNTER.unpack(raw)[0] if len(raw) == _COUNTER.size else 0
