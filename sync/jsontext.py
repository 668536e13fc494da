"""JSON text for what the store keeps and hashes, written by orjson.

A push writes, for every visit, its body's hash, its stored content, its ledger answer and an
audit row: with the standard library that was a tenth of the server's time per visit (a
sampling profile of a gunicorn worker), with orjson about a twentieth. orjson refuses what
the standard library would write differently (an integer beyond 64 bits, a non-text key);
such a value gets the standard library's text, so nothing that could be stored before is
refused now.

Texts written before orjson (spaced separators, escapes as the standard library chose them)
stay as they were: they are read back as JSON, and the two places that compare stored text
with new text (the ledger's body hash, a visit resent under another mutation id) also try
the old form (see :mod:`sync.push` and :mod:`sync.checklists`).
"""

import json

import orjson

# str() for what JSON has no type for (a datetime in audit details): what default=str gave.
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value, sort_keys: bool = False) -> str:
    """Compact JSON text of ``value``, Persian kept as it is (not ``\\u`` escaped)."""
    return canonical(value, sort_keys).decode()


def canonical(value, sort_keys: bool = True) -> bytes:
    """UTF-8 JSON of ``value``: compact, keys sorted unless told otherwise. Equal values give
    equal bytes, so it serves as a fingerprint. NaN and infinities are written ``null`` by
    orjson: callers hash them only where they cannot occur (see sync.push)."""
    try:
        return orjson.dumps(value, default=str, option=_PASSTHROUGH | (orjson.OPT_SORT_KEYS if sort_keys else 0))
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"),
                          default=str).encode()
