"""Small building blocks shared by the schemas."""

from marshmallow import Schema, fields, validate


class Number(fields.Float):
    """A JSON number, never text: ``35`` and ``35.7``, not ``"35"`` (the same rule as checklist
    answers; see docs/sync-protocol.md, "Numbers")."""

    default_error_messages = {"text": "Must be a JSON number, not text: send it without quotes."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            raise self.make_error("text")
        return super()._deserialize(value, attr, data, **kwargs)


class LocationSchema(Schema):
    lat = Number(required=True, validate=validate.Range(-90, 90))
    lon = Number(required=True, validate=validate.Range(-180, 180))


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "Stable machine-readable code."})
    message = fields.String(required=True, metadata={"description": "Human-readable explanation."})
    details = fields.Dict(metadata={"description": "Field errors (under `fields`), limits, etc."})


class ErrorSchema(Schema):
    """The one error envelope of every 4xx and 5xx answer."""

    error = fields.Nested(ErrorBodySchema, required=True)


def text(max_length: int, **kwargs):
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


TIMESTAMP_MAX_LENGTH = 40  # longer text is no time a device writes


class Timestamp(fields.Field):
    """An ISO 8601 time, loaded as an aware UTC datetime (a time without zone is UTC)."""

    default_error_messages = {"invalid": "Not a valid ISO 8601 time.",
                              "calendar": "Not a time a calendar can hold: its UTC instant must lie between "
                                          "0001-01-02 and 9999-12-30."}

    def _deserialize(self, value, attr, data, **kwargs):
        from sync.clock import OutsideCalendar, parse_time

        if not isinstance(value, str) or len(value) > TIMESTAMP_MAX_LENGTH:
            raise self.make_error("invalid")
        try:
            return parse_time(value)
        except OutsideCalendar as error:
            raise self.make_error("calendar") from error
        except ValueError as error:
            raise self.make_error("invalid") from error

    def _serialize(self, value, attr, obj, **kwargs):
        from sync.clock import iso

        return None if value is None else iso(value)


class Prechecked(fields.Nested):
    """A Nested field whose well-formed values skip marshmallow's load.

    ``accepts(value)`` says that the nested schema would load ``value`` into an equal dict
    without a complaint; such a value is copied as it is. A push loads a hundred mutations a
    request, and a nested load costs a fifth of loading one; anything ``accepts`` does not
    vouch for gets the full load, which names each problem. tests/test_schemas_prechecked.py
    holds each ``accepts`` to its schema.
    """

    def __init__(self, nested, accepts, **kwargs):
        super().__init__(nested, **kwargs)
        self.accepts = accepts

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        if self.accepts(value):
            return dict(value)
        return super()._deserialize(value, attr, data, partial=partial, **kwargs)
