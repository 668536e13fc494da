"""The HTTP side of fieldsync: app factory, blueprints, auth, console and CLI."""

__all__ = ["create_app"]


def __getattr__(name):
    # Imported on first use, not with the package: a command that needs no app (``dedup``)
    # then starts without loading every blueprint and schema.
    if name == "create_app":
        from server.app import create_app

        return create_app
    raise AttributeError(f"module 'server' has no attribute {name!r}")
