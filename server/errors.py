"""The one error envelope: every 4xx and 5xx answer is ``{"error": {code, message, details?}}``.

Domain errors, HTTP errors (werkzeug, flask-smorest validation) and JWT errors all end
here, so a client needs one parser for all of them.
"""

import logging

from flask import jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from sync.errors import DomainError, TooManyAttempts

log = logging.getLogger("fieldsync")

STATUS_OF_CODE = {
    "bad_request": 400,
    "validation_failed": 422,
    "unauthorized": 401,
    "token_missing": 401,
    "token_invalid": 401,
    "token_expired": 401,
    "token_revoked": 401,
    "forbidden": 403,
    "out_of_scope": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "store_replaced": 409,
    "batch_too_large": 413,
    "request_too_large": 413,
    "unsupported_media_type": 415,
    "attachment_too_large": 413,
    "hash_mismatch": 422,
    "too_many_attempts": 429,
    "internal_error": 500,
}

_CODE_OF_STATUS = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "request_too_large",
    415: "unsupported_media_type", 422: "validation_failed", 429: "too_many_attempts",
}


def error_response(code: str, message: str, details: dict | None = None, status: int | None = None):
    body = {"code": code, "message": message}
    if details:
        body["details"] = details
    response = jsonify({"error": body})
    response.status_code = status or STATUS_OF_CODE.get(code, 400)
    return response


def _flatten_locations(messages: dict) -> dict:
    """webargs nests errors under the request location ("json", "query"); clients want fields."""
    fields = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            fields.update(errors)
        else:
            fields[location] = errors
    return fields


def from_http_exception(error: HTTPException):
    status = error.code or 500
    code = _CODE_OF_STATUS.get(status, "internal_error" if status >= 500 else "bad_request")
    details = None
    data = getattr(error, "data", None) or {}
    if "messages" in data:  # flask-smorest / webargs validation
        details = {"fields": _flatten_locations(data["messages"])}
        message = "Some fields are not valid." if status == 422 else "The request is malformed."
    else:
        message = error.description or error.name
    if isinstance(error, RequestEntityTooLarge):
        from flask import current_app

        details = {"max_request_bytes": current_app.config["MAX_REQUEST_BYTES"]}
        message = "The request body is too large."
    response = error_response(code, message, details, status)
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def from_domain_error(error: DomainError):
    response = error_response(error.code, error.message, error.details)
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def from_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return from_http_exception(error)
    log.exception("unhandled error")
    return error_response("internal_error", "Something went wrong on the server; it has been logged.",
                          status=500)


def register(app) -> None:
    app.register_error_handler(DomainError, from_domain_error)
    app.register_error_handler(HTTPException, from_http_exception)
    app.register_error_handler(Exception, from_unexpected)
