"""The JSON API, one blueprint per concern, all under ``/api/v1``."""


def register_blueprints(api) -> None:
    from server.api import admin, auth_routes, health, reference, review, sync_routes, units

    for module in (health, auth_routes, sync_routes, units, review, reference, admin):
        api.register_blueprint(module.bp)
