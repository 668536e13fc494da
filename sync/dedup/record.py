"""A raw unit record turned into match keys, once, so comparisons never re-normalise.

Records come from devices, spreadsheets and imports: any field may be missing,
empty, of the wrong type or garbage. ``prepare`` never raises; what it cannot
read it leaves empty, and empty fields are simply no evidence.
"""

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from sync.identifiers import legal_id_of_digits, phone_numbers
from sync.normalize import (
    address_key,
    digits,
    fold,
    homophone,
    name_key,
    park_key,
    place_key,
    to_ascii_digits,
)

# A generous box around Iran: coordinates outside it are typing errors or (0, 0).
_LAT_RANGE = (24.0, 40.5)
_LON_RANGE = (43.5, 64.0)

# Titles that come and go in front of a person's name.
_OWNER_TITLES = {homophone(w) for w in (
    "آقای", "اقای", "خانم", "مهندس", "دکتر", "حاج", "حاجی", "سید", "سیده", "مدیرعامل", "جناب",
    "سرکار", "مهندس.", "دکتر.", "اقا",
)}
# Words that say nothing about *which* activity (tolerated on either side).
_ACTIVITY_STOPWORDS = {homophone(w) for w in (
    "تولید", "تولیدی", "ساخت", "انواع", "و", "صنایع", "صنعتی", "قطعات", "مواد", "محصولات",
    "فراوری", "فرآوری", "انجام", "خدمات", "کارخانه", "از",
)}
# Values people type when they mean "unknown".
_NULLS = {fold(w) for w in ("-", "--", "—", "null", "none", "nan", "n/a", "na", "نامشخص", "ندارد",
                            "نامعلوم", "؟", "?", "0", "ثبت نشده", "")}


@dataclass(slots=True)
class Unit:
    """Match keys of one record. ``id`` is the record's id as a string."""

    id: str
    name: tuple[str, ...]  # distinctive name tokens (homophone-folded, legal forms stripped)
    name_compact: str  # tokens joined without spaces, typed order
    name_sorted: str  # tokens sorted, space-joined (word order does not matter)
    branch: int | None
    legal_id: str  # valid 11-digit legal id or ""
    legal_invalid: bool  # something was typed but it is not a valid legal id
    license: str  # digits of the licence number, "" when absent
    phones: frozenset[str]  # last eight digits of every readable phone
    landlines: frozenset[str]
    mobiles: frozenset[str]
    province: str
    city: str
    park: str
    lat: float | None
    lon: float | None
    activity: str  # homophone-folded, stopwords out, sorted tokens
    owner: str  # homophone-folded person name without titles
    owner_family: tuple[str, ...]  # family-name readings: last word, last two words glued
    address: str  # homophone-folded, abbreviations expanded
    plate: str
    # expected units bearing this exact name in this place by chance
    # (``keys.name_commonness``), filled in by whoever holds the index (batch
    # or store); -1: not known
    commonness: float = -1.0


def _value(record: dict, key: str) -> str:
    """A field as text, or "" when missing, empty, a container, or a 'null' word."""
    value = record.get(key)
    if type(value) is not str:
        if value is None or isinstance(value, dict | list | tuple | set | bool):
            return ""
        if isinstance(value, float):
            if not math.isfinite(value):
                return ""
            if value.is_integer():
                value = int(value)  # 10320894878.0 from a spreadsheet is still an id
        value = str(value)
    # "null words" carry no Arabic-variant letters, so strip + lower is enough here
    if len(value) <= 12 and value.strip().lower() in _NULLS:
        return ""
    return value[:500]  # garbage guard: nothing real is that long


_NUMBER = re.compile(r"-?\d+(?:[.٫,]\d+)?")


def _coordinate(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        match = _NUMBER.search(to_ascii_digits(str(value)[:60]))
        if not match:
            return None
        number = float(match.group().replace("٫", ".").replace(",", "."))
    return number if math.isfinite(number) else None


def _position(record) -> tuple[float | None, float | None]:
    """Latitude and longitude inside Iran, swapped back when typed the other way round."""
    if not isinstance(record, dict):
        return None, None
    lat, lon = _coordinate(record.get("lat")), _coordinate(record.get("lon"))
    if lat is None or lon is None:
        return None, None

    def inside(la, lo):
        return _LAT_RANGE[0] <= la <= _LAT_RANGE[1] and _LON_RANGE[0] <= lo <= _LON_RANGE[1]

    if inside(lat, lon):
        return lat, lon
    if inside(lon, lat):
        return lon, lat
    return None, None


@lru_cache(maxsize=1 << 16)
def _owner(text: str) -> str:
    words = [w for w in homophone(text).split() if w not in _OWNER_TITLES and len(w) > 1]
    return " ".join(words)


def _family(owner: str) -> tuple[str, ...]:
    """The family name as one or two words: "حسن زاده" (ZWNJ read as space) is "حسنزاده"."""
    words = owner.split()
    if len(words) >= 2:
        return words[-1], words[-2] + words[-1]
    return tuple(words)


@lru_cache(maxsize=1 << 16)
def _activity(text: str) -> str:
    words = {w for w in homophone(text).split() if w not in _ACTIVITY_STOPWORDS and len(w) > 1}
    return " ".join(sorted(words))


@lru_cache(maxsize=1 << 16)  # a batch names the same few hundred places over and over
def _place(text: str, key) -> str:
    """A province, town or park as a match key; a bare number is a reference id, kept as "#n".

    Exports from other systems give places by number. Which numbering is unknown,
    so a number is only ever compared with another number (``comparable``), never
    with a name: "8" next to "تهران" says nothing either way.
    """
    number = to_ascii_digits(text).strip()
    if number.isascii() and number.isdigit():  # not "²": isdigit, but no int
        return "#" + str(int(number))
    return key(text)


def place_script(key: str) -> str:
    """A place key's kind: a reference id, a Latin name or a Persian one."""
    if key.startswith("#"):
        return "id"
    return "latin" if key.isascii() else "persian"


def comparable(x: str, y: str) -> bool:
    """Whether two place keys can be compared: both known, and both names in one script or both ids.

    "Tehran" and "تهران", or a reference number and a name, are one place written
    two ways as often as two places: neither agreement nor conflict.
    """
    return bool(x and y) and (x == y or place_script(x) == place_script(y))


def _identifier(record) -> str:
    raw = record.get("id") if isinstance(record, dict) else None
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return raw if isinstance(raw, str) else str(raw)


def prepare(record) -> Unit:
    """The match keys of one raw record. Never raises, whatever the record holds."""
    if not isinstance(record, dict):
        record = {}
    name = name_key(_value(record, "name"))
    typed_legal = digits(_value(record, "national_id"))
    valid_legal = legal_id_of_digits(typed_legal)
    province = _value(record, "province")
    phones = phone_numbers(_value(record, "phone"), province)
    lat, lon = _position(record)
    owner = _owner(_value(record, "owner"))
    address = address_key(_value(record, "address"))
    license_no = digits(_value(record, "license_no"))
    return Unit(
        id=_identifier(record),
        name=name.tokens,
        name_compact="".join(name.tokens),
        name_sorted=" ".join(sorted(name.tokens)),
        branch=name.branch,
        legal_id=valid_legal,
        legal_invalid=bool(typed_legal) and not valid_legal,
        license=license_no if len(license_no) >= 3 and set(license_no) != {"0"} else "",
        phones=frozenset(p.local for p in phones),
        landlines=frozenset(p.local for p in phones if p.kind != "mobile"),
        mobiles=frozenset(p.local for p in phones if p.kind == "mobile"),
        province=_place(province, place_key),
        city=_place(_value(record, "city"), place_key),
        park=_place(_value(record, "park"), park_key),
        lat=lat,
        lon=lon,
        activity=_activity(_value(record, "activity")),
        owner=owner,
        owner_family=_family(owner),
        address=" ".join(address.tokens),
        plate=address.plate,
    )
