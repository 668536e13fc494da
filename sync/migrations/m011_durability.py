"""Migration 11: the durable watermark (docs/sync-protocol.md §7).

* ``durability`` — one row: ``write_seq`` counts the write transactions that acknowledged
  something to a device (a push's ledger rows, a file listed as held), ``durable_seq`` is
  the highest of those known to be on the replica, ``durable_at`` when it was last moved,
  ``restored_at`` when the store was last restored (from a replica or a backup);
* ``devices.unsafe_min`` / ``devices.unsafe_written`` — the lowest mutation id of this
  device acknowledged since its last durable point, and the write number of the latest
  transaction that acknowledged one: together they say, without a scan of the ledger, up to
  which id everything the device was told is on the replica;
* ``devices.restore_floor`` — the device's ``last_mutation_id`` when the store was last
  restored: ids above it that the restored ledger lacks are accepted even if higher ones
  have arrived since (they are the ones the restore lost, sent again);
* ``attachment_owners.written`` — the write number that listed the holder, so a device
  learns when the server can no longer lose its photo.

Everything already in a store when it is migrated counts as durable (write number 0).
"""

import sqlite_utils

from sync.migrations import run_script

VERSION = 11
DESCRIPTION = "durability, devices.unsafe_min/unsafe_written/restore_floor, attachment_owners.written"


def apply(db: sqlite_utils.Database) -> None:
    run_script(db, """
    CREATE TABLE durability (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        write_seq INTEGER NOT NULL,
        durable_seq INTEGER NOT NULL,
        durable_at TEXT,
        restored_at TEXT);
    INSERT INTO durability (id, write_seq, durable_seq) VALUES (1, 0, 0);
    ALTER TABLE devices ADD COLUMN unsafe_min INTEGER;
    ALTER TABLE devices ADD COLUMN unsafe_written INTEGER;
    ALTER TABLE devices ADD COLUMN restore_floor INTEGER;
    ALTER TABLE attachment_owners ADD COLUMN written INTEGER NOT NULL DEFAULT 0;
    """)
