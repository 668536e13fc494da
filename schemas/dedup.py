"""The supervisors' queue of possible duplicate units."""

from marshmallow import Schema, fields, validate

from schemas.units import UnitSchema

CANDIDATE_STATUSES = ("pending", "merged", "distinct", "dismissed")


class CandidateQuerySchema(Schema):
    status = fields.String(load_default="pending", validate=validate.OneOf(CANDIDATE_STATUSES))
    province_id = fields.Integer()
    unit_id = fields.String(validate=validate.Length(min=1, max=64),
                            metadata={"description": "Only the pairs this unit is in."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class CandidateSchema(Schema):
    id = fields.Integer()
    unit_a = fields.String()
    unit_b = fields.String()
    score = fields.Float(metadata={"description": "Log-odds that the two records are one unit."})
    verdict = fields.String(metadata={"description": "The engine's verdict when found: merge or review."})
    features = fields.Dict(metadata={"description": "Feature levels, e.g. name: typo, phone: same."})
    reasons = fields.List(fields.String(), metadata={"description": "Weighted terms and hard rules, readable."})
    status = fields.String()
    source = fields.String(metadata={"description": "sync, import, rescan or unmerge."})
    created_at = fields.String()
    updated_at = fields.String()
    decided_by = fields.Integer(allow_none=True)
    decided_at = fields.String(allow_none=True)
    merge_id = fields.Integer(allow_none=True)


class CandidatePageSchema(Schema):
    items = fields.List(fields.Nested(CandidateSchema))
    total = fields.Integer()


class CandidateDetailSchema(CandidateSchema):
    units = fields.List(fields.Nested(UnitSchema), metadata={"description": "unit_a and unit_b, in that order."})
    fields_ = fields.Dict(data_key="fields", metadata={"description": "Per field: same, different or missing."})


class CandidateDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("merge", "distinct", "unmerge", "reopen")),
                             metadata={"description": "merge, distinct (not the same), unmerge a merged pair, or "
                                                      "reopen a pair marked distinct (it waits for a decision again)."})
    winner_id = fields.String(validate=validate.Length(max=64),
                              metadata={"description": "For merge: which unit survives (default: the older)."})
    values = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                         values=fields.String(validate=validate.Length(max=64)),
                         validate=validate.Length(max=20),
                         metadata={"description": "For merge: per field, the id of the unit whose value the merged "
                                                  "unit keeps where the two differ (default: the merge rules)."})


class CandidateDecisionResultSchema(Schema):
    candidate_id = fields.Integer()
    decision = fields.String()
    merge = fields.Dict()
    unmerge = fields.Dict()
