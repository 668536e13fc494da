"""Users, devices, audit and dead letters: the admin's and supervisor's views."""

from marshmallow import Schema, fields, validate

from schemas.auth import UserSchema
from sync.migrations import ROLES


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=8, max=1024))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    full_name = fields.String(load_default="", validate=validate.Length(max=200))
    provinces = fields.List(fields.Integer(strict=True), load_default=list)


class UserUpdateSchema(Schema):
    password = fields.String(validate=validate.Length(min=8, max=1024))
    role = fields.String(validate=validate.OneOf(ROLES))
    full_name = fields.String(validate=validate.Length(max=200))
    provinces = fields.List(fields.Integer(strict=True))
    active = fields.Boolean()


class UserListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))


class DeviceSchema(Schema):
    id = fields.String()
    user_id = fields.Integer()
    label = fields.String()
    registered_at = fields.String()
    last_seen_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)
    last_mutation_id = fields.Integer()


class DeviceListSchema(Schema):
    items = fields.List(fields.Nested(DeviceSchema))


class DeviceQuerySchema(Schema):
    user_id = fields.Integer()


class PageQuerySchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class AuditQuerySchema(PageQuerySchema):
    entity = fields.String(validate=validate.Length(max=40))
    entity_id = fields.String(validate=validate.Length(max=64))
    action = fields.String(validate=validate.Length(max=60))


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.String()
    user_id = fields.Integer(allow_none=True)
    device_id = fields.String(allow_none=True)
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String(allow_none=True)
    details = fields.Dict()


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    total = fields.Integer()


class DeadLetterSchema(Schema):
    id = fields.Integer()
    device_id = fields.String()
    user_id = fields.Integer()
    mutation_id = fields.Integer()
    type = fields.String()
    mutation = fields.Dict()
    error = fields.Dict()
    received_at = fields.String()


class DeadLetterPageSchema(Schema):
    items = fields.List(fields.Nested(DeadLetterSchema))
    total = fields.Integer()
