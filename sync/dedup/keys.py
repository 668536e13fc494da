"""Blocking keys: which stored units are worth comparing with a unit at all.

A unit is *indexed* under ``blocking_keys(unit)`` and *looks up* candidates by
``query_keys(unit)``; the two differ only in the GPS keys (own cell vs the 2x2
block of cells nearest to it). The same functions serve

* batch mode: an in-memory dict key -> [unit index];
* incremental matching: a SQLite table ``(key TEXT, unit_id)`` indexed on key;
  a new unit's candidates are the union of the posting lists of its query keys.

A posting list longer than ``posting_cap(key)`` is skipped as not selective (a
word shared by hundreds of units in a park says nothing), so matching one unit
costs at most (#query keys x cap) comparisons, never O(units). Every key is
prefixed by its kind so kinds never collide.

Kinds (prefix: meaning):
  L:  valid legal national id
  C:  licence number digits
  T:  last eight digits of a phone (area code and +98/0098/0 do not matter)
  D:  the name's tokens sorted and glued, or that string with one letter
      deleted: two names one typo apart always share one (SymSpell-style);
      sorting makes word order irrelevant
  P:  place (park or city: many parks bear their town's name) + one name word
  A:  place + plate number of the address (finds records whose name is missing)
  G:  GPS grid cell + one name word
"""

from collections.abc import Callable, Iterable

from rapidfuzz import fuzz

from sync.dedup import geo
from sync.dedup.record import Unit, comparable, prepare

# Longest posting list still used, per kind. Identifiers are selective by
# nature; name keys get tighter caps because common names are not evidence.
POSTING_CAPS = {"L": 60, "C": 60, "T": 60, "D": 40, "P": 25, "G": 25, "A": 25}
POSTING_CAP = max(POSTING_CAPS.values())
_MAX_NAME_TOKENS = 6
_MIN_DELETE_LENGTH = 5


def posting_cap(key: str) -> int:
    """The longest posting list worth reading for ``key``."""
    return POSTING_CAPS.get(key[:1], POSTING_CAP)


# A pair sharing only one weak key needs a second look before it is scored:
# D alone is "one slip apart somewhere in Iran", P alone "a common word in one
# town". Together, or with any other kind, they make a candidate outright.
WEAK_KINDS = ("D", "P")
WEAK_WORD_SIMILARITY = 60  # P alone: the whole names must be at least this alike,
WEAK_SUBSET_SIMILARITY = 95  # or the words of one all be in the other (token set ratio)


def weak_pair_plausible(kind: str, a: Unit, b: Unit) -> bool:
    """Whether a pair found through one weak key kind alone is worth scoring.

    D alone: not when the two sit in provinces or towns known to differ (the
    same name elsewhere, the commonest false candidate of a big batch). P
    alone: only when the names are alike overall, or one name's words are all in the
    other, not just sharing a word.
    """
    if kind == "D":
        # (inequality first: it is the cheaper test, and most such pairs share their places)
        return not ((a.province != b.province and comparable(a.province, b.province))
                    or (a.city != b.city and comparable(a.city, b.city)))
    return (fuzz.ratio(a.name_sorted, b.name_sorted, score_cutoff=WEAK_WORD_SIMILARITY) > 0
            # or one name is the other plus words ("سبلان صنعت" / "قطعه‌سازی سبلان صنعت نوین")
            or fuzz.token_set_ratio(a.name_sorted, b.name_sorted, score_cutoff=WEAK_SUBSET_SIMILARITY) > 0)


def candidate_ids(unit: Unit, postings: Iterable[tuple[str, Iterable]],
                  other: Callable[[object], Unit], accept: Callable[[object], bool] | None = None,
                  ) -> set:
    """The ids worth scoring against ``unit``, from the posting lists of its query keys.

    ``postings`` yields (key, ids) for every query key found, already without
    over-long lists (see ``posting_cap``); ``other(id)`` gives a stored unit;
    ``accept`` (optional) filters ids, e.g. to look at each batch pair once.
    Any shared key of a strong kind makes a candidate; a pair sharing only D
    or only P keys must pass ``weak_pair_plausible``.
    """
    strong: set = set()
    by_name: set = set()
    by_word: set = set()
    for key, ids in postings:
        kind = key[0]
        (by_name if kind == "D" else by_word if kind == "P" else strong).update(ids)
    found = strong | (by_name & by_word)
    if accept is not None:
        found = {j for j in found if accept(j)}
    for kind, weak in (("D", by_name), ("P", by_word)):
        found.update(j for j in weak - found
                     if (accept is None or accept(j)) and weak_pair_plausible(kind, unit, other(j)))
    return found


def name_words(unit: Unit) -> list[str]:
    """Name words used in keys: words, plus each two adjacent words glued.

    Gluing makes "بسته بندی" also produce "بستهبندی", the spelling with the ZWNJ
    dropped, so the two spellings share a key.
    """
    words = [w for w in unit.name if len(w) >= 2][:_MAX_NAME_TOKENS]
    glued = [a + b for a, b in zip(words, words[1:], strict=False)]
    return list(dict.fromkeys(words + glued))


def deletion_keys(unit: Unit) -> set[str]:
    """The D keys: the sorted glued name and, when long enough, each one-letter deletion of it.

    The deletions are cut from the prefixed key, so each costs one new string.
    """
    key = "D:" + unit.name_sorted.replace(" ", "")
    if len(key) == 2:
        return set()
    if len(key) < 2 + _MIN_DELETE_LENGTH:
        return {key}
    return {key} | {key[:i] + key[i + 1:] for i in range(2, len(key))}


def _unit(record_or_unit) -> Unit:
    return record_or_unit if isinstance(record_or_unit, Unit) else prepare(record_or_unit)


def _common_keys(unit: Unit, words: list[str]) -> list[str]:
    keys = []
    if unit.legal_id:
        keys.append("L:" + unit.legal_id)
    if len(unit.license) >= 4:
        keys.append("C:" + unit.license)
    keys.extend("T:" + p for p in unit.phones)
    keys.extend(deletion_keys(unit))
    for place in {unit.park, unit.city} - {""}:
        keys.extend(f"P:{place}|{w}" for w in words)
        if unit.plate:
            keys.append(f"A:{place}|{unit.plate}")
    return keys


def count_keys(unit: Unit) -> list[str]:
    """Keys only *counted*, never searched: "W:" + each name word, "Z:" + the park (or town).

    How many units use each word of the name, and how many sit in the unit's
    place, say how likely two firms here bear the name by chance
    (``name_commonness``).
    """
    keys = ["W:" + w for w in sorted(set(unit.name))]
    place = unit.park or unit.city
    if place:
        keys.append("Z:" + place)
    return keys


# Word frequencies from a handful of units say nothing (in a store of two units every word
# of the name is "in every unit"): below this many units commonness is unknown.
MIN_UNITS_FOR_COMMONNESS = 500


def name_commonness(word_counts: list[int], place_units: int, total: int) -> float:
    """Expected number of units in the place bearing a name with all these words by chance.

    Each word is taken as drawn independently with its frequency among the
    ``total`` units (``word_counts``); the place holds ``place_units`` (0: no
    place, counted as the whole country). Word frequencies come from every unit,
    so a name's own duplicates barely move them, and the same name is rarer in
    a 45-unit park than in a 700-unit one: the figure means the same in a 6k
    batch and against a 100k store. -1: not known.
    """
    if total < MIN_UNITS_FOR_COMMONNESS or not word_counts:
        return -1.0
    chance = 1.0
    for count in word_counts:
        chance *= max(count, 1) / total
    return (place_units or total) * chance


def commonness_of(unit: Unit, count: Callable[[str], int], total: int) -> float:
    """``name_commonness`` of a unit, reading counts of its ``count_keys`` with ``count``."""
    words = [count("W:" + w) for w in sorted(set(unit.name))]
    place = unit.park or unit.city
    return name_commonness(words, count("Z:" + place) if place else 0, total)


def unit_keys(unit: Unit) -> tuple[list[str], list[str]]:
    """(index keys, query keys) of a prepared unit.

    The two lists share their string objects where they agree (everything but
    the GPS keys), so each key string is hashed once.
    """
    words = name_words(unit)
    common = shared_keys(unit, words)
    return common + own_cell_keys(unit, words), common + near_cell_keys(unit, words)


def shared_keys(unit: Unit, words: list[str] | None = None) -> list[str]:
    """The keys a unit is both indexed under and looked up by (all but the GPS ones)."""
    return _common_keys(unit, name_words(unit) if words is None else words)


def own_cell_keys(unit: Unit, words: list[str] | None = None) -> list[str]:
    """GPS keys a unit is indexed under: its own cell + each name word."""
    if unit.lat is None:
        return []
    own = geo.cell_name(*geo.cell(unit.lat, unit.lon))
    return [f"G:{own}|{w}" for w in (name_words(unit) if words is None else words)]


def near_cell_keys(unit: Unit, words: list[str] | None = None) -> list[str]:
    """GPS keys a unit looks up: the 2 x 2 nearest cells + each name word."""
    if unit.lat is None:
        return []
    words = name_words(unit) if words is None else words
    return [f"G:{c}|{w}" for c in geo.near_cells(unit.lat, unit.lon) for w in words]


def blocking_keys(record_or_unit) -> set[str]:
    """Keys to index a unit under (a raw record dict or a prepared ``Unit``)."""
    return set(unit_keys(_unit(record_or_unit))[0])


def query_keys(record_or_unit) -> set[str]:
    """Keys to look candidates up by: ``blocking_keys`` with GPS widened to 4 cells."""
    return set(unit_keys(_unit(record_or_unit))[1])
