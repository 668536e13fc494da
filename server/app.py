"""The application factory."""

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from flask_compress import Compress
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

from schemas.common import ErrorSchema
from schemas.sync import DOCUMENTED
from server import auth, console, db, errors, settings
from server.requests import GzipRequestMiddleware, Int64Converter, StrictJSONProvider
from sync import users
from sync.clock import system_clock

API_TITLE = "fieldsync"
API_VERSION = "v1"


class FieldsyncApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return errors.from_http_exception(error)


def _secret_key(instance: Path) -> str:
    """A key generated once per instance, so tokens survive restarts without configuration."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config: dict | None = None) -> Flask:
    config = dict(config or {})
    instance = config.pop("INSTANCE_PATH", None) or os.environ.get("FIELDSYNC_INSTANCE_PATH")
    app = Flask("server", instance_path=str(Path(instance).resolve()) if instance else None,
                instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.json = StrictJSONProvider(app)
    app.url_map.converters["int"] = Int64Converter  # before any route is added

    values = settings.resolve(config)
    instance_dir = Path(app.instance_path)
    values["DATABASE"] = str(values["DATABASE"] or instance_dir / "fieldsync.db")
    values["ATTACHMENTS_DIR"] = str(values["ATTACHMENTS_DIR"] or instance_dir / "attachments")
    values["SECRET_KEY"] = values["SECRET_KEY"] or _secret_key(instance_dir)
    values.setdefault("CLOCK", system_clock)
    app.config.update(values)
    app.config.update(
        MAX_CONTENT_LENGTH=app.config["MAX_REQUEST_BYTES"],
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        COMPRESS_MIMETYPES=["application/json", "text/html", "text/css", "text/javascript",
                            "application/javascript", "text/csv", "application/geo+json"],
        COMPRESS_ALGORITHM="gzip",
        COMPRESS_MIN_SIZE=512,
        JSON_SORT_KEYS=False,
    )
    logging.getLogger("fieldsync").setLevel(logging.INFO)

    users.configure_hasher(app.config["PASSWORD_HASH_TIME_COST"], app.config["PASSWORD_HASH_MEMORY_KIB"])
    db.init_app(app)
    auth.init_app(app)
    api = FieldsyncApi(app, spec_kwargs={"info": {"description": "Offline-first sync of field diagnosis surveys."}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    for name, schema in DOCUMENTED.items():  # push mutations, checked per type inside the engine
        api.spec.components.schema(name, schema=schema)
    from server.api import register_blueprints

    register_blueprints(api)
    errors.register(app)
    Compress(app)
    app.wsgi_app = GzipRequestMiddleware(app.wsgi_app, app.config["MAX_REQUEST_BYTES"])
    if proxies := app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)
    app.extensions["fieldsync_api"] = api
    console.init_app(app)  # the supervisor web console at /console
    from server import fieldapp, vendor

    app.register_blueprint(fieldapp.bp)  # the engineers' offline field app at /app
    app.register_blueprint(vendor.bp)  # fonts fetched by scripts/fetch_assets.py
    return app
