"""Reading request bodies defensively: gzip with a size cap, strict JSON, right content type."""

import io
import json
import zlib

from flask import request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest, UnsupportedMediaType


def _no_duplicate_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def strict_loads(data):
    """JSON that refuses duplicate keys (which parsers resolve differently) and NaN."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")

    def no_constants(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(data, object_pairs_hook=_no_duplicate_keys, parse_constant=no_constants)


class StrictJSONProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def loads(self, s, **kwargs):
        return strict_loads(s)


def parse_json_body():
    """The request's JSON body, or a 4xx saying exactly what is wrong with it."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON with Content-Type: application/json.")
    try:
        return strict_loads(request.get_data(cache=True))
    except UnicodeDecodeError as error:
        raise BadRequest(f"The body is not valid UTF-8 ({error.reason} at byte {error.start}).") from error
    except RecursionError as error:
        raise BadRequest("The JSON body is nested too deeply.") from error
    except ValueError as error:
        raise BadRequest(f"The body is not valid JSON: {error}.") from error


class StrictParser(FlaskParser):
    """webargs parser that reads JSON bodies through :func:`parse_json_body`."""

    def _raw_load_json(self, req):
        if not req.get_data(cache=True) and not req.is_json:
            return super()._raw_load_json(req)
        return parse_json_body()


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

