"""Dates for people in Iran: stored UTC ISO text shown as Jalali dates in Tehran time.

The store keeps every time as UTC ISO text (``sync.clock.iso``). Supervisors think in the
Jalali calendar and local time, and type Jalali dates into filters, so this module converts
both ways. Gregorian stays available (exports carry both).
"""

from datetime import date, datetime

import jdatetime

from server.console.i18n import localize_digits
from sync.clock import parse_time
from sync.days import TEHRAN


def local(moment: str | datetime | None) -> datetime | None:
    if moment in (None, ""):
        return None
    if isinstance(moment, str):
        moment = parse_time(moment)
    return moment.astimezone(TEHRAN)


def to_jalali(day: date) -> jdatetime.date | None:
    """The Jalali date, or None for a day the Jalali calendar of jdatetime cannot hold
    (before 622 AD or after its year 9377): the store may hold such a time, and a page
    that shows it must still work."""
    try:
        return jdatetime.date.fromgregorian(date=day)
    except (ValueError, OverflowError):
        return None


def jalali_date(moment, lang: str = "fa") -> str:
    """``2026-03-01T06:30:00Z`` → ``۱۴۰۴/۱۲/۱۰`` (the date in Tehran); a day outside the
    Jalali calendar is shown as its Gregorian date."""
    if isinstance(moment, date) and not isinstance(moment, datetime):
        day = moment
    else:
        moment = local(moment)
        if moment is None:
            return ""
        day = moment.date()
    jday = to_jalali(day)
    return localize_digits(jday.strftime("%Y/%m/%d") if jday else day.isoformat(), lang)


def jalali_datetime(moment, lang: str = "fa") -> str:
    """``2026-03-01T06:30:00Z`` → ``۱۴۰۴/۱۲/۱۰ ۱۰:۰۰`` (Tehran time)."""
    moment = local(moment)
    if moment is None:
        return ""
    return f"{jalali_date(moment, lang)} {localize_digits(moment.strftime('%H:%M'), lang)}"


def jalali_month(day: date, lang: str = "fa") -> str:
    """``2026-03-01`` → ``اسفند ۱۴۰۴`` (or ``Esfand 1404``)."""
    jday = to_jalali(day)
    if jday is None:
        return localize_digits(f"{day.year:04d}-{day.month:02d}", lang)
    names = jdatetime.date.j_months_fa if lang == "fa" else jdatetime.date.j_months_en
    return f"{names[jday.month - 1]} {localize_digits(str(jday.year), lang)}"


def gregorian_date(moment) -> str:
    moment = local(moment)
    return moment.date().isoformat() if moment else ""


def local_day(moment) -> date | None:
    moment = local(moment)
    return moment.date() if moment else None


def month_start(day: date) -> date:
    """The Gregorian date on which ``day``'s Jalali month began (its Gregorian month's first
    day outside the Jalali calendar)."""
    jday = to_jalali(day)
    if jday is None:
        return day.replace(day=1)
    return jdatetime.date(jday.year, jday.month, 1).togregorian()


