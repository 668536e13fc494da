"""Reading request bodies defensively: gzip with a size cap, strict JSON, right content type."""

import io
import json
import math
import re
import zlib

from flask import current_app, g, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest, UnsupportedMediaType
from werkzeug.routing import IntegerConverter

from sync.errors import Invalid
from sync.field_paths import INT64_MAX, INT64_MIN

# SQLite stores integers in 64 bits; a larger number cannot name or count anything we keep,
# and binding one raises OverflowError deep in a query (a 500). Refuse it at the door —
# except on routes marked with @numbers_checked_per_item, whose body is a batch of
# independent items: there one such number must cost only the item that carries it.
# A \uD800–\uDFFF escape: JSON allows it, but alone (not in a pair) it is no character and
# cannot be stored as UTF-8. Only bodies that contain one are walked to find it.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _no_duplicate_keys(pairs):
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return obj


# Where a number may not fit a field: an integer of 19 digits or more (up to 18 always fits in
# 64 bits), or an exponent of three digits (a finite mantissa needs one to overflow). A body
# without either needs no check of each number as it is parsed.
_WIDE_NUMBER = re.compile(r"\d{19}|[eE][-+]?\d{3}")


def _int64(text: str) -> int:
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"the number {text[:30]}… does not fit in 64 bits")
    return value


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:30]} is out of range")
    return value


def _no_lone_surrogates(value) -> None:
    pending = [value]
    while pending:  # iterative: the document may be nested as deep as the parser allows
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("a string holds a lone \\uD800–\\uDFFF escape, which is not a character") from None
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def _wide_int(text: str) -> int:
    # Past Python's int-from-text limit, any number beyond 64 bits gets the same answer.
    return int(text) if len(text) <= 40 else INT64_MAX + 1


def strict_loads(data, keep_wide_numbers: bool = False):
    """JSON that refuses duplicate keys (which parsers resolve differently), NaN and infinities,
    integers beyond 64 bits and lone surrogates (neither can be stored). With
    ``keep_wide_numbers`` the numbers are kept (NaN and infinities as floats) for the caller
    to refuse item by item."""
    return strict_loads_noting(data, keep_wide_numbers)[0]


def strict_loads_noting(data, keep_wide_numbers: bool = False) -> tuple:
    """:func:`strict_loads`, and whether any number that no field can hold was kept: when
    none was, the caller need not look for them item by item."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    seen = []

    def no_constants(name):
        raise ValueError(f"{name} is not JSON")

    def kept_constant(name):
        seen.append(name)
        return float(name)

    def kept_int(text):
        value = _wide_int(text)
        if not INT64_MIN <= value <= INT64_MAX:
            seen.append(text)
        return value

    def kept_float(text):
        value = float(text)
        if not math.isfinite(value):
            seen.append(text)
        return value

    if keep_wide_numbers:
        numbers = {"parse_constant": kept_constant, "parse_int": kept_int, "parse_float": kept_float}
    else:
        numbers = {"parse_constant": no_constants, "parse_int": _int64, "parse_float": _finite}
    if not _WIDE_NUMBER.search(data):
        del numbers["parse_int"], numbers["parse_float"]  # every number fits: no call per number
    value = json.loads(data, object_pairs_hook=_no_duplicate_keys, **numbers)
    if _SURROGATE_ESCAPE.search(data):
        _no_lone_surrogates(value)
    return value, bool(seen)


class StrictJSONProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def loads(self, s, **kwargs):
        return strict_loads(s)


def numbers_checked_per_item(view):
    """Mark a view whose body items are checked one by one for numbers no field can hold
    (see :func:`sync.field_paths.unstorable_numbers`), instead of the whole body refused."""
    view.keeps_wide_numbers = True
    return view


def parse_json_body():
    """The request's JSON body, or a 4xx saying exactly what is wrong with it."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON with Content-Type: application/json.")
    view = current_app.view_functions.get(request.endpoint)
    try:
        value, wide = strict_loads_noting(request.get_data(cache=True), getattr(view, "keeps_wide_numbers", False))
        g.wide_numbers_kept = wide  # the view need not look for them item by item when there are none
        return value
    except UnicodeDecodeError as error:
        raise BadRequest(f"The body is not valid UTF-8 ({error.reason} at byte {error.start}).") from error
    except RecursionError as error:
        raise BadRequest("The JSON body is nested too deeply.") from error
    except ValueError as error:
        raise BadRequest(f"The body is not valid JSON: {error}.") from error


class StrictParser(FlaskParser):
    """webargs parser that reads JSON bodies through :func:`parse_json_body`, and refuses
    integers beyond 64 bits from any location (query strings, headers)."""

    def _raw_load_json(self, req):
        if not req.get_data(cache=True) and not req.is_json:
            return super()._raw_load_json(req)
        return parse_json_body()

    def parse(self, *args, **kwargs):
        parsed = super().parse(*args, **kwargs)
        if isinstance(parsed, dict):
            wide = {name: ["Must fit in 64 bits."] for name, value in parsed.items()
                    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX}
            if wide:
                raise Invalid(wide)
        return parsed


class Int64Converter(IntegerConverter):
    """``<int:…>`` in a route, limited to what SQLite can hold: a larger id is a 404, not a 500."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=INT64_MAX, signed=False):
        super().__init__(url_map, fixed_digits, min, max, signed)


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = StrictParser()


class GzipRequestMiddleware:
    """Inflate ``Content-Encoding: gzip`` request bodies, refusing any that grow past the cap.

    Devices on slow links compress their pushes; a small body that inflates to gigabytes
    (a gzip bomb) is cut off at ``max_bytes`` and answered 413.
    """

    def __init__(self, wsgi_app, max_bytes: int):
        self.wsgi_app = wsgi_app
        self.max_bytes = max_bytes

    def __call__(self, environ, start_response):
        if environ.get("HTTP_CONTENT_ENCODING", "").strip().lower() != "gzip":
            return self.wsgi_app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.max_bytes:
            return _error(start_response, 413, "request_too_large", "The request body is too large.",
                          {"max_request_bytes": self.max_bytes})
        raw = environ["wsgi.input"].read(length) if length else environ["wsgi.input"].read(self.max_bytes + 1)
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(raw, self.max_bytes + 1)
        except zlib.error:
            return _error(start_response, 400, "bad_request", "The body is not valid gzip.")
        if len(body) > self.max_bytes or inflater.unconsumed_tail:
            return _error(start_response, 413, "request_too_large",
                          "The request body is too large once decompressed.",
                          {"max_request_bytes": self.max_bytes})
        environ = dict(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        del environ["HTTP_CONTENT_ENCODING"]
        return self.wsgi_app(environ, start_response)


def _error(start_response, status: int, code: str, message: str, details=None):
    reasons = {400: "BAD REQUEST", 413: "REQUEST ENTITY TOO LARGE"}
    error = {"code": code, "message": message}
    if details:
        error["details"] = details
    body = json.dumps({"error": error}).encode()
    start_response(f"{status} {reasons[status]}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]

