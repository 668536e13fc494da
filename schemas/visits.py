"""Visits as supervisors and the API read them, and their review."""

from marshmallow import Schema, fields, validate, validates_schema

from schemas.admin import PageQuerySchema
from schemas.checklists import Day, check_period
from schemas.common import LocationSchema
from sync.migrations import REVIEW_STATES
from sync.review import ACTIONS, MAX_COMMENT


class VisitQuerySchema(PageQuerySchema):
    """The review queue's filters."""

    unit_id = fields.String(validate=validate.Length(max=64))
    review_state = fields.String(validate=validate.OneOf(REVIEW_STATES))
    province_id = fields.Integer()
    park_id = fields.Integer()
    engineer_id = fields.Integer()
    template_code = fields.String(data_key="template", validate=validate.Length(max=64),
                                  metadata={"description": "Template code."})
    observed_from = Day(data_key="from", metadata={
        "description": "Visits made on or after this day (Tehran time): Gregorian 2026-02-10 or Jalali 1404/11/21."})
    observed_to = Day(data_key="to", metadata={
        "description": "Visits made on or before this day (Tehran time); same forms."})

    @validates_schema
    def _ordered(self, data, **kwargs):
        check_period(data, "observed_from", "observed_to", "to")


class TemplateRefOutSchema(Schema):
    code = fields.String()
    version = fields.Integer()


class VisitSummarySchema(Schema):
    id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    park_id = fields.Integer(allow_none=True)
    version = fields.Integer()
    review_state = fields.String()
    review_comment = fields.String(allow_none=True)
    reviewed_at = fields.String(allow_none=True)
    seq = fields.Integer()
    engineer_id = fields.Integer()
    province_id = fields.Integer()
    template_code = fields.String(allow_none=True)
    template_version = fields.Integer(allow_none=True)
    observed_at = fields.String()
    received_at = fields.String()


class VisitPageSchema(Schema):
    items = fields.List(fields.Nested(VisitSummarySchema))
    total = fields.Integer()


class VisitDetailSchema(VisitSummarySchema):
    original_unit_id = fields.String()
    device_id = fields.String()
    observed_at_device = fields.String(metadata={
        "description": "The time the device sent; `observed_at` is the receipt time where the device's clock "
                       "was beyond the tolerance in the future or before 2000."})
    reviewed_by = fields.Integer(allow_none=True)
    template = fields.Nested(TemplateRefOutSchema, allow_none=True)
    location = fields.Nested(LocationSchema, allow_none=True)
    answers = fields.Dict()
    obstacles = fields.List(fields.Dict())
    attachments = fields.List(fields.String())
    photos = fields.List(fields.String(), metadata={"description": "Every file the visit refers to."})
    missing_attachments = fields.List(fields.String(), metadata={
        "description": "Files the visit refers to that have not been uploaded yet."})


class ReviewSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(tuple(ACTIONS)))
    comment = fields.String(allow_none=True, validate=validate.Length(max=MAX_COMMENT),
                            metadata={"description": "Required to reject or return."})


class CommentInSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_COMMENT))


class ThreadEntrySchema(Schema):
    id = fields.Integer()
    at = fields.String()
    kind = fields.String(metadata={"description": "`state` (a state change) or `comment`."})
    action = fields.String(allow_none=True, metadata={
        "description": "submit, revise, approve, reject or return."})
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    version = fields.Integer()
    text = fields.String(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    user_name = fields.String(allow_none=True)
    user_role = fields.String(allow_none=True)


class ThreadSchema(Schema):
    items = fields.List(fields.Nested(ThreadEntrySchema))


class VisitVersionSchema(Schema):
    version = fields.Integer()
    received_at = fields.String()
    observed_at = fields.String()
    device_id = fields.String()
    template = fields.Nested(TemplateRefOutSchema, allow_none=True)
    location = fields.Nested(LocationSchema, allow_none=True)
    answers = fields.Dict()
    obstacles = fields.List(fields.Dict())
    attachments = fields.List(fields.String())


class VisitVersionListSchema(Schema):
    items = fields.List(fields.Nested(VisitVersionSchema))
