"""Persian-aware deduplication of unit records (pure Python, no Flask, no database).

Pipeline, one module per step:

* ``record.prepare``: one raw record (a dict, any field missing or malformed)
  to a ``Unit`` holding its match keys, computed once.
* ``keys.blocking_keys`` / ``keys.query_keys``: the strings a unit is indexed
  under and looked up by; the same functions feed the batch blocks and an
  indexed (key, unit_id) table for incremental matching.
* ``features.features``: discrete, explainable comparison levels of two units.
* ``scoring.score`` / ``scoring.decide``: fitted log-odds weights, two
  thresholds and hard rules giving a ``Decision`` of merge / review / distinct.
* ``cluster.cluster``: guarded agglomeration of merge links, so one weak link
  cannot chain two firms together.
* ``batch.deduplicate``: the whole thing over a list of records.
"""

from sync.dedup.batch import deduplicate
from sync.dedup.features import features
from sync.dedup.keys import blocking_keys, query_keys
from sync.dedup.record import Unit, prepare
from sync.dedup.scoring import Decision, decide, score

__all__ = [
    "Decision", "Unit", "blocking_keys", "decide", "deduplicate", "features", "prepare",
    "query_keys", "score",
]
