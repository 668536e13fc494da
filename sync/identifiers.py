"""Iranian identifiers: validation of legal national ids, national codes, postal codes, phones.

Callers keep what was typed; these functions only say whether a value is a
well-formed identifier. An invalid identifier is flagged and ignored as match
evidence (a mistyped legal id must neither merge nor separate two records).
"""

import re
from typing import NamedTuple

from sync.normalize import digits, national_phone, place_key

_LEGAL_ID_WEIGHTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)


def legal_id_valid(value) -> bool:
    """True when ``value`` is an 11-digit legal national id (شناسه ملی) with a right check digit.

    Check digit: add (10th digit + 2) to each of the first ten digits, weight them
    29, 27, 23, 19, 17, 29, 27, 23, 19, 17, take the sum mod 11 (10 counts as 0).
    """
    return _legal_digits_valid(digits(value))


def _legal_digits_valid(d: str) -> bool:
    if len(d) != 11 or d == "0" * 11:
        return False
    return legal_id_check_digit(d[:10]) == int(d[10])


def legal_id_check_digit(first_ten: str) -> int:
    """The check digit completing ten digits into a legal national id."""
    bump = int(first_ten[9]) + 2
    total = sum((int(c) + bump) * w for c, w in zip(first_ten, _LEGAL_ID_WEIGHTS, strict=True))
    check = total % 11
    return 0 if check == 10 else check


def legal_id(value) -> str:
    """The legal national id as 11 ASCII digits when valid, else ""."""
    return legal_id_of_digits(digits(value))


def legal_id_of_digits(typed: str) -> str:
    """``legal_id`` of a value already reduced to its digits (``normalize.digits``)."""
    return typed if _legal_digits_valid(typed) else ""


def national_code_check_digit(first_nine: str) -> int:
    """The check digit completing nine digits into a national code (کد ملی)."""
    total = sum(int(c) * (10 - i) for i, c in enumerate(first_nine)) % 11
    return total if total < 2 else 11 - total


def national_code_valid(value) -> bool:
    """True for a 10-digit national code (کد ملی) with a right check digit.

    Sum of the first nine digits weighted 10..2, mod 11: below 2 the check digit
    equals it, otherwise it is 11 minus it. Codes of one repeated digit are void.
    """
    d = digits(value)
    if len(d) != 10 or len(set(d)) == 1:
        return False
    return national_code_check_digit(d[:9]) == int(d[9])


def postal_code_valid(value) -> bool:
    """True for a 10-digit Iranian postal code.

    The national post plan never uses 0 or 2 in the first five digits, nor 5 as
    the fifth, nor 2 anywhere in the last five; a code of one repeated digit is void.
    """
    d = digits(value)
    if len(d) != 10 or len(set(d)) == 1:
        return False
    head, tail = d[:5], d[5:]
    return not (set(head) & {"0", "2"}) and head[4] != "5" and "2" not in tail


# --- Phones ------------------------------------------------------------------

# Landline area codes (without the leading 0) by province, keyed by ``place_key``.
PROVINCE_AREA_CODES = {
    place_key(name): code
    for name, code in {
        "تهران": "21", "البرز": "26", "قم": "25", "مرکزی": "86", "قزوین": "28", "گیلان": "13",
        "مازندران": "11", "گلستان": "17", "سمنان": "23", "خراسان رضوی": "51",
        "خراسان شمالی": "58", "خراسان جنوبی": "56", "اصفهان": "31", "یزد": "35", "فارس": "71",
        "کرمان": "34", "هرمزگان": "76", "بوشهر": "77", "خوزستان": "61",
        "کهگیلویه و بویراحمد": "74", "چهارمحال و بختیاری": "38", "لرستان": "66", "ایلام": "84",
        "کرمانشاه": "83", "همدان": "81", "کردستان": "87", "زنجان": "24",
        "آذربایجان شرقی": "41", "آذربایجان غربی": "44", "اردبیل": "45",
        "سیستان و بلوچستان": "54",
    }.items()
}
AREA_CODES = frozenset(PROVINCE_AREA_CODES.values())


class Phone(NamedTuple):
    number: str  # national form "0XXXXXXXXXX", or the 8 local digits when no area code is known
    kind: str  # "mobile", "landline" or "local" (8 digits, area code unknown)

    @property
    def local(self) -> str:
        """The last eight digits: what survives when the area code was left off."""
        return self.number[-8:]


def phone_kind(number: str) -> str:
    """"mobile", "landline" or "" for a national-form number ("0" + 10 digits)."""
    if len(number) != 11 or not number.isdigit() or number[0] != "0":
        return ""
    if number[1] == "9":
        return "mobile"
    if number[1:3] in AREA_CODES and number[3] not in "01":
        return "landline"
    return ""


def phone_valid(value) -> bool:
    """True for one Iranian mobile (09…) or landline (0 + area code + 8 digits) number.

    +98, 0098 and 0 prefixes, spaces and dashes are accepted.
    """
    return bool(phone_kind(national_phone(value)))


# Between two numbers in one field: anything but digits, spaces, dashes, dots,
# parentheses and "+" ("021-1234 5678 / 0912…", "… و …", "تلفن: … فکس: …",
# "… داخلی ۲۳"), or a dash set off by spaces.
_PHONE_SEPARATORS = re.compile(r"[^0-9۰-۹٠-٩\s\-+().]+|\s-\s")


def phone_numbers(value, province=None) -> list[Phone]:
    """Every readable phone number in a field, in national form.

    A landline typed without its area code (8 digits) is completed from the
    province when known; otherwise it is kept as a "local" number that still
    matches any national number with the same last eight digits.
    """
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if not text:
        return []
    area = PROVINCE_AREA_CODES.get(place_key(province), "") if province else ""
    found: list[Phone] = []
    for chunk in _PHONE_SEPARATORS.split(text):
        number = digits(chunk)
        if not number:
            continue
        parts = _split_numbers(chunk) if len(number) > 13 else [number]
        for part in parts:
            phone = _one_phone(part, area)
            if phone and phone not in found:
                found.append(phone)
    return found


def _split_numbers(chunk: str) -> list[str]:
    """Numbers typed one after another with only spaces between ("021 4455 6677 0912 …").

    Digit groups are glued until they make a whole number, then a new one starts.
    """
    numbers, current = [], ""
    for group in filter(None, (digits(p) for p in chunk.split())):
        if current and (phone_kind(national_phone(current)) or len(current + group) > 13):
            numbers.append(current)
            current = ""
        current += group
    return [*numbers, current] if current else numbers


def _one_phone(number: str, area: str) -> Phone | None:
    """One number from its digits alone."""
    national = national_phone(number)
    kind = phone_kind(national)
    if kind:
        return Phone(national, kind)
    if len(number) == 8 and number[0] not in "01":
        if area:
            return Phone("0" + area + number, "landline")
        return Phone(number, "local")
    return None
