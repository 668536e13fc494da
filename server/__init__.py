"""The HTTP side of fieldsync: app factory, blueprints, auth, console and CLI."""

from server.app import create_app

__all__ = ["create_app"]
