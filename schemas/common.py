"""Small building blocks shared by the schemas."""

from marshmallow import Schema, fields, validate


class LocationSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "Stable machine-readable code."})
    message = fields.String(required=True, metadata={"description": "Human-readable explanation."})
    details = fields.Dict(metadata={"description": "Field errors (under `fields`), limits, etc."})


class ErrorSchema(Schema):
    """The one error envelope of every 4xx and 5xx answer."""

    error = fields.Nested(ErrorBodySchema, required=True)


def text(max_length: int, **kwargs):
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


class Timestamp(fields.Field):
    """An ISO 8601 time, loaded as an aware UTC datetime (a time without zone is UTC)."""

    default_error_messages = {"invalid": "Not a valid ISO 8601 time."}

    def _deserialize(self, value, attr, data, **kwargs):
        from sync.clock import parse_time

        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        try:
            return parse_time(value)
        except ValueError as error:
            raise self.make_error("invalid") from error

    def _serialize(self, value, attr, obj, **kwargs):
        from sync.clock import iso

        return None if value is None else iso(value)
