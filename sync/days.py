"""Days as people in Iran mean them: Tehran days, typed in the Jalali or Gregorian calendar.

Times are stored as UTC ISO text; a supervisor's "Saturday" or "1404/12/10" is a day in
Tehran time. The API's query schemas, the console's filters and the statistics all read
days through here, so the same text means the same day everywhere.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import jdatetime

from sync.clock import iso
from sync.normalize import to_ascii_digits

TEHRAN = ZoneInfo("Asia/Tehran")
SATURDAY = 5  # date.weekday() of the first day of the Iranian week (Monday is 0)


def week_start(day: date) -> date:
    """The Saturday that starts ``day``'s week (the calendar's first day for the first week,
    whose Saturday a date cannot hold)."""
    back = (day.weekday() - SATURDAY) % 7
    return day - timedelta(days=back) if day.toordinal() > back else date.min


def parse_day(text) -> date | None:
    """A day typed by a person: Jalali ``1404/12/10`` or Gregorian ``2026-03-01`` (``/``, ``-``
    or ``.`` between the parts, Persian digits welcome); None when blank. Years below 1700
    are Jalali: ``1404-11-21`` means Bahman 1404, not the year 1404 AD, which would silently
    stand for a period six centuries long. Raises ValueError when the text is no day."""
    if text is None or not str(text).strip():
        return None
    parts = to_ascii_digits(str(text).strip()).replace("-", "/").replace(".", "/").split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise ValueError(f"not a day: {text!r}")
    year, month, day = (int(p) for p in parts)
    return jdatetime.date(year, month, day).togregorian() if year < 1700 else date(year, month, day)


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _day_start(day: date) -> str | None:
    try:
        return iso(datetime.combine(day, time(), TEHRAN))
    except OverflowError:  # the first or last days a date can hold: no bound at all
        return None


def day_bounds(start=None, end=None) -> tuple[str | None, str | None]:
    """The UTC instants (stored ISO text) bounding whole Tehran days: from 00:00 on
    ``start`` (included) to 00:00 the day after ``end`` (excluded). None: unbounded."""
    first = _day_start(_day(start)) if start is not None else None
    after = None
    if end is not None and _day(end) < date.max:
        after = _day_start(_day(end) + timedelta(days=1))
    return first, after
