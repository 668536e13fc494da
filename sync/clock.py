"""Time, injectable: the app and the engine take a clock so tests never sleep.

A clock is any callable returning an aware UTC ``datetime``.
"""

from datetime import UTC, datetime, timedelta


def system_clock() -> datetime:
    return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to; tests share one with the app."""

    def __init__(self, start: datetime | str = "2026-01-01T08:00:00+00:00"):
        self.now = parse_time(start) if isinstance(start, str) else start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds and a ``Z``: sortable as text, which the store relies on."""
    m = moment.astimezone(UTC)
    # Not strftime: its %Y drops the leading zeros of years below 1000, which sort wrong.
    return (f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
            f".{m.microsecond // 1000:03d}Z")


# The instants a time may name: a day inside each end of the calendar, so that the time can
# be moved to any zone (Tehran's +03:30 included) without leaving what a datetime can hold.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


class OutsideCalendar(ValueError):
    """A well-formed time that lies outside EARLIEST..LATEST."""


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time; a time without zone is taken as UTC. Raises ValueError for
    text that is no time, and for a time outside EARLIEST..LATEST (whose UTC instant, or
    its day in Tehran, a datetime cannot hold)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST <= moment <= LATEST:
        raise OutsideCalendar(f"{text!r} lies outside the years 0001–9999 in UTC")
    return moment
