"""Migration 15: obstacles are no longer indexed by unit, nor by area and group.

Each new obstacle took an entry at a random place of ``obstacles_unit`` (the unit's id) and
at the tail of its group in ``obstacles_area_group`` (a few hundred groups): a push of 100
visits, 300 obstacles, rewrote about 210 pages of the two, 38% of the pages it wrote
(docs/benchmarks.md, sixth pass). What they served costs little without them:

* the obstacles at a unit are found through the unit's visits (``visits_unit_observed``):
  an obstacle is held at the unit of the visit that opened it (``sync.obstacles.at_unit``);
* a filter by area, group or status reads the table, which the national programme puts at
  about 45,000 obstacles, and the register's count and order read it whole anyway.
"""

import sqlite_utils

from sync.migrations import run_script

VERSION = 15
DESCRIPTION = "drop obstacles_unit and obstacles_area_group"


def apply(db: sqlite_utils.Database) -> None:
    run_script(db, """
    DROP INDEX IF EXISTS obstacles_unit;
    DROP INDEX IF EXISTS obstacles_area_group;
    """)
