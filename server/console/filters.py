"""Reading filters and paging from a query string, the same way for pages, exports and the API.

Filters are forgiving: a value that does not parse (a malformed date, a province id that is
not a number) is dropped and reported in ``errors`` so the page can say so, rather than
failing the whole request. Dates are typed in Jalali or Gregorian (see ``sync.days.parse_day``)
and mean whole days in Tehran time.
"""

from dataclasses import dataclass, field

from server.console import i18n
from sync import obstacle_register
from sync.console_queries import UNIT_STATUSES, UnitFilter, VisitFilter  # noqa: F401 - re-exported
from sync.days import day_bounds, parse_day
from sync.field_paths import INT64_MAX
from sync.migrations import REVIEW_STATES

PAGE_SIZES = (25, 50, 100)
TRUE_WORDS = ("1", "on", "true")  # a ticked box, however the link spells it
DEFAULT_PAGE_SIZE = 25


@dataclass
class Parsed:
    filter: object
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    errors: list[str] = field(default_factory=list)
    raw: dict = field(default_factory=dict)   # the values as typed, to refill the form
    sort: str | None = None                   # a column of the list, when it can be sorted
    descending: bool = False

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


# Ids and page numbers the store can look up: a larger one would not fit SQLite's integers.
ID_RANGE = (1, INT64_MAX)
PAGE_RANGE = (1, 10**9)


def read_int(args, name: str, errors: list, bounds: tuple[int, int] = ID_RANGE) -> int | None:
    text = i18n.ascii_digits((args.get(name) or "").strip())
    if not text:
        return None
    try:
        value = int(text) if len(text) <= 20 else None
    except ValueError:
        value = None
    if value is None or not bounds[0] <= value <= bounds[1]:
        errors.append(name)
        return None
    return value


def _choice(args, name: str, allowed, errors: list) -> str | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if value not in allowed:
        errors.append(name)
        return None
    return value


def _paging(args, parsed: Parsed) -> Parsed:
    parsed.page = read_int(args, "page", parsed.errors, PAGE_RANGE) or 1
    per_page = read_int(args, "per_page", parsed.errors, PAGE_RANGE)
    parsed.per_page = per_page if per_page in PAGE_SIZES else DEFAULT_PAGE_SIZE
    return parsed


def visit_filter(args) -> Parsed:
    errors: list[str] = []
    days = {}
    for name in ("date_from", "date_to"):
        try:
            days[name] = parse_day(args.get(name))
        except ValueError:
            errors.append(name)
            days[name] = None
    if days["date_from"] and days["date_to"] and days["date_from"] > days["date_to"]:
        # A period ending before it starts: say so, and filter by its start alone, rather
        # than show an empty queue as if there were no visits.
        errors.append("date_to")
        days["date_to"] = None
    since, until = day_bounds(days["date_from"], days["date_to"])
    template = (args.get("template") or "").strip() or None
    q = (args.get("q") or "").strip() or None
    unit_id = (args.get("unit_id") or "").strip()[:64] or None
    f = VisitFilter(state=_choice(args, "state", REVIEW_STATES, errors),
                    province_id=read_int(args, "province_id", errors), park_id=read_int(args, "park_id", errors),
                    engineer_id=read_int(args, "engineer_id", errors), template=template[:80] if template else None,
                    since=since, until=until, q=q[:200] if q else None, unit_id=unit_id)
    raw = {k: args.get(k, "") for k in ("state", "province_id", "park_id", "engineer_id", "template",
                                        "date_from", "date_to", "q", "unit_id")}
    return _paging(args, Parsed(filter=f, errors=errors, raw=raw))


def unit_filter(args) -> Parsed:
    errors: list[str] = []
    q = (args.get("q") or "").strip() or None
    f = UnitFilter(province_id=read_int(args, "province_id", errors), park_id=read_int(args, "park_id", errors),
                   status=_choice(args, "status", UNIT_STATUSES, errors), q=q[:200] if q else None,
                   include_merged=(args.get("include_merged") or "") in TRUE_WORDS,
                   observed=_choice(args, "observed", (*UNIT_STATUSES, "unknown"), errors),
                   include_review=(args.get("include_review") or "") in TRUE_WORDS)
    raw = {k: args.get(k, "") for k in ("province_id", "park_id", "status", "q", "include_merged", "observed",
                                        "include_review")}
    return _paging(args, Parsed(filter=f, errors=errors, raw=raw))


DAYS_RANGE = (0, 100_000)
CODE_LIMIT = 80


def _code(args, name: str) -> str | None:
    """A taxonomy code typed into a query: any short text (an unknown code simply finds nothing)."""
    value = (args.get(name) or "").strip()
    return value[:CODE_LIMIT] or None


def read_sort(args, parsed: Parsed, allowed, default: str, descending: bool) -> Parsed:
    """``sort`` (one of ``allowed``) and ``dir`` (``asc``/``desc``) of a sortable list; an
    unknown column is reported and the default used."""
    parsed.sort = _choice(args, "sort", allowed, parsed.errors) or default
    direction = _choice(args, "dir", ("asc", "desc"), parsed.errors)
    parsed.descending = descending if direction is None else direction == "desc"
    parsed.raw.update(sort=args.get("sort", ""), dir=args.get("dir", ""))
    return parsed


REGISTER_KEYS = ("province_id", "park_id", "area", "group", "severity", "responsible_body", "status",
                 "min_days", "max_days", "q", "unit_id", "approved")


def register_filter(args) -> Parsed:
    """The obstacle register's filters, sort and paging."""
    errors: list[str] = []
    q = (args.get("q") or "").strip() or None
    f = obstacle_register.RegisterFilter(
        province_id=read_int(args, "province_id", errors), park_id=read_int(args, "park_id", errors),
        area=_code(args, "area"), group=_code(args, "group"), severity=_code(args, "severity"),
        responsible_body=_code(args, "responsible_body"),
        status=_choice(args, "status", obstacle_register.STATUSES, errors),
        min_days=read_int(args, "min_days", errors, DAYS_RANGE),
        max_days=read_int(args, "max_days", errors, DAYS_RANGE),
        q=q[:200] if q else None, unit_id=(args.get("unit_id") or "").strip()[:64] or None,
        approved=(args.get("approved") or "") in TRUE_WORDS)
    if f.min_days is not None and f.max_days is not None and f.min_days > f.max_days:
        errors.append("max_days")
        f.max_days = None
    parsed = Parsed(filter=f, errors=errors, raw={k: args.get(k, "") for k in REGISTER_KEYS})
    return _paging(args, read_sort(args, parsed, obstacle_register.SORTS, "days_open", True))


def query_args(raw: dict, **changes) -> dict:
    """The filter's query string values with some changed (for paging and export links)."""
    merged = {**raw, **changes}
    return {k: v for k, v in merged.items() if v not in (None, "")}
