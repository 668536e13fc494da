"""The field app: an offline, installable Persian web app for engineers, at ``/app``.

Server-rendered shell, plain ES modules, no build step (docs/field-app.md). It speaks the
sync protocol of docs/sync-protocol.md from the browser — a second implementation beside
``sync/client.py`` — and keeps everything in IndexedDB, so it works for days without a
network once the engineer has logged in. The service worker at ``/app/sw.js`` (scope
``/app/``) caches the shell; the API is never cached.
"""

import json
from pathlib import Path

from flask import Blueprint, Response, render_template, send_from_directory

HERE = Path(__file__).parent
STATIC = HERE / "static"
bp = Blueprint("fieldapp", __name__, url_prefix="/app", template_folder="templates")

# Nothing from outside the server; photos are shown from blob: URLs made on the phone.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "font-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# What the service worker caches: the whole shell, so the app starts with no network.
SHELL = ("/app/", "/app/manifest.webmanifest", "/vendor/vazirmatn/Vazirmatn-wght.woff2",
         *sorted(f"/app/static/{p.relative_to(STATIC).as_posix()}" for p in STATIC.rglob("*") if p.is_file()))


def _public(view):
    view.access_rule = {"public": True, "roles": ()}
    return view


def version() -> str:
    """Changes whenever a shell file changes: the service worker then installs the new shell."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        digest.update(path.read_bytes())
    digest.update((HERE / "templates" / "fieldapp" / "index.html").read_bytes())
    return digest.hexdigest()[:12]


@bp.after_request
def _headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.route("/", endpoint="index")
@_public
def index():
    response = Response(render_template("fieldapp/index.html", version=version()))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/sw.js", endpoint="service_worker")
@_public
def service_worker():
    script = (STATIC / "sw-template.js").read_text(encoding="utf-8")
    body = script.replace("__VERSION__", version()).replace("__SHELL__", json.dumps(list(SHELL)))
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/app/"
    return response


@bp.route("/manifest.webmanifest", endpoint="manifest")
@_public
def manifest():
    body = {
        "name": "فیلدسینک — عارضه‌یابی", "short_name": "فیلدسینک", "lang": "fa", "dir": "rtl",
        "start_url": "/app/", "scope": "/app/", "display": "standalone", "orientation": "portrait",
        "background_color": "#f6f7f9", "theme_color": "#1f6f5c",
        "description": "بازدید و عارضه‌یابی واحدهای تولیدی، بدون اینترنت",
        "icons": [{"src": "/app/static/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
                  {"src": "/app/static/icon-maskable.svg", "sizes": "any", "type": "image/svg+xml",
                   "purpose": "maskable"}],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


@bp.route("/static/<path:filename>", endpoint="static")
@_public
def static(filename):
    return send_from_directory(STATIC, filename, max_age=0)
