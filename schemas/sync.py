"""The sync protocol: push batches of mutations, pull pages of changes."""

import re

from marshmallow import INCLUDE, Schema, fields, validate

from schemas.common import TIMESTAMP_MAX_LENGTH, ErrorBodySchema, LocationSchema, Prechecked, Timestamp
from schemas.units import UnitFieldsSchema
from sync.clock import parse_time

MUTATION_TYPES = ("create_unit", "update_unit", "create_visit", "revise_visit")
RESULT_STATUSES = ("applied", "duplicate", "redirected", "conflict", "rejected", "deferred")

MUTATION_ID_MAX = 2**62

_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class MutationEnvelopeSchema(Schema):
    """What every mutation has; the rest depends on ``type`` and is checked per mutation."""

    class Meta:
        unknown = INCLUDE

    mutation_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MUTATION_ID_MAX),
        metadata={"description": "Per-device, strictly increasing id."})
    type = fields.String(required=True, validate=validate.OneOf(MUTATION_TYPES))


def envelope_accepted(value) -> bool:
    """A mutation MutationEnvelopeSchema loads unchanged (see Prechecked)."""
    return (type(value) is dict and type(value.get("mutation_id")) is int
            and 1 <= value["mutation_id"] <= MUTATION_ID_MAX and value.get("type") in MUTATION_TYPES)


class PushRequestSchema(Schema):
    mutations = fields.List(Prechecked(MutationEnvelopeSchema, envelope_accepted), required=True,
                            metadata={"description": "Mutations in the device's local order; by `type`, a "
                                                     "CreateUnitMutation, UpdateUnitMutation, CreateVisitMutation "
                                                     "or ReviseVisitMutation (see components)."})
    store_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64), metadata={
        "description": "The store the device last heard from (`durable.store_id`). When it is no longer the "
                       "server's, the push is refused with 409 `store_replaced` and nothing is written: pull "
                       "first (docs/sync-protocol.md §7)."})


class _MutationBase(Schema):
    mutation_id = fields.Integer(required=True, strict=True)
    type = fields.String(required=True)
    observed_at = Timestamp(required=True, metadata={"description": "When the engineer recorded it (device clock)."})


class CreateUnitSchema(_MutationBase):
    unit_id = _id
    # "fields" would shadow Schema.fields, hence the data_key.
    unit_fields = fields.Dict(required=True, data_key="fields", metadata={
        "description": "Unit fields (see UnitFields); `name` and `province_id` are required.",
        "allOf": [{"$ref": "#/components/schemas/UnitFields"}]})


class UpdateUnitSchema(_MutationBase):
    unit_id = _id
    base_seq = fields.Integer(strict=True, allow_none=True, load_default=None,
                              metadata={"description": "The unit's seq the device last saw."})
    unit_fields = fields.Dict(required=True, data_key="fields", metadata={
        "description": "Only the fields the engineer changed (see UnitFields).",
        "allOf": [{"$ref": "#/components/schemas/UnitFields"}]})


class ObstacleInSchema(Schema):
    area = fields.String(required=True, validate=validate.Length(min=1, max=64))
    group = fields.String(required=True, validate=validate.Length(min=1, max=128))
    severity = fields.String(allow_none=True, validate=validate.Length(max=32))
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    proposed_action = fields.String(allow_none=True, validate=validate.Length(max=4000))
    responsible_body = fields.String(allow_none=True, validate=validate.Length(max=200))
    obstacle_id = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "The obstacle's id (minted on the device); an id recorded before updates that obstacle."})
    resolved = fields.Boolean(load_default=False, metadata={
        "description": "true: the named obstacle was found removed on this visit."})


class TemplateRefSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


def template_ref_accepted(value) -> bool:
    """A template reference TemplateRefSchema loads unchanged (see Prechecked)."""
    return (type(value) is dict and len(value) == 2 and type(value.get("code")) is str
            and 1 <= len(value["code"]) <= 64 and type(value.get("version")) is int and value["version"] >= 1)


_PHOTO_HASH = re.compile(r"^[0-9a-f]{64}$")
MAX_OBSTACLES, MAX_ATTACHMENTS = 200, 100


class _VisitContentSchema(_MutationBase):
    """What a visit records; shared by a new visit and a revision."""

    visit_id = _id
    template = Prechecked(TemplateRefSchema, template_ref_accepted, allow_none=True, load_default=None)
    location = fields.Nested(LocationSchema, allow_none=True, load_default=None)
    answers = fields.Dict(required=True, metadata={
        "description": "Question key → answer, checked against the template version named in `template` "
                       "(types and rules: docs/checklists.md, \"Answers\")."})
    # Each obstacle is an ObstacleIn; it is checked field by field against the taxonomy in
    # force (sync.taxonomy.validate_obstacle), which covers every rule of ObstacleInSchema,
    # so loading does not walk it twice.
    obstacles = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=MAX_OBSTACLES),
                            metadata={"description": "Obstacles found, each an ObstacleIn."})
    attachments = fields.List(fields.String(validate=validate.Regexp(_PHOTO_HASH)),
                              load_default=list, validate=validate.Length(max=MAX_ATTACHMENTS))


class CreateVisitSchema(_VisitContentSchema):
    unit_id = _id


class ReviseVisitSchema(_VisitContentSchema):
    """The engineer's fix of a visit sent back for revision: its full new content."""

    base_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                                  metadata={"description": "The visit version the device was shown."})
    comment = fields.String(allow_none=True, validate=validate.Length(max=4000),
                            metadata={"description": "What was fixed, for the reviewer."})


# Documented as components of the OpenAPI spec (see server/app.py), by these names.
DOCUMENTED = {"CreateUnitMutation": CreateUnitSchema, "UpdateUnitMutation": UpdateUnitSchema,
              "CreateVisitMutation": CreateVisitSchema, "ReviseVisitMutation": ReviseVisitSchema,
              "ObstacleIn": ObstacleInSchema, "UnitFields": UnitFieldsSchema}

_NEW_VISIT_REQUIRED = frozenset(("mutation_id", "type", "observed_at", "visit_id", "unit_id", "answers"))
_NEW_VISIT_KEYS = _NEW_VISIT_REQUIRED | {"template", "location", "obstacles", "attachments"}


def _short_id(value) -> bool:
    return type(value) is str and 1 <= len(value) <= 64


def _coordinate(value, limit: float) -> bool:
    # NaN fails both comparisons, an infinity the second: LocationSchema refuses both.
    return type(value) in (int, float) and -limit <= value <= limit


def new_visit_loaded(value) -> dict | None:
    """What CreateVisitSchema loads from a well-formed new visit, worked out without
    marshmallow's field-by-field load (a tenth of a push's CPU), or None: then the schema
    loads it, and names each problem. Only values the schema would load to this very dict
    pass (tests/test_schemas_prechecked.py holds the two together)."""
    if type(value) is not dict or not _NEW_VISIT_REQUIRED <= value.keys() <= _NEW_VISIT_KEYS:
        return None
    observed, template, location = value["observed_at"], value.get("template"), value.get("location")
    obstacles, attachments = value.get("obstacles", []), value.get("attachments", [])
    if not (type(value["mutation_id"]) is int and type(value["type"]) is str and _short_id(value["visit_id"])
            and _short_id(value["unit_id"]) and type(value["answers"]) is dict
            and type(observed) is str and len(observed) <= TIMESTAMP_MAX_LENGTH
            and (template is None or template_ref_accepted(template))
            and (location is None or (type(location) is dict and location.keys() == {"lat", "lon"}
                                      and _coordinate(location["lat"], 90) and _coordinate(location["lon"], 180)))
            and type(obstacles) is list and len(obstacles) <= MAX_OBSTACLES
            and all(type(o) is dict for o in obstacles)
            and type(attachments) is list and len(attachments) <= MAX_ATTACHMENTS
            and all(type(a) is str and _PHOTO_HASH.match(a) for a in attachments)):
        return None
    try:
        observed = parse_time(observed)
    except ValueError:
        return None
    return {"mutation_id": value["mutation_id"], "type": value["type"], "observed_at": observed,
            "visit_id": value["visit_id"], "template": None if template is None else dict(template),
            "location": None if location is None else {"lat": float(location["lat"]), "lon": float(location["lon"])},
            "answers": dict(value["answers"]), "obstacles": [dict(o) for o in obstacles],
            "attachments": list(attachments), "unit_id": value["unit_id"]}


def load_mutation(raw: dict) -> dict:
    """A mutation loaded by the schema of its type (raises ValidationError); a well-formed new
    visit, the bulk of every push, by :func:`new_visit_loaded`."""
    loaded = new_visit_loaded(raw) if raw["type"] == "create_visit" else None
    return MUTATION_SCHEMAS[raw["type"]].load(raw) if loaded is None else loaded


MUTATION_SCHEMAS = {
    "create_unit": CreateUnitSchema(),
    "update_unit": UpdateUnitSchema(),
    "create_visit": CreateVisitSchema(),
    "revise_visit": ReviseVisitSchema(),
}


class ConflictNoteSchema(Schema):
    conflict_id = fields.Integer()
    field = fields.String()
    yours = fields.Raw(allow_none=True)
    theirs = fields.Raw(allow_none=True)
    kept = fields.String(validate=validate.OneOf(("yours", "theirs")))


class MutationResultSchema(Schema):
    mutation_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(RESULT_STATUSES))
    first_status = fields.String(metadata={"description": "On `duplicate`: the status it had when first applied."})
    unit_id = fields.String(metadata={"description": "The unit the mutation landed on (after redirects)."})
    visit_id = fields.String()
    version = fields.Integer(metadata={"description": "On `revise_visit`: the visit's new version."})
    redirected_from = fields.String(metadata={"description": "The unit id the device named, now merged."})
    conflicts = fields.List(fields.Nested(ConflictNoteSchema))
    dedup = fields.Dict(metadata={"description": "What unit matching did: merged (into whom, why, score) "
                                                 "or review (candidate pair ids queued for a supervisor)."})
    error = fields.Nested(ErrorBodySchema)


class DurableSchema(Schema):
    store_id = fields.String(required=True, metadata={
        "description": "The store this promise is about; it does not cover answers another store gave."})
    mutation_id = fields.Integer(required=True, metadata={
        "description": "Every mutation of this device this store acknowledged, up to this id, can no longer "
                       "be lost: drop what you kept of them (docs/sync-protocol.md §7)."})


# The result keys most mutations are answered with, and their types: a result made of these
# alone is what MutationResultSchema would dump it as.
_PLAIN_RESULT = {"mutation_id": int, "status": str, "first_status": str, "unit_id": str, "visit_id": str,
                 "version": int, "redirected_from": str}


def results_dumped(results: list) -> bool:
    """Would PushResponseSchema dump these results unchanged? Then a push answers them as they
    are, without marshmallow's field-by-field dump (tests/test_schemas_prechecked.py)."""
    return all(type(result) is dict and all(_PLAIN_RESULT.get(key) is type(value) for key, value in result.items())
               for result in results)


class PushResponseSchema(Schema):
    results = fields.List(fields.Nested(MutationResultSchema), required=True)
    durable = fields.Nested(DurableSchema, required=True)
    server_time = fields.String()


class PullQuerySchema(Schema):
    cursor = fields.String(load_default=None, validate=validate.Length(max=512))
    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5000))


class RedirectSchema(Schema):
    from_id = fields.String(data_key="from")
    to_id = fields.String(data_key="to", allow_none=True)


class PullResponseSchema(Schema):
    cursor = fields.String(required=True, metadata={"description": "Opaque; send it back unchanged."})
    has_more = fields.Boolean(required=True)
    reset = fields.Boolean(required=True)
    reset_reason = fields.String(allow_none=True)
    scope = fields.Dict()
    units = fields.List(fields.Dict())
    visits = fields.List(fields.Dict())
    redirects = fields.List(fields.Dict())
    provinces = fields.List(fields.Dict())
    cities = fields.List(fields.Dict())
    parks = fields.List(fields.Dict())
    templates = fields.List(fields.Dict(), metadata={"description": "Published and retired template versions."})
    taxonomy = fields.List(fields.Dict(), metadata={"description": "The obstacle taxonomy in force (one entry)."})
    obstacles = fields.List(fields.Dict(), metadata={"description": "Obstacles of units in scope."})
    durable = fields.Nested(DurableSchema, required=True)
    server_time = fields.String()
