"""Stored times are UTC ISO text that sorts as the times do: the store compares them as text."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from sync.clock import iso, parse_time

moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                       timezones=st.sampled_from([UTC, timezone(timedelta(hours=3, minutes=30))]))


@given(moments, moments)
def test_iso_text_sorts_as_the_times_do(a, b):
    a, b = a.replace(microsecond=a.microsecond // 1000 * 1000), b.replace(microsecond=b.microsecond // 1000 * 1000)
    assert (iso(a) < iso(b)) == (a < b) and (iso(a) == iso(b)) == (a == b)
    assert parse_time(iso(a)) == a
