"""Migration 7: edits that named a merged unit, kept so that an unmerge gives them back.

An engineer whose phone still knows unit L edits it after L was merged into W: the edit
lands on W (the push answers ``redirected``). If a supervisor then undoes the merge, the
edit was about L: L must get it, and W must lose it unless W's field changed since. Each
such edit is kept here with what it replaced on the unit it landed on.
"""

import sqlite_utils

from sync.migrations import run_script

VERSION = 7
DESCRIPTION = "redirected_edits: unit edits that named a merged unit"


def apply(db: sqlite_utils.Database) -> None:
    run_script(db, """
    CREATE TABLE redirected_edits (
        id INTEGER PRIMARY KEY,
        named_unit_id TEXT NOT NULL REFERENCES units(id),  -- the unit the engineer's edit named
        unit_id TEXT NOT NULL REFERENCES units(id),        -- the unit holding it now (follows unmerges)
        field TEXT NOT NULL,
        value TEXT,                                        -- JSON, as applied
        stamp TEXT NOT NULL,                               -- JSON field stamp: observed time, device, user
        applied_seq INTEGER,                               -- seq that wrote it on unit_id; NULL: it lost there
        previous_value TEXT,                               -- JSON: unit_id's value before it
        previous_meta TEXT);                               -- JSON: that value's stamp
    CREATE INDEX redirected_edits_unit ON redirected_edits(unit_id, named_unit_id);
    """)
