"""Domain errors. Each carries a stable ``code`` that the HTTP layer maps to a status."""


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def as_dict(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return error


class Invalid(DomainError):
    """Input that breaks a rule; ``details['fields']`` maps field names to messages."""

    code = "validation_failed"

    def __init__(self, fields: dict, message: str = "Some fields are not valid."):
        super().__init__(message, {"fields": fields})
        self.fields = fields


class OutOfScope(DomainError):
    """The record belongs to a province outside the caller's scope."""

    code = "out_of_scope"


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    """The request clashes with the current state (a name taken, a merge already undone…)."""

    code = "conflict"


class Unauthorized(DomainError):
    code = "unauthorized"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, {"retry_after_seconds": retry_after})
        self.retry_after = retry_after


class BatchTooLarge(DomainError):
    code = "batch_too_large"


class StoreReplaced(DomainError):
    """A push names a store other than this one: the device has not yet learnt that the
    store was restored, and must pull (reset, send again what the store lacks) first."""

    code = "store_replaced"
