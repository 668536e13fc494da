"""Persian alphabetical order, for lists people read: provinces, parks, units, engineers.

Unicode puts the four Persian letters (پ چ ژ گ) after every Arabic one and ک/ی in yet
another block, so sorting by code point files «گلستان» after «یزد». :func:`sort_key`
orders by the Persian alphabet instead (آ ا ب پ ت … ک گ ل م ن و ه ی), on the folded text
(``sync.normalize.fold``: Arabic ي and ك are their Persian letters, ZWNJ a space, digits
ASCII), so spellings that fold alike sort together. Digits come before letters, Latin
letters after Persian ones. :func:`register` adds it to a SQLite connection as the
collation ``fa`` (``ORDER BY name COLLATE fa``) for lists paged in SQL.
"""

import sqlite3
from functools import lru_cache

from sync.normalize import fold

ALPHABET = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
_RANK = {letter: 100 + i for i, letter in enumerate(ALPHABET)}
_RANK.update({str(d): 10 + d for d in range(10)})
_RANK[" "] = 1


@lru_cache(maxsize=65536)
def sort_key(text) -> tuple:
    """A key that sorts ``text`` in Persian alphabetical order (None and "" first)."""
    folded = fold(text)
    # Anything not Persian (Latin, punctuation) sorts after the Persian letters by its code point.
    return tuple(_RANK.get(ch, 1000 + ord(ch)) for ch in folded) + (0,) + (str(text or ""),)


def sorted_by(rows, key: str) -> list:
    """``rows`` (dicts) sorted by ``row[key]`` in Persian alphabetical order."""
    return sorted(rows, key=lambda row: sort_key(row.get(key)))


def _compare(a: str, b: str) -> int:
    ka, kb = sort_key(a), sort_key(b)
    return (ka > kb) - (ka < kb)


def register(conn: sqlite3.Connection) -> None:
    conn.create_collation("fa", _compare)
