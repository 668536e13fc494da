"""The store: opening SQLite properly, and the one write path.

Every change to synced data goes through :func:`write`, which takes the write lock up
front (``BEGIN IMMEDIATE``), hands out change sequence numbers inside that transaction
and commits or rolls back as a whole. Because writers are serialised and a sequence
number only exists once its transaction commits, a reader never sees seq N+1 without
seq N: pull cursors are gap-free.
"""

import contextlib
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from sync import collation, jsontext, write_queue
from sync.clock import iso
from sync.migrations import migrate


class Store(sqlite_utils.Database):
    """sqlite-utils' Database, with a leaner ``query``.

    sqlite-utils wraps every ``query()`` in a savepoint so that a statement turning out
    not to return rows can be undone; fieldsync only passes SELECTs to ``query()`` and
    writes through ``execute``/``Tx``, so the two extra statements per read are waste on
    the push and pull hot paths.
    """

    write_queue = None  # the file whose lock orders writers (see _queue), per connection

    def close(self) -> None:
        super().close()
        if self.write_queue is not None:
            self.write_queue.close()

    def query(self, sql: str, params=None):
        cursor = self.conn.execute(sql, () if params is None else params)
        keys = [d[0] for d in cursor.description]
        return (dict(zip(keys, row, strict=True)) for row in cursor)


def connect(path: str, busy_timeout_ms: int = 30000, cache_mb: int = 16, checkpoints: bool = True) -> Store:
    """Open the store with the pragmas every connection needs. ``checkpoints=False`` when
    Litestream replicates the store: it alone then copies the WAL into the database file, so
    no checkpoint of ours can race it and leave the replica with pages it never saw."""
    conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, check_same_thread=False)
    collation.register(conn)
    db = Store(conn)
    if path != ":memory:":
        # One open file per connection: its locks then also order threads of one process.
        db.write_queue = write_queue.open_queue(f"{path}-writers")
    db.execute(f"PRAGMA cache_size = -{int(cache_mb) * 1024}")
    # WAL lets pulls read a snapshot while a push writes; FULL makes an acknowledged
    # push survive power loss, not only a process crash.
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    if not checkpoints:
        db.execute("PRAGMA wal_autocheckpoint = 0")
    return db


def open_store(path: str, busy_timeout_ms: int = 30000) -> sqlite_utils.Database:
    """Connect and bring the schema up to date."""
    db = connect(path, busy_timeout_ms)
    migrate(db)
    return db


def store_id(db: sqlite_utils.Database) -> str:
    """Random id of this store; a restore or a fresh database changes it, which resets devices."""
    return db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()[0]


@dataclass
class Actor:
    """Who is writing: a user (maybe from a device), or the system (user_id None)."""

    user_id: int | None = None
    device_id: str | None = None
    role: str | None = None
    provinces: frozenset = field(default_factory=frozenset)

    @property
    def sees_all(self) -> bool:
        return self.role == "admin"

    def can_see_province(self, province_id) -> bool:
        return self.sees_all or province_id in self.provinces


SYSTEM = Actor(role="admin")


_CHANGE_SQL = "INSERT INTO change_log (seq, entity, entity_id, scope, at) VALUES (?, ?, ?, ?, ?)"
_AUDIT_SQL = ("INSERT INTO audit_log (at, user_id, device_id, action, entity, entity_id, details)"
              " VALUES (?, ?, ?, ?, ?, ?, ?)")


@dataclass
class Tx:
    """An open write transaction: the only handle through which synced data changes.

    Rows that nothing reads back while the transaction is open — the change log, the audit
    log, the push ledger (:meth:`later`) — are kept here and written with one
    ``executemany`` each just before COMMIT: a push of 100 visits writes its 500 change-log
    and audit rows in two statements instead of 500. A savepoint that rolls back drops what
    it had added, so nothing of a rejected step is written; change seqs are handed out from
    the last one committed, so they stay gap-free (writers are serialised)."""

    db: sqlite_utils.Database
    now: datetime
    actor: Actor
    last_seq: int = 0
    at: str = field(init=False)  # the transaction time as stored: UTC ISO text
    _seq: int | None = field(default=None, init=False, repr=False)
    _pending: dict = field(default_factory=dict, init=False, repr=False)  # sql → rows, written at flush

    def __post_init__(self):
        self.at = iso(self.now)

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.db.conn.execute(sql, params)

    def one(self, sql: str, params=()) -> dict | None:
        cursor = self.db.conn.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cursor.description], row, strict=True))

    def later(self, sql: str, params) -> None:
        """Run this INSERT at the end of the transaction (see the class): for rows nothing
        reads while it is open."""
        self._pending.setdefault(sql, []).append(params)

    def _current_seq(self) -> int:
        if self._seq is None:
            self._seq = self.db.conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0]
        return self._seq

    def changed(self, entity: str, entity_id, scopes) -> int:
        """Record a change of one entity, visible to pulls in each scope; returns its seq."""
        seq = self._current_seq()
        for scope in scopes:
            seq += 1
            self.later(_CHANGE_SQL, (seq, entity, str(entity_id), scope, self.at))
        self._seq = self.last_seq = seq
        return seq

    def next_seq(self) -> int:
        """The seq the next :meth:`changed` call will get (rows are stamped before logging)."""
        return self._current_seq() + 1

    def audit(self, action: str, entity: str, entity_id=None, /, **details) -> None:
        # Positional-only, so details may themselves be named "action" or "entity".
        self.later(_AUDIT_SQL, (self.at, self.actor.user_id, self.actor.device_id, action, entity,
                                None if entity_id is None else str(entity_id),
                                jsontext.dumps(details)))

    def flush(self) -> None:
        """Write the rows kept for the end of the transaction."""
        for sql, rows in self._pending.items():
            self.db.conn.executemany(sql, rows)
        self._pending.clear()

    @contextlib.contextmanager
    def savepoint(self, name: str = "step") -> Iterator[None]:
        """A nested all-or-nothing step: an exception undoes only this step."""
        self.db.conn.execute(f"SAVEPOINT {name}")
        kept = {sql: len(rows) for sql, rows in self._pending.items()}
        seq, last = self._seq, self.last_seq
        try:
            yield
        except BaseException:
            self.db.conn.execute(f"ROLLBACK TO {name}")
            self.db.conn.execute(f"RELEASE {name}")
            for sql in list(self._pending):
                del self._pending[sql][kept.get(sql, 0):]
            self._seq, self.last_seq = seq, last
            raise
        self.db.conn.execute(f"RELEASE {name}")


def scope_of_province(province_id) -> str:
    return f"p:{province_id}"


def scope_of_user(user_id) -> str:
    return f"u:{user_id}"


GLOBAL_SCOPE = "g"


def _begin_immediate(db: sqlite_utils.Database, deadline: float) -> None:
    # busy_timeout already waits inside SQLite; this loop is the second line for
    # bursts longer than that, so a client never sees "database is locked".
    while True:
        try:
            db.conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))


@contextlib.contextmanager
def write(
    db: sqlite_utils.Database, now: datetime, actor: Actor = SYSTEM, patience_s: float = 120.0
) -> Iterator[Tx]:
    """The one write path: a ``BEGIN IMMEDIATE`` transaction, committed only if the body succeeds."""
    with _queue(db):
        _begin_immediate(db, time.monotonic() + patience_s)
        tx = Tx(db=db, now=now, actor=actor)
        try:
            yield tx
            tx.flush()
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")


@contextlib.contextmanager
def _queue(db) -> Iterator[None]:
    """Writers of every process wait their turn, in arrival order, before BEGIN IMMEDIATE
    (``sync.write_queue``); a connection without a queue file (``:memory:``) goes straight on."""
    queue = getattr(db, "write_queue", None)
    if queue is None:
        yield
        return
    with write_queue.turn(queue):
        yield


@contextlib.contextmanager
def snapshot(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A read transaction: every query inside sees the same committed state."""
    db.conn.execute("BEGIN")
    # A deferred transaction takes its snapshot at the first read, so read now.
    db.conn.execute("SELECT 1 FROM meta LIMIT 1").fetchone()
    try:
        yield db
    finally:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
