"""The supervisor web console (issue 5): server-rendered Persian, right-to-left pages at /console.

``init_app(app)`` registers the console blueprint, its session-cookie settings and the export
endpoints of the JSON API. Pages live in the ``pages_*`` modules, one per concern; the
plumbing (login, access rules, CSRF, headers, error pages) is in :mod:`server.console.web`.
"""

import importlib
from datetime import timedelta

# Importing a pages module registers its views on the blueprint.
PAGE_MODULES = ("template_helpers", "pages_auth", "pages_units", "pages_admin", "pages_review", "pages_dashboard",
                "pages_exports", "pages_duplicates", "pages_collect", "pages_obstacles", "pages_saved", "pages_map",
                "pages_photos")


def init_app(app) -> None:
    from server.console import api_exports
    from server.console.web import bp

    for name in PAGE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    app.config.update(
        SESSION_COOKIE_NAME="fieldsync_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(app.config["CONSOLE_SECURE_COOKIE"]),
        # The API never reads the session: keep the cookie off its requests.
        SESSION_COOKIE_PATH="/console",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=app.config["CONSOLE_SESSION_HOURS"]),
    )
    if "console" not in app.blueprints:
        app.register_blueprint(bp)
    app.extensions["fieldsync_api"].register_blueprint(api_exports.bp)
