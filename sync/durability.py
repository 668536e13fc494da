"""The durable watermark: what the server can no longer lose, and telling devices so.

An acknowledgement (a push's answer, a photo's last chunk) is a promise. Without a replica
(``REPLICA_URL`` unset) a commit on this machine's disk (``synchronous=FULL``) is all the
server can promise, and every acknowledgement is durable as soon as it is made. With a
replica, an acknowledgement is durable only once the replica holds the transaction that
made it; until then a device must keep what it sent, so that it can send it again if the
machine is lost and the store comes back from the replica without it
(docs/sync-protocol.md §7).

How the server knows: every write transaction that acknowledges something takes the next
*write number* (``durability.write_seq``). The watermark job (``fieldsync replica watch``,
started by ``fieldsync serve``) reads the highest write number committed, asks Litestream to
put everything committed so far on the replica and wait until it is there, then records that
number as ``durable_seq``. Every acknowledgement with a write number at or below it is on the
replica. A device is told, in each push and pull answer, the highest mutation id up to which
all its acknowledged mutations are durable, with the store id the promise belongs to.

Nothing here imports Flask.
"""

from datetime import datetime

from sync.clock import iso
from sync.store import Tx, store_id, write


def write_number(tx: Tx) -> int:
    """The write number of ``tx``, taken the first time it is asked for (one per transaction)."""
    number = getattr(tx, "_write_number", None)
    if number is None:
        number = tx.execute("UPDATE durability SET write_seq = write_seq + 1 WHERE id = 1"
                            " RETURNING write_seq").fetchone()[0]
        tx._write_number = number
    return number


def durable_seq(db) -> int:
    return db.execute("SELECT durable_seq FROM durability WHERE id = 1").fetchone()[0]


def acknowledged(tx: Tx, device_id: str, mutation_ids: list[int]) -> None:
    """Note that ``tx`` gives the device ledger answers for ``mutation_ids``.

    ``unsafe_min`` is the lowest id acknowledged since the device's last durable point and
    ``unsafe_written`` the write number of the latest such transaction: once the watermark
    reaches that number, every answer the device has had is durable."""
    if not mutation_ids:
        return
    number = write_number(tx)
    row = tx.one("SELECT unsafe_min, unsafe_written FROM devices WHERE id = ?", (device_id,))
    lowest = min(mutation_ids)
    if row["unsafe_written"] is not None and row["unsafe_written"] > durable_seq(tx.db):
        lowest = min(lowest, row["unsafe_min"])  # the earlier ones are not durable yet either
    tx.execute("UPDATE devices SET unsafe_min = ?, unsafe_written = ? WHERE id = ?", (lowest, number, device_id))


def durable_mutation_id(db, device_id: str, replicated: bool) -> int:
    """Every mutation of this device the store acknowledged with an id up to this one is
    durable. Conservative: an id below it may have been acknowledged later than a higher one
    (after a restore), and is then held back with it."""
    row = db.execute("SELECT last_mutation_id, unsafe_min, unsafe_written FROM devices WHERE id = ?",
                     [device_id]).fetchone()
    if row is None:
        return 0
    last, lowest, written = row
    if not replicated or written is None or written <= durable_seq(db):
        return last
    return lowest - 1


def answer(db, device_id: str, replicated: bool) -> dict:
    """What a push or pull answer says of durability: ``{"store_id", "mutation_id"}``."""
    return {"store_id": store_id(db), "mutation_id": durable_mutation_id(db, device_id, replicated)}


def holding_durable(db, sha256: str, user_id: int | None, replicated: bool, storage_durable: bool) -> bool:
    """Can the server no longer lose this user's copy of the file (``user_id`` None: anyone's)?
    Its bytes must be in storage that outlives the machine, and the row saying they hold it
    on the replica. Without a replica, a file held on this machine is as safe as anything
    else here."""
    if not replicated:
        return True
    if not storage_durable:
        return False  # on this machine's disk only: lost with it
    if user_id is None:
        row = db.execute("SELECT min(written) FROM attachment_owners WHERE sha256 = ?", [sha256]).fetchone()
    else:
        row = db.execute("SELECT written FROM attachment_owners WHERE sha256 = ? AND user_id = ?",
                         [sha256, user_id]).fetchone()
    return row is not None and row[0] is not None and row[0] <= durable_seq(db)


def advance(db, now: datetime, replicate) -> dict:
    """Move the watermark: ``replicate()`` must return only once everything committed before
    it was called is on the replica (``litestream sync -wait``), and raise if it is not.
    Writes nothing when there is nothing new; returns the state after."""
    reached, already = db.execute("SELECT write_seq, durable_seq FROM durability WHERE id = 1").fetchone()
    if reached > already:
        replicate()
        with write(db, now) as tx:
            tx.execute("UPDATE durability SET durable_seq = max(durable_seq, ?), durable_at = ? WHERE id = 1",
                       (reached, iso(now)))
    return state(db)


def restored(tx: Tx) -> None:
    """After a restore: what the store now holds came from a replica or a backup, so it is
    durable; and each device may send again what the restore lost (its ids above the floor)."""
    tx.execute("UPDATE durability SET durable_seq = write_seq, durable_at = ?, restored_at = ? WHERE id = 1",
               (tx.at, tx.at))
    # The lowest floor of any restore so far: a mutation that waited (``deferred``) under an
    # earlier restore has no ledger row, and may still be on its way when another comes.
    tx.execute("UPDATE devices SET restore_floor = min(coalesce(restore_floor, last_mutation_id), last_mutation_id),"
               " unsafe_min = NULL, unsafe_written = NULL")


def restored_at(db) -> str | None:
    return db.execute("SELECT restored_at FROM durability WHERE id = 1").fetchone()[0]


def state(db) -> dict:
    write_seq, durable, at = db.execute(
        "SELECT write_seq, durable_seq, durable_at FROM durability WHERE id = 1").fetchone()
    return {"write_seq": write_seq, "durable_seq": durable, "behind": write_seq - durable, "durable_at": at}
