"""The JSON API, one blueprint per concern, all under ``/api/v1``."""


def register_blueprints(api) -> None:
    from server.api import (
        admin,
        attachments,
        auth_routes,
        duplicates,
        health,
        openrosa,
        reference,
        review,
        stats,
        sync_routes,
        templates,
        units,
    )

    for module in (health, auth_routes, sync_routes, units, review, reference, admin, templates, stats,
                   attachments, duplicates, openrosa):
        api.register_blueprint(module.bp)
