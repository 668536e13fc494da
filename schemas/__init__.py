"""Marshmallow schemas shared by the HTTP layer (validation, OpenAPI) and the sync engine."""
