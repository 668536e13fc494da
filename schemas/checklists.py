"""Templates, the obstacle taxonomy, obstacles, statistics and attachments."""

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.admin import PageQuerySchema
from sync.days import parse_day
from sync.migrations import UNIT_STATUSES
from sync.migrations.m002_checklists import TEMPLATE_STATUSES

_code = fields.String(validate=validate.Length(min=1, max=64))


class TemplateUploadSchema(Schema):
    definition = fields.Dict(required=True, metadata={"description": "The template document (docs/checklists.md)."})
    publish = fields.Boolean(load_default=False,
                             metadata={"description": "Publish at once instead of keeping a draft."})


class TemplateQuerySchema(Schema):
    code = _code
    status = fields.List(fields.String(validate=validate.OneOf(TEMPLATE_STATUSES)),
                         metadata={"description": "Admins only for drafts; default: published."})


class TemplateSummarySchema(Schema):
    code = fields.String()
    version = fields.Integer()
    status = fields.String()
    title = fields.String()
    created_by = fields.Integer(allow_none=True)
    created_at = fields.String()
    published_at = fields.String(allow_none=True)
    retired_at = fields.String(allow_none=True)


class TemplateSchema(TemplateSummarySchema):
    definition = fields.Dict()


class TemplateListSchema(Schema):
    items = fields.List(fields.Nested(TemplateSummarySchema))


class TaxonomyUploadSchema(Schema):
    taxonomy = fields.Dict(required=True, metadata={"description": "The taxonomy document (docs/checklists.md)."})


class TaxonomySchema(Schema):
    version = fields.Integer()
    taxonomy = fields.Dict()
    loaded_at = fields.String()
    loaded_by = fields.Integer(allow_none=True)
    changed = fields.Boolean()


class ObstacleQuerySchema(PageQuerySchema):
    unit_id = fields.String(validate=validate.Length(max=64))
    province_id = fields.Integer()
    park_id = fields.Integer()
    area = _code
    group = fields.String(validate=validate.Length(max=128))
    status = fields.String(validate=validate.OneOf(("open", "resolved")))


class ObstacleSchema(Schema):
    id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    province_id = fields.Integer()
    park_id = fields.Integer(allow_none=True)
    area = fields.String()
    group = fields.String()
    severity = fields.String(allow_none=True)
    description = fields.String()
    proposed_action = fields.String(allow_none=True)
    responsible_body = fields.String(allow_none=True)
    status = fields.String()
    opened_visit_id = fields.String()
    opened_at = fields.String()
    last_visit_id = fields.String()
    resolved_visit_id = fields.String(allow_none=True)
    resolved_at = fields.String(allow_none=True)
    updated_at = fields.String()
    seq = fields.Integer()


class ObstacleRecordSchema(Schema):
    visit_id = fields.String()
    version = fields.Integer()
    observed_at = fields.String()
    review_state = fields.String()
    area = fields.String()
    group = fields.String()
    severity = fields.String(allow_none=True)
    description = fields.String()
    proposed_action = fields.String(allow_none=True)
    responsible_body = fields.String(allow_none=True)
    resolved = fields.Boolean()


class ObstacleDetailSchema(ObstacleSchema):
    records = fields.List(fields.Nested(ObstacleRecordSchema))


class ObstaclePageSchema(Schema):
    items = fields.List(fields.Nested(ObstacleSchema))
    total = fields.Integer()


class StatsQuerySchema(Schema):
    province_id = fields.Integer()
    park_id = fields.Integer()
    approved_only = fields.Boolean(load_default=True, metadata={
        "description": "Count approved visits only (default); false: every visit not rejected."})


class Day(fields.String):
    """A day as people in Iran type it: Gregorian ``2026-02-10`` or Solar Hijri (Jalali)
    ``1404/11/21``, Persian digits welcome (:func:`sync.days.parse_day`)."""

    default_error_messages = {"invalid": "Not a day: write YYYY-MM-DD (Gregorian) or YYYY/MM/DD (Jalali)."}

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        try:
            day = parse_day(value)
        except ValueError as error:
            raise self.make_error("invalid") from error
        if day is None:
            raise self.make_error("invalid")
        return day


def check_period(data: dict, first: str, last: str, last_name: str) -> None:
    """A period whose first day comes after its last is refused (it would answer nothing)."""
    if data.get(first) and data.get(last) and data[first] > data[last]:
        raise ValidationError(f"The period starts ({data[first]}) after it ends ({data[last]}).", last_name)


class PeriodQuerySchema(StatsQuerySchema):
    start = Day(metadata={"description": "First day, included (Tehran time): Gregorian 2026-02-10 or "
                                         "Jalali 1404/11/21."})
    end = Day(metadata={"description": "Last day, included (Tehran time); same forms."})

    @validates_schema
    def _ordered(self, data, **kwargs):
        check_period(data, "start", "end", "end")


class ObstacleStatsQuerySchema(StatsQuerySchema):
    area = _code


class UnitsByStatusSchema(Schema):
    province_id = fields.Integer()
    park_id = fields.Integer(allow_none=True)
    status = fields.String(allow_none=True, validate=validate.OneOf(UNIT_STATUSES))
    units = fields.Integer()


class UnitsByStatusListSchema(Schema):
    items = fields.List(fields.Nested(UnitsByStatusSchema))


class RevivalSchema(Schema):
    unit_id = fields.String()
    unit_name = fields.String()
    province_id = fields.Integer()
    park_id = fields.Integer(allow_none=True)
    visit_id = fields.String()
    revived_at = fields.String()
    from_status = fields.String()
    jobs = fields.Integer()


class RevivalsSchema(Schema):
    items = fields.List(fields.Nested(RevivalSchema))
    units = fields.Integer(metadata={"description": "Distinct units revived in the period."})
    jobs = fields.Integer(metadata={"description": "Jobs brought back in the period."})


class ObstacleCountSchema(Schema):
    area = fields.String()
    group = fields.String()
    open = fields.Integer()
    resolved = fields.Integer()


class ObstacleCountListSchema(Schema):
    items = fields.List(fields.Nested(ObstacleCountSchema))


class WeekCountSchema(Schema):
    week = fields.String(metadata={"description": "The week's Saturday (YYYY-MM-DD)."})
    visits = fields.Integer()


class WeekCountListSchema(Schema):
    items = fields.List(fields.Nested(WeekCountSchema))


class HistoryEntrySchema(Schema):
    visit_id = fields.String()
    observed_at = fields.String()
    review_state = fields.String()
    template = fields.Dict()
    status = fields.String(allow_none=True)
    employees = fields.Integer(allow_none=True)
    capacity_utilisation = fields.Float(allow_none=True)
    revived = fields.Boolean()
    jobs_back = fields.Integer()


class HistoryQuerySchema(Schema):
    approved_only = fields.Boolean(load_default=False, metadata={
        "description": "Only approved visits (default: every visit not rejected)."})


class HistorySchema(Schema):
    unit_id = fields.String()
    items = fields.List(fields.Nested(HistoryEntrySchema))


class ChunkHeadersSchema(Schema):
    content_range = fields.String(data_key="Content-Range", required=True, metadata={
        "description": "`bytes <first>-<last>/<size>` of this chunk."})
    content_digest = fields.String(data_key="Content-Digest", metadata={
        "description": "Optional `sha-256=:<base64>:` of this chunk; a mismatch refuses the chunk."})


class AttachmentStatusSchema(Schema):
    sha256 = fields.String()
    received = fields.Integer(metadata={"description": "Bytes the server has; send from here."})
    size = fields.Integer(allow_none=True)
    complete = fields.Boolean()
    media_type = fields.String(allow_none=True)
    durable = fields.Boolean(metadata={"description": "The server can no longer lose the caller's copy "
                                       "(on the replica and in storage that outlives the machine); "
                                       "until then keep the file (docs/sync-protocol.md §7)."})


class MissingQuerySchema(PageQuerySchema):
    province_id = fields.Integer()
    visit_id = fields.String(validate=validate.Length(max=64))
    unit_id = fields.String(validate=validate.Length(max=64))


class MissingAttachmentSchema(Schema):
    sha256 = fields.String()
    visit_id = fields.String()
    unit_id = fields.String()
    province_id = fields.Integer()
    engineer_id = fields.Integer()
    observed_at = fields.String()
    received_at = fields.String()


class MissingPageSchema(Schema):
    items = fields.List(fields.Nested(MissingAttachmentSchema))
    total = fields.Integer()
