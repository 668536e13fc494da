"""Provinces, cities, parks."""

from marshmallow import Schema, fields


class ProvinceSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    name_en = fields.String(allow_none=True)


class CitySchema(ProvinceSchema):
    province_id = fields.Integer()


class ParkSchema(CitySchema):
    city_id = fields.Integer(allow_none=True)
    kind = fields.String()


class ProvinceListSchema(Schema):
    items = fields.List(fields.Nested(ProvinceSchema))


class CityListSchema(Schema):
    items = fields.List(fields.Nested(CitySchema))


class ParkListSchema(Schema):
    items = fields.List(fields.Nested(ParkSchema))


class ParkQuerySchema(Schema):
    province_id = fields.Integer()
