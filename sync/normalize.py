"""Persian text normalisation: match keys kept beside what the user typed.

Nothing here changes stored data: every function returns a *key* derived from
what was typed, so two spellings of the same thing produce the same key.

Layers, each built on the previous one:

* ``fold``: Unicode-level folding (Arabic letters to Persian, digits to ASCII,
  no diacritics/tatweel/ZWNJ/bidi marks, lower case, single spaces).
* ``match_text``: ``fold`` with punctuation turned into spaces and digits split
  from letters, the base for tokens.
* ``homophone``: Persian letters that sound alike mapped to one letter, so
  typing ص for س (a very common spelling mistake) does not change the key.
* ``name_key``: a firm name reduced to its distinctive tokens: legal-form
  words (شرکت, سهامی خاص, ش.س.خ, ...) stripped, branch number (شماره ۲, واحد ۲,
  a trailing 2) taken apart, homophones folded.
* ``park_key``, ``place_key``, ``address_key``: the same idea for industrial
  parks (شهرک صنعتی X / ش.ص X / شهرک X), provinces/cities and addresses.
"""

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz.distance import OSA

# --- Unicode folding -------------------------------------------------------

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def _nonspacing_marks() -> str:
    """A regex class of every combining mark (category Mn), built once at import.

    Scanning the planes that hold marks takes ~20 ms and lets the per-call work be
    one C-level ``re.sub`` instead of a Python loop over characters.
    """
    ranges = []
    start = prev = None
    planes = list(range(0x300, 0x20000)) + list(range(0xE0000, 0xE0200))
    for cp in planes:
        if unicodedata.category(chr(cp)) == "Mn":
            if prev is not None and cp == prev + 1:
                prev = cp
                continue
            if start is not None:
                ranges.append((start, prev))
            start = prev = cp
    if start is not None:
        ranges.append((start, prev))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )


_MARKS = re.compile(f"[{_nonspacing_marks()}]+")

# Letters folded to the Persian letter a Persian keyboard would produce; the
# invisible joiners and bidi controls become a space (ZWNJ separates words) or
# vanish (direction marks carry no text).
_LETTERS = str.maketrans({
    "ي": "ی", "ى": "ی", "ئ": "ی", "ې": "ی", "ۍ": "ی", "ے": "ی",
    "ك": "ک", "ڪ": "ک",
    "ة": "ه", "ۀ": "ه", "ە": "ه", "ھ": "ه",
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ؤ": "و",
    "ـ": None,  # tatweel (kashida): stretching, not a letter
    "\u200c": " ", "\u200d": None, "\u200e": None, "\u200f": None,
    "\u202a": None, "\u202b": None, "\u202c": None, "\u202d": None, "\u202e": None,
    "\u2066": None, "\u2067": None, "\u2068": None, "\u2069": None, "\ufeff": None,
    "\u00ad": None,  # soft hyphen
})

# One pass for the common case: letters, digits, Arabic diacritics (harakat,
# superscript alef, Quranic marks) and invisible marks in a single translate.
_QUICK = dict(_LETTERS)
_QUICK.update(_DIGITS)
_QUICK.update({cp: None for cp in [*range(0x0610, 0x061B), *range(0x064B, 0x0660), 0x0670,
                                   *range(0x06D6, 0x06DD), *range(0x06DF, 0x06E5), 0x06E7,
                                   0x06E8, *range(0x06EA, 0x06EE)]})

# Text made only of these characters (ASCII, plain Persian letters, Persian
# punctuation) is already NFKC-stable: the quick pass is the whole fold.
# Anything else (presentation forms, other scripts) takes the full path.
_UNSAFE = re.compile(r"[^\t\n\r\x20-\x7e\u0621-\u063a\u0641-\u064a\u067e\u0686\u0698"
                     r"\u06a9\u06af\u06cc\u060c\u061b\u061f\u066a-\u066c\u06d4]")


def _text(value) -> str:
    """Any value as text: ``None`` as empty, bytes decoded leniently, others via ``str``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    try:
        return str(value)
    except Exception:  # a hostile __str__ must not break matching
        return ""


def to_ascii_digits(text: str) -> str:
    """Persian and Arabic-Indic digits as ASCII digits; everything else unchanged."""
    return _text(text).translate(_DIGITS)


_NON_DIGITS = re.compile(r"[^0-9]+")


def digits(text) -> str:
    """Only the digits of ``text`` (any script), as ASCII."""
    text = _text(text)
    if not text or (text.isascii() and text.isdigit()):  # most fields: nothing to strip
        return text
    return _NON_DIGITS.sub("", text.translate(_DIGITS))


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    if not text.isascii():
        # lower() can produce decomposable characters; fold them again
        text = unicodedata.normalize("NFKC", text)
    text = _MARKS.sub("", text.translate(_LETTERS)).translate(_DIGITS)
    return " ".join(text.split())


def fold(text) -> str:
    """A search key: Arabic letters folded to Persian, no diacritics, ZWNJ as space, lower case.

    Idempotent: ``fold(fold(x)) == fold(x)`` for every input (a short loop handles
    the rare scripts where one pass of NFKC + mark removal is not yet stable).
    """
    text = _text(text)
    if not text:
        return ""
    quick = text.translate(_QUICK)
    if not _UNSAFE.search(quick):
        return " ".join(quick.lower().split())
    out = _fold_once(text)
    for _ in range(4):
        again = _fold_once(out)
        if again == out:
            break
        out = again
    return out


# --- Tokens ---------------------------------------------------------------

_PUNCT = re.compile(r"[^\w]+|_")
_DIGIT_EDGE = re.compile(r"(?<=\d)(?=[^\d\s])|(?<=[^\d\s])(?=\d)")
_HAS_DIGIT = re.compile(r"\d")


def match_text(text) -> str:
    """``fold`` with punctuation as spaces and digits split from letters ("البرز2" -> "البرز 2")."""
    text = _PUNCT.sub(" ", fold(text))
    if _HAS_DIGIT.search(text):
        text = _DIGIT_EDGE.sub(" ", text)
    return " ".join(text.split())


def tokens(text) -> list[str]:
    """The words of ``match_text``."""
    return match_text(text).split()


def compact(text) -> str:
    """``match_text`` without spaces: بسته‌بندی, بسته بندی and بستهبندی share one key."""
    return match_text(text).replace(" ", "")


# Persian homophones: letters a writer picks between by memory, not by sound.
_HOMOPHONES = str.maketrans({
    "ذ": "ز", "ض": "ز", "ظ": "ز",
    "ص": "س", "ث": "س",
    "ط": "ت",
    "ح": "ه",
    "غ": "ق",
    "ء": None,  # a bare hamza is often dropped or written as ی
})


def homophone(text) -> str:
    """``match_text`` with homophones folded to one letter (ز/ذ/ض/ظ, س/ص/ث, ت/ط, ه/ح, ق/غ)."""
    return _homophone(_text(text))


# Field values repeat a lot (parks, cities, activities): memoising the text
# pipeline per distinct string is the cheapest speed-up of a 100k-record batch.
_CACHE = 1 << 17


# The homophone key in one translate for plain text: letters, digits, marks,
# homophones and common punctuation (to spaces) at once; anything unusual left
# after it sends the text down the general path.
_HQUICK = dict(_QUICK)
_HQUICK.update(_HOMOPHONES)
_HQUICK.update({ord(c): " " for c in ".,،;؛:!?؟()[]{}<>«»\"'`-_/\\|+*=&^%$#@~…٪٫٬۔–—"})
_NOT_PLAIN = re.compile(r"[^\s0-9a-z\u0622-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af"
                        r"\u06cc]")


@lru_cache(maxsize=_CACHE)
def _homophone(text: str) -> str:
    quick = text.translate(_HQUICK).lower()
    if _NOT_PLAIN.search(quick):
        return " ".join(match_text(text).translate(_HOMOPHONES).split())
    if _HAS_DIGIT.search(quick):
        quick = _DIGIT_EDGE.sub(" ", quick)
    return " ".join(quick.split())


def _homophone_token(token: str) -> str:
    return token.translate(_HOMOPHONES)


# --- Firm names -------------------------------------------------------------

def _phrases(*phrases: str) -> dict[str, list[tuple[str, ...]]]:
    """Phrases as homophone token tuples indexed by first word, longest first so longer forms win."""
    keyed = sorted({tuple(homophone(p).split()) for p in phrases} - {()}, key=len, reverse=True)
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in keyed:
        index.setdefault(phrase[0], []).append(phrase)
    return index


# Legal-form and generic words: how a firm is registered, not which firm it is.
LEGAL_FORM_PHRASES = _phrases(
    "سهامی خاص", "سهامی عام", "ش س خ", "ش س ع", "ش.س.خ", "ش.س.ع", "سهامی",
    "با مسئولیت محدود", "با مسئوليت محدود", "با مسولیت محدود", "با مسوولیت محدود",
    "مسئولیت محدود", "مسولیت محدود", "مسوولیت محدود", "ب م م",
    "گروه صنعتی", "گروه صنایع", "گروه تولیدی", "گروه",
    "شرکت", "شرکتهای", "کارخانه", "کارخانجات", "کارگاه", "صنایع", "صنعتی", "تولیدی",
    "تولید", "مجتمع", "تعاونی", "بازرگانی", "موسسه", "هلدینگ", "سهامی", "و", "با", "شرکا",
    # the same written without the ZWNJ or space between the words
    "سهامیخاص", "سهامیعام", "شسخ", "شسع", "بامسئولیتمحدود", "مسئولیتمحدود", "بامسولیتمحدود",
    "مسولیتمحدود", "گروهصنعتی", "شرکتتولیدی", "تولیدیصنعتی", "بامسئولیت محدود", "بامسولیت محدود",
)

_NUMBER_WORDS = {
    "یک": 1, "اول": 1, "دو": 2, "دوم": 2, "سه": 3, "سوم": 3, "چهار": 4, "چهارم": 4,
    "پنج": 5, "پنجم": 5, "شش": 6, "ششم": 6, "هفت": 7, "هفتم": 7, "هشت": 8, "هشتم": 8,
    "نه": 9, "نهم": 9, "ده": 10, "دهم": 10,
}
# Words that introduce a branch/plant number: شماره ۲, واحد ۲, شعبه ۲, فاز ۲, no. 2.
_BRANCH_MARKERS = {_homophone_token(w) for w in ("شماره", "واحد", "شعبه", "فاز", "سایت", "no", "n")}
# A number word ending a name is a plant number too ("کارخانه دو", "X - دو"); "یک", "ده",
# "نه", "شش" and the like also mean other things, so only these.
_TRAILING_NUMBER_WORDS = {_homophone_token(w): v for w, v in (
    ("دو", 2), ("دوم", 2), ("سه", 3), ("سوم", 3), ("چهار", 4), ("چهارم", 4), ("پنج", 5), ("پنجم", 5))}

# Legal-form words long enough that one slip in them ("کارخنه", "تویدی", "متمع") still
# leaves them recognisable and unlike any brand. Not "بازرگانی" (بازرگان is a family
# name) nor short ones (سهام, صنعت are words of names).
_SLIPPABLE_LEGAL_WORDS = tuple(homophone(w) for w in (
    "کارخانه", "کارخانجات", "صنایع", "صنعتی", "تولیدی", "مجتمع", "تعاونی", "سهامی", "مسئولیت",
    "مسولیت"))
_LEGAL_WORDS = {phrase[0] for phrases in LEGAL_FORM_PHRASES.values() for phrase in phrases}


class NameKey(NamedTuple):
    """A firm name reduced for matching."""

    tokens: tuple[str, ...]  # distinctive words, homophone-folded, in typed order
    branch: int | None  # plant/branch number when the name carries one (None: unnumbered)
    legal_form: bool  # whether any legal-form word was present (for explanations only)


def _strip_phrases(words: list[str], phrases) -> tuple[list[str], bool]:
    out, i, found = [], 0, False
    while i < len(words):
        for phrase in phrases.get(words[i], ()):
            n = len(phrase)
            if tuple(words[i:i + n]) == phrase:
                i += n
                found = True
                break
        else:
            out.append(words[i])
            i += 1
    return out, found


def _branch_value(word: str) -> int | None:
    if word.isdigit() and len(word) <= 3:
        return int(word)
    return _NUMBER_WORDS.get(word)


# a marker glued to a number word: one match per word instead of a loop over the markers
_GLUED_MARKERS = "|".join(re.escape(m) for m in sorted(_BRANCH_MARKERS) if len(m) >= 3)
_GLUED_NUMBERS = "|".join(re.escape(w) for w in sorted(_NUMBER_WORDS, key=len, reverse=True))
_GLUED_MARKER = re.compile(f"({_GLUED_MARKERS})({_GLUED_NUMBERS})")


def _unglue_marker(word: str) -> list[str]:
    """"شمارهدو" (the space dropped) as "شماره", "دو"; any other word as itself."""
    glued = _GLUED_MARKER.fullmatch(word)
    return [word] if glued is None else [glued[1], glued[2]]


def _take_branch(words: list[str]) -> tuple[list[str], int | None]:
    """Remove a branch number from a name's words: "X شماره 2", "X واحد دو", "X 2"."""
    words = [part for word in words for part in _unglue_marker(word)]
    for i in range(len(words) - 1):
        if words[i] in _BRANCH_MARKERS:
            value = _branch_value(words[i + 1])
            if value is not None:
                return words[:i] + words[i + 2:], value
    # a trailing small number ("البرز 2", "البرز دو") is a plant number when a name remains
    if len(words) >= 2 and words[-1].isdigit() and len(words[-1]) <= 2:
        return words[:-1], int(words[-1])
    if len(words) >= 2 and words[-1] in _TRAILING_NUMBER_WORDS:
        return words[:-1], _TRAILING_NUMBER_WORDS[words[-1]]
    return words, None


_LIMITED = homophone("محدود")
_LIABILITY = {homophone(w) for w in ("مسئولیت", "مسولیت", "مسوولیت", "بامسئولیت", "بامسولیت")}


def _legal_words(words: list[str]) -> list[str]:
    """Words with slips in legal-form words undone (see ``_legal_word``).

    "محدود" only right after "مسئولیت": alone, one slip away it is "محمود".
    """
    out = [_legal_word(w) for w in words]
    for i in range(1, len(out)):
        if out[i - 1] in _LIABILITY and out[i] != _LIMITED and len(out[i]) >= 4 \
                and OSA.distance(out[i], _LIMITED, score_cutoff=1) <= 1:
            out[i] = _LIMITED
    return out


@lru_cache(maxsize=_CACHE)
def _legal_word(word: str) -> str:
    """The legal-form word ``word`` is one slip away from, or ``word`` itself."""
    if len(word) < 5 or word in _LEGAL_WORDS or word.isdigit():
        return word
    for legal in _SLIPPABLE_LEGAL_WORDS:
        if abs(len(legal) - len(word)) <= 1 and OSA.distance(word, legal, score_cutoff=1) <= 1:
            return legal
    return word


def strip_legal_forms(text) -> str:
    """The homophone-folded name without legal-form words (شرکت, سهامی خاص, ش.س.خ, ...)."""
    words, _ = _strip_phrases(homophone(text).split(), LEGAL_FORM_PHRASES)
    return " ".join(words)


def branch_number(text) -> int | None:
    """The plant/branch number a name carries (…شماره ۲, …2, واحد ۲), or None."""
    return name_key(text).branch


def name_key(text) -> NameKey:
    """A firm name as distinctive tokens + branch number (see ``_name_key``)."""
    return _name_key(_text(text))


@lru_cache(maxsize=_CACHE)
def _name_key(text: str) -> NameKey:
    """A firm name as distinctive tokens + branch number (see module docstring).

    Branch 1 is reported as None: "X شماره ۱" and "X" name the same first plant.
    """
    # legal forms first: "X ۲ با مسئولیت محدود" ends in its branch number once stripped
    words, legal = _strip_phrases(_legal_words(homophone(text).split()), LEGAL_FORM_PHRASES)
    words, branch = _take_branch(words)
    # single letters left over are debris of abbreviations (ش.س.خ split oddly)
    words = [w for w in words if len(w) > 1 or w.isdigit()]
    if not words:  # a name made only of generic words is still a name
        words = [w for w in homophone(text).split() if w]
    if branch == 1:
        branch = None
    return NameKey(tuple(words), branch, legal)


# --- Places --------------------------------------------------------------

_PARK_WORDS = _phrases(
    "شهرک صنعتی", "ش ص", "ش.ص", "شهرک", "ناحیه صنعتی", "منطقه صنعتی", "منطقه ویژه اقتصادی",
    "منطقه ویژه", "پارک صنعتی", "پارک علم و فناوری", "پارک", "ناحیه", "صنعتی", "شهرکهای",
)
_PLACE_WORDS = _phrases("استان", "شهرستان", "شهر", "بخش")  # only in front: قائم شهر keeps شهر


def park_key(text) -> str:
    """An industrial park name without its kind: شهرک صنعتی X, ش.ص X and شهرک X all give "X"."""
    return _park_key(_text(text))


@lru_cache(maxsize=_CACHE)
def _park_key(text: str) -> str:
    words, _ = _strip_phrases(homophone(text).split(), _PARK_WORDS)
    words = [w for w in words if len(w) > 1 or w.isdigit()]
    return "".join(words)


def place_key(text) -> str:
    """A province or city name without استان/شهرستان/شهر, spaces removed."""
    return _place_key(_text(text))


@lru_cache(maxsize=_CACHE)
def _place_key(text: str) -> str:
    words = homophone(text).split()
    while len(words) > 1 and words[0] in _PLACE_WORDS:
        words = words[1:]
    return "".join(words)


_ADDRESS_ABBREVIATIONS = {
    _homophone_token(k): _homophone_token(v)
    for k, v in {
        "خ": "خیابان", "خیا": "خیابان", "پ": "پلاک", "پل": "پلاک", "ک": "کوچه",
        "بل": "بلوار", "بلو": "بلوار", "م": "میدان", "مید": "میدان", "ط": "طبقه",
        "ج": "جاده", "کیلومتر": "کیلومتر", "کم": "کیلومتر",
        "فرعی": "فرعی", "نبش": "نبش",
    }.items()
}
_PLATE_WORDS = {_homophone_token("پلاک"), _homophone_token("قطعه")}


class AddressKey(NamedTuple):
    tokens: tuple[str, ...]  # abbreviations expanded (خ. -> خیابان, پ -> پلاک), homophone-folded
    plate: str  # the number after پلاک/قطعه, "" when none


def address_key(text) -> AddressKey:
    """An address with خ./پ. style abbreviations expanded and its plate number apart."""
    return _address_key(_text(text))


@lru_cache(maxsize=_CACHE)
def _address_key(text: str) -> AddressKey:
    words = [_ADDRESS_ABBREVIATIONS.get(w, w) for w in homophone(text).split()]
    plate = ""
    for i, word in enumerate(words[:-1]):
        if word in _PLATE_WORDS and words[i + 1].isdigit():
            plate = words[i + 1]
    return AddressKey(tuple(words), plate)


# --- Phones ---------------------------------------------------------------

def national_phone(text) -> str:
    """One Iranian phone number in national form ("0" + 10 digits), or "" when unreadable.

    Accepts +98…, 0098…, 98…, 0…, spaces, dashes and parentheses, any digit
    script. A number typed without area code (8 digits) cannot be made national
    here and returns ""; ``identifiers.phone_numbers`` resolves it with a province.
    """
    d = digits(text)
    if d.startswith("0098"):
        d = d[4:]
    elif d.startswith("98") and len(d) in (12, 13):  # +98 21 …, +98 (0)21 …
        d = d[2:]
    if d.startswith("0"):
        d = d[1:]
    if len(d) == 10 and d[0] != "0":
        return "0" + d
    return ""
