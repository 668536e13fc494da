"""Unit records: the fields a device or a supervisor may set, and the unit as served."""

from marshmallow import Schema, fields, validate

from schemas.common import LocationSchema, text
from sync.migrations import UNIT_STATUSES


class UnitFieldsSchema(Schema):
    """Settable unit fields. On create ``name`` and ``province_id`` are required."""

    name = fields.String(validate=validate.Length(min=1, max=300))
    national_id = text(40, allow_none=True, metadata={"description": "Legal national id (شناسه ملی) as typed."})
    license_no = text(60, allow_none=True)
    province_id = fields.Integer(strict=True)
    city_id = fields.Integer(strict=True, allow_none=True)
    park_id = fields.Integer(strict=True, allow_none=True)
    address = text(1000, allow_none=True)
    phone = text(60, allow_none=True)
    location = fields.Nested(LocationSchema, allow_none=True)
    owner = text(300, allow_none=True)
    activity = text(300, allow_none=True)
    status = fields.String(allow_none=True, validate=validate.OneOf(UNIT_STATUSES))
    employees = fields.Integer(strict=True, allow_none=True, validate=validate.Range(0, 1_000_000))


class UnitSchema(Schema):
    """A unit as the server holds it."""

    id = fields.String()
    name = fields.String()
    national_id = fields.String(allow_none=True)
    national_id_valid = fields.Boolean()
    license_no = fields.String(allow_none=True)
    province_id = fields.Integer()
    city_id = fields.Integer(allow_none=True)
    park_id = fields.Integer(allow_none=True)
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    location = fields.Nested(LocationSchema, allow_none=True)
    owner = fields.String(allow_none=True)
    activity = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    employees = fields.Integer(allow_none=True)
    merged_into = fields.String(allow_none=True)
    seq = fields.Integer(metadata={"description": "Change sequence of the unit's last change."})
    created_at = fields.String()
    updated_at = fields.String()


class UnitQuerySchema(Schema):
    province_id = fields.Integer()
    park_id = fields.Integer()
    status = fields.String(validate=validate.OneOf(UNIT_STATUSES))
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "Search in names."})
    include_merged = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class UnitPageSchema(Schema):
    items = fields.List(fields.Nested(UnitSchema))
    total = fields.Integer()


class MergeRequestSchema(Schema):
    winner_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    loser_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(load_default="supervisor", validate=validate.Length(max=200))


class MergeResultSchema(Schema):
    merge_id = fields.Integer()
    winner_id = fields.String()
    loser_id = fields.String()
    fields_taken = fields.List(fields.String())
    fields_restored = fields.List(fields.String())
    visits_moved = fields.Integer()
    visits_moved_back = fields.Integer()


class ConflictSchema(Schema):
    id = fields.Integer()
    unit_id = fields.String()
    field = fields.String()
    kept_value = fields.Raw(allow_none=True)
    other_value = fields.Raw(allow_none=True)
    kept_observed_at = fields.String(allow_none=True)
    other_observed_at = fields.String(allow_none=True)
    kept_device_id = fields.String(allow_none=True)
    other_device_id = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.String()
    resolved_by = fields.Integer(allow_none=True)
    resolved_at = fields.String(allow_none=True)


class ConflictQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(("open", "confirmed", "flipped")))
    unit_id = fields.String(validate=validate.Length(max=64))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class ConflictPageSchema(Schema):
    items = fields.List(fields.Nested(ConflictSchema))
    total = fields.Integer()


class ConflictDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("confirm", "flip")),
                             metadata={"description": "confirm keeps the winner; flip applies the other value."})
