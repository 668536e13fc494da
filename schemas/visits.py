"""Visits as supervisors and the API read them."""

from marshmallow import Schema, fields, validate

from schemas.admin import PageQuerySchema
from schemas.common import LocationSchema
from sync.migrations import REVIEW_STATES


class VisitQuerySchema(PageQuerySchema):
    unit_id = fields.String(validate=validate.Length(max=64))
    review_state = fields.String(validate=validate.OneOf(REVIEW_STATES))
    province_id = fields.Integer()


class VisitSummarySchema(Schema):
    id = fields.String()
    unit_id = fields.String()
    version = fields.Integer()
    review_state = fields.String()
    review_comment = fields.String(allow_none=True)
    reviewed_at = fields.String(allow_none=True)
    seq = fields.Integer()
    engineer_id = fields.Integer()
    province_id = fields.Integer()
    observed_at = fields.String()
    received_at = fields.String()


class VisitPageSchema(Schema):
    items = fields.List(fields.Nested(VisitSummarySchema))
    total = fields.Integer()


class VisitDetailSchema(VisitSummarySchema):
    original_unit_id = fields.String()
    device_id = fields.String()
    template = fields.Dict(allow_none=True)
    location = fields.Nested(LocationSchema, allow_none=True)
    answers = fields.Dict()
    obstacles = fields.List(fields.Dict())
    attachments = fields.List(fields.String())
