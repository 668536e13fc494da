"""Comparison features of two units: discrete, explainable levels.

Every feature is a small set of named levels ("name": "s95", "distance": "d150",
"legal_id": "conflict", ...). Levels, not raw numbers, because each level gets
its own fitted weight (the log-odds it adds), which is what makes a score
explainable to a supervisor: "same phone +3.1, 2 km apart -1.2, ...".

"none" always means "one side does not say": it weighs nothing either way.
"""

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from sync.dedup import geo
from sync.dedup.record import Unit, comparable, prepare

# Level names per feature, in order from most to least alike. The scorer's
# weight table has exactly these keys; tests check the two stay in step.
LEVELS = {
    "name": ("exact", "s95", "s90", "s80", "s70", "low", "none"),
    "name_words": ("all", "subset", "conflict", "none"),
    "name_commonness": ("c0", "c1", "c2", "c3", "none"),
    "name_shared": ("some", "nothing", "none"),
    "branch": ("same", "differ"),
    "legal_id": ("match", "conflict", "one", "none"),
    "license": ("match", "conflict", "none"),
    "phone": ("match", "conflict", "other", "none"),
    "distance": ("d50", "d150", "d300", "d1k", "d5k", "d50k", "far", "none"),
    "province": ("same", "differ", "none"),
    "city": ("same", "differ", "none"),
    "park": ("same", "differ", "none"),
    "activity": ("same", "similar", "differ", "none"),
    "owner": ("same", "family", "differ", "none"),
    "address": ("same", "similar", "differ", "none"),
    "plate": ("match", "conflict", "none"),
}

DISTANCE_LEVELS = ((50, "d50"), (150, "d150"), (300, "d300"), (1000, "d1k"), (5000, "d5k"),
                    (50000, "d50k"))
# Latitudes further apart than this are further apart than the last band on any path
# (a great circle is never shorter than its north-south part): "far" without trigonometry.
# A thousandth to spare, so that float rounding never calls "far" what the haversine would not.
FAR_LATITUDES = geo.degrees_along_meridian(DISTANCE_LEVELS[-1][0]) * 1.001


def _word_match(a: str, b: str) -> bool:
    """Two name words are the same word: equal, or one slip apart in a long enough word.

    A slip is one letter lost, added, changed or two neighbours swapped (OSA
    distance); seven letters and more may carry two. Three-letter words only
    match with two letters swapped ("شقر" for "شرق"): any other change of a
    short word makes another word.
    """
    if a == b:
        return True
    shortest = min(len(a), len(b))
    if shortest < 3:
        return False
    if shortest == 3:
        return len(a) == len(b) and sorted(a) == sorted(b) and OSA.distance(a, b) == 1
    limit = 1 if shortest < 7 else 2
    return OSA.distance(a, b, score_cutoff=limit) <= limit


def _glued_run(word: str, words: list[str]) -> list[str] | None:
    """Neighbouring ``words`` that glued together make ``word`` (at most one slip in 7+ letters).

    One writer types "قطعه‌سازی" or "قطعهسازی", another "قطعه سازی": the same word.
    """
    for i in range(len(words) - 1):
        glued = words[i]
        for j in range(i + 1, len(words)):
            glued += words[j]
            if len(glued) > len(word) + 1:
                break
            if glued == word or (len(word) >= 7 and OSA.distance(glued, word, score_cutoff=1) <= 1):
                return words[i:j + 1]
    return None


_MIN_GLUED_REST = 4  # "کوثرایرانیان" = "کوثر" + "ایرانیان"; not "پارسیان" = "پارس" + "یان"


def _unglue(left: list[str], right: list[str]) -> tuple[list[str], list[str]]:
    """Drop each word of one side that is a run of neighbouring words of the other, and that run.

    Then a word that starts or ends with a word of the other side plus a whole word
    ("کوثرایرانیان" / "کوثر") is that word glued to an extra one: the partner goes,
    the extra word ("ایرانیان") stays as a leftover.
    """
    for one, other in ((left, right), (right, left)):
        if len(other) < 2:
            continue
        for word in list(one):
            run = _glued_run(word, other)
            if run:
                one.remove(word)
                for w in run:
                    other.remove(w)
    for one, other in ((left, right), (right, left)):
        for k, word in enumerate(one):
            for part in other:
                if len(part) < 3 or len(word) - len(part) < _MIN_GLUED_REST:
                    continue
                if word.startswith(part) or word.endswith(part):
                    one[k] = word[len(part):] if word.startswith(part) else word[:-len(part)]
                    other.remove(part)
                    break
    return left, right


# One pair is looked at by ``name_level``, ``name_words`` and ``commonness_level`` in a
# row: keep the last alignment as one immutable (name, name, result) tuple, read and
# replaced in one step (safe across threads), holding the name tuples so that ``is``
# cannot be fooled by a reused id.
_LAST_ALIGNMENT: list = [(object(), object(), ((), ()))]


def leftovers(a: Unit, b: Unit) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The name words of each side that have no partner on the other side.

    Partners: the same word, a word one slip apart, or words written glued on one side
    and apart on the other. Each side's list is in typed order.
    """
    last = _LAST_ALIGNMENT[0]
    if last[0] is a.name and last[1] is b.name:
        return last[2]
    in_a, in_b = set(a.name), set(b.name)
    left = [w for w in a.name if w not in in_b]
    right = [w for w in b.name if w not in in_a]
    if left and right:  # pair up words one typo apart
        paired_left, paired_right = set(), set()
        for i, w in enumerate(left):
            size = len(w)
            for j, v in enumerate(right):
                # at most two slips, so words further apart in length never match
                if -2 <= size - len(v) <= 2 and _word_match(w, v):
                    paired_left.add(i)
                    paired_right.add(j)
        if paired_left:
            left = [w for i, w in enumerate(left) if i not in paired_left]
            right = [v for j, v in enumerate(right) if j not in paired_right]
    if left and right:
        # ungluing only matters when it can leave one side without leftovers: every
        # word of that side then lies inside the other side's words glued together
        glued_left, glued_right = "".join(left), "".join(right)
        if all(w in glued_right for w in left) or all(v in glued_left for v in right):
            left, right = _unglue(left, right)
    result = (tuple(left), tuple(right))  # immutable: the memo hands the same object out again
    _LAST_ALIGNMENT[0] = (a.name, b.name, result)
    return result


def name_words(a: Unit, b: Unit) -> str:
    """Do the two names use the same words? "conflict": each has a word the other lacks.

    A conflict is the signature of two firms sharing a brand ("غذایی مهرام" vs
    "پلاستیک مهرام"); a subset is a word dropped or added by one writer.
    Words written together on one side and apart on the other count as matched.
    """
    if not a.name or not b.name:
        return "none"
    if a.name_sorted == b.name_sorted:
        return "all"
    left, right = leftovers(a, b)
    if left and right:
        glued_left, glued_right = "".join(left), "".join(right)
        if glued_left == glued_right or fuzz.ratio(glued_left, glued_right, score_cutoff=85):
            return "all"
        return "conflict"
    if left or right:
        glued = "".join(left or right)
        other = b.name_compact if left else a.name_compact
        return "all" if glued in other else "subset"
    return "all"


# Below this similarity two names are "low", however far below: scorers may stop there
# (rapidfuzz's score_cutoff answers 0 for anything under it, which reads the same).
_LOWEST_GRADED_NAME = 70


def _similarity(a_compact: str, b_compact: str, a_sorted: str, b_sorted: str) -> float:
    # Indel ratio on typed order and on sorted words; OSA (a swap of two letters
    # is one slip, not two) on typed order
    return max(fuzz.ratio(a_compact, b_compact, score_cutoff=_LOWEST_GRADED_NAME),
               fuzz.ratio(a_sorted, b_sorted, score_cutoff=_LOWEST_GRADED_NAME),
               _osa_similarity(a_compact, b_compact))


def _osa_similarity(x: str, y: str) -> float:
    return 100 * OSA.normalized_similarity(x, y, score_cutoff=_LOWEST_GRADED_NAME / 100)


def _aligned(a: Unit, b: Unit) -> tuple[str, str] | None:
    """Both names glued with their words lined up, or None when each has a word the other lacks.

    The words both names spell alike come first (sorted, so word order does not count),
    then each name's other words in typed order (slips, words glued or apart), without
    the words one name adds ("غذایی" of "غذایی مهرام" against "مهرام").
    """
    left, right = leftovers(a, b)
    if left and right:
        return None
    in_a, in_b = set(a.name), set(b.name)
    shared = "".join(sorted(in_a & in_b))
    rest_a = "".join(w for w in a.name if w not in in_b)
    rest_b = "".join(w for w in b.name if w not in in_a)
    for extra in left:  # a whole word, or the part of a glued word the other name lacks
        rest_a = rest_a.replace(extra, "", 1)
    for extra in right:
        rest_b = rest_b.replace(extra, "", 1)
    return shared + rest_a, shared + rest_b


def _aligned_exact(a: Unit, b: Unit) -> bool:
    aligned = _aligned(a, b)
    return aligned is not None and aligned[0] == aligned[1]


def name_level(a: Unit, b: Unit) -> str:
    """How alike the two names are spelled, over the words they share.

    When one name only adds words to the other ("مهرام" / "غذایی مهرام"), the
    added words are left out here: whether a name may lack a word is ``name_words``'
    question ("subset"), not a spelling difference. Word order and words written
    glued or apart do not count either.
    """
    if not a.name_compact or not b.name_compact:
        return "none"
    if a.name_compact == b.name_compact or a.name_sorted == b.name_sorted:
        return "exact"
    sim = _similarity(a.name_compact, b.name_compact, a.name_sorted, b.name_sorted)
    if sim < 95:
        aligned = _aligned(a, b)
        if aligned:
            x, y = aligned
            if x == y:
                return "exact"
            sim = max(sim, fuzz.ratio(x, y, score_cutoff=_LOWEST_GRADED_NAME), _osa_similarity(x, y))
    if sim >= 95:
        return "s95"
    if sim >= 90:
        return "s90"
    if sim >= 80:
        return "s80"
    if sim >= 70:
        return "s70"
    return "low"


def _identifier(x: str, y: str) -> str:
    if not x or not y:
        return "none"
    return "match" if x == y else "conflict"


def legal_level(a: Unit, b: Unit) -> str:
    if a.legal_id and b.legal_id:
        return "match" if a.legal_id == b.legal_id else "conflict"
    return "one" if a.legal_id or b.legal_id else "none"


def phone_level(a: Unit, b: Unit) -> str:
    """"conflict" only when both give a number of the same kind and none agrees:

    a landline on one record and a mobile on the other is normal, not a conflict.
    """
    if not a.phones or not b.phones:
        return "none"
    if a.phones & b.phones:
        return "match"
    if (a.landlines and b.landlines) or (a.mobiles and b.mobiles):
        return "conflict"
    return "other"


def distance_level(a: Unit, b: Unit) -> str:
    if a.lat is None or b.lat is None:
        return "none"
    if abs(a.lat - b.lat) > FAR_LATITUDES:
        return "far"
    metres = geo.distance_m(a.lat, a.lon, b.lat, b.lon)
    for limit, level in DISTANCE_LEVELS:
        if metres <= limit:
            return level
    return "far"


# Similarity (0-100) from which two place names are one place, two owners one person, and
# the grades of activities and addresses: (same, similar).
PLACE_SAME = 85
OWNER_SAME = 90
ACTIVITY_GRADES = (90, 60)
ADDRESS_GRADES = (90, 70)


def _place(x: str, y: str) -> str:
    if not comparable(x, y):
        return "none"
    if x == y or (x[0] != "#" and fuzz.ratio(x, y, score_cutoff=PLACE_SAME)):
        return "same"
    return "differ"


def _graded(x: str, y: str, same: float, similar: float | None, scorer) -> str:
    if not x or not y:
        return "none"
    # (a scorer may stop below the lowest grade: under it, 0 reads the same as the score)
    sim = scorer(x, y, score_cutoff=same if similar is None else similar)
    if sim >= same:
        return "same"
    if similar is not None and sim >= similar:
        return "similar"
    return "differ"


def owner_level(a: Unit, b: Unit) -> str:
    """Same person, same family name (titles and first names come and go), or another."""
    if not a.owner or not b.owner:
        return "none"
    if a.owner == b.owner or fuzz.token_sort_ratio(a.owner, b.owner, score_cutoff=OWNER_SAME) or fuzz.ratio(
            a.owner.replace(" ", ""), b.owner.replace(" ", ""), score_cutoff=OWNER_SAME):
        return "same"
    if any(_word_match(x, y) for x in a.owner_family for y in b.owner_family):
        return "family"
    return "differ"


def commonness_level(a: Unit, b: Unit) -> str:
    """How likely two firms here bear this exact name by chance (exact names, or names equal
    once lined up: one adding words, words glued or apart).

    Agreeing on a name unique in the country in a small park says much more
    than agreeing on "پارس" in a big town (Fellegi-Sunter frequency
    adjustment). The expected count comes from the index, so the level means
    the same in a 6k batch and against a 100k store.
    """
    if not a.name_sorted or not b.name_sorted:
        return "none"
    if a.name_sorted != b.name_sorted and not _aligned_exact(a, b):
        # (one name adding words to the other: how common is the name they share? the
        # shorter name's figure, the larger of the two)
        return "none"
    expected = max(a.commonness, b.commonness)
    if expected < 0:
        return "none"
    if expected < 0.003:
        return "c0"
    if expected < 0.03:
        return "c1"
    return "c2" if expected < 0.3 else "c3"


def name_shared(a: Unit, b: Unit) -> str:
    """"nothing" when the names share no word: none is equal to a word of the other, or one
    slip from it, or part of one of its glued words. However much else agrees, such a pair
    is never merged on its own (a hard rule): an owner with two factories and one mobile
    number is common.
    """
    if not a.name or not b.name:
        return "none"
    if set(a.name) & set(b.name):
        return "some"
    for x in a.name:
        for y in b.name:
            if min(len(x), len(y)) >= 3 and OSA.distance(x, y, score_cutoff=1) <= 1:
                return "some"
    for words, compact in ((a.name, b.name_compact), (b.name, a.name_compact)):
        if any(len(w) >= 3 and w in compact for w in words):
            return "some"
    return "nothing"


def branch_level(a: Unit, b: Unit) -> str:
    """"differ" when both names carry different plant numbers (none counts as plant 1).

    A record without a name says nothing about the plant.
    """
    if not a.name or not b.name:
        return "same"
    return "same" if a.branch == b.branch else "differ"


def license_level(a: Unit, b: Unit) -> str:
    return _identifier(a.license, b.license)


def province_level(a: Unit, b: Unit) -> str:
    if not comparable(a.province, b.province):
        return "none"
    return "same" if a.province == b.province else "differ"


def city_level(a: Unit, b: Unit) -> str:
    return _place(a.city, b.city)


def park_level(a: Unit, b: Unit) -> str:
    return _place(a.park, b.park)


def activity_level(a: Unit, b: Unit) -> str:
    return _graded(a.activity, b.activity, *ACTIVITY_GRADES, fuzz.token_set_ratio)


def address_level(a: Unit, b: Unit) -> str:
    return _graded(a.address, b.address, *ADDRESS_GRADES, fuzz.token_set_ratio)


def plate_level(a: Unit, b: Unit) -> str:
    return _identifier(a.plate, b.plate)


# Feature name -> level function, in the order reasons are listed. The batch scorer
# looks at them in ``scoring.QUICK_ORDER`` instead (cheap ones first, the name last).
FEATURES = {
    "name": name_level,
    "branch": branch_level,
    "legal_id": legal_level,
    "license": license_level,
    "phone": phone_level,
    "province": province_level,
    "distance": distance_level,
    "plate": plate_level,
    "park": park_level,
    "city": city_level,
    "owner": owner_level,
    "activity": activity_level,
    "address": address_level,
    "name_words": name_words,
    "name_commonness": commonness_level,
    "name_shared": name_shared,
}


def features(a, b) -> dict[str, str]:
    """The comparison levels of two units (raw record dicts or prepared ``Unit``s)."""
    a = a if isinstance(a, Unit) else prepare(a)
    b = b if isinstance(b, Unit) else prepare(b)
    return {name: level(a, b) for name, level in FEATURES.items()}
