"""Iranian identifiers: legal national id, national code, postal code, phones."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.identifiers import (
    Phone,
    legal_id,
    legal_id_check_digit,
    legal_id_valid,
    national_code_valid,
    phone_numbers,
    phone_valid,
    postal_code_valid,
)

# 10320894878, worked by hand: (10th digit 7) + 2 = 9 added to each of the first
# ten digits -> 10 9 12 11 9 17 18 13 17 16; weighted 29 27 23 19 17 29 27 23 19 17
# they sum to 3044; 3044 mod 11 = 8, the last digit.
VALID_LEGAL_ID = "10320894878"


def test_known_legal_ids():
    assert legal_id_valid(VALID_LEGAL_ID)
    assert legal_id_valid("۱۰۳۲۰۸۹۴۸۷۸")  # Persian digits
    assert legal_id_valid("1032-0894878")  # typed with a dash
    assert legal_id_valid(10320894878)  # a spreadsheet number
    assert legal_id(" ۱۰۳۲۰۸۹۴۸۷۸ ") == VALID_LEGAL_ID


@pytest.mark.parametrize("value", [
    "10320894877",  # wrong check digit
    "1032089487",  # ten digits
    "103208948780",  # twelve digits
    "00000000000",
    "", None, "abc", [], 3.5,
])
def test_invalid_legal_ids(value):
    assert not legal_id_valid(value)
    assert legal_id(value) == ""


@given(st.text(alphabet="0123456789", min_size=10, max_size=10).filter(lambda d: d != "0" * 10))
def test_exactly_one_check_digit_completes_an_id(head):
    valid = [d for d in "0123456789" if legal_id_valid(head + d)]
    assert valid == [str(legal_id_check_digit(head))]


def test_national_codes():
    # 0499370899: 0*10+4*9+9*8+9*7+3*6+7*5+0*4+8*3+9*2 = 266, 266 mod 11 = 2, 11 - 2 = 9
    assert national_code_valid("0499370899")
    assert national_code_valid("۰۴۹۹۳۷۰۸۹۹")
    assert not national_code_valid("0499370898")
    assert not national_code_valid("1111111111")  # one repeated digit
    assert not national_code_valid("049937089")


def test_postal_codes():
    assert postal_code_valid("1193653471")
    assert postal_code_valid("۱۱۹۳۶-۵۳۴۷۱")
    assert not postal_code_valid("1234567890")  # 2 in the first five digits
    assert not postal_code_valid("119365347")
    assert not postal_code_valid("1111111111")


@pytest.mark.parametrize("typed", ["09121234567", "+98 912 123 4567", "0098-912-1234567",
                                   "021-44556677", "+98 21 44556677", "۰۳۱ ۳۳۴۴ ۵۵۶۶"])
def test_valid_phones(typed):
    assert phone_valid(typed)


@pytest.mark.parametrize("typed", ["44556677", "021-4455667", "0012345678901", "0991", "",
                                   None, "09 12"])
def test_invalid_phones(typed):
    assert not phone_valid(typed)


def test_phone_fields_with_several_numbers_and_no_area_code():
    found = phone_numbers("۰۲۱-۴۴۵۵ ۶۶۷۷ / 0912 123 4567", "تهران")
    assert found == [Phone("02144556677", "landline"), Phone("09121234567", "mobile")]
    # the province gives the area code a landline was typed without
    assert phone_numbers("4455 6677", "استان تهران") == [Phone("02144556677", "landline")]
    # without a province the eight local digits still match the national number
    local = phone_numbers("44556677")
    assert local == [Phone("44556677", "local")]
    assert local[0].local == found[0].local
    assert phone_numbers("021 44556677 09121234567") == found


@given(st.one_of(st.none(), st.text(), st.integers(), st.floats(), st.binary()))
def test_identifier_functions_never_raise(value):
    legal_id_valid(value)
    national_code_valid(value)
    postal_code_valid(value)
    phone_valid(value)
    phone_numbers(value, value if isinstance(value, str) else None)
