"""The fieldsync domain: store, write path, push/pull engine, merges and dedup.

Nothing in this package imports Flask: the HTTP layer lives in ``server``.
"""
