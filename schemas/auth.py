"""Logging in and tokens."""

from marshmallow import Schema, fields, validate


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    device_id = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "The device's own stable id (a UUID it generated)."})
    device_label = fields.String(load_default="", validate=validate.Length(max=120))


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    role = fields.String()
    active = fields.Boolean()
    provinces = fields.List(fields.Integer())
    scope_version = fields.Integer()
    created_at = fields.String()


class RefreshedSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    access_expires_at = fields.String(required=True)
    refresh_expires_at = fields.String(required=True)


class TokensSchema(RefreshedSchema):
    device_id = fields.String()
    user = fields.Nested(UserSchema)
