"""The field app's shell as served: the page, its service worker, its manifest (issue 12).
The app itself is tested in a real browser: tests/browser/test_field_app.py."""

import json
import re


def test_the_shell_is_persian_and_reaches_nothing_outside(client):
    response = client.get("/app/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="fa" dir="rtl">' in html
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "'unsafe-eval'" not in policy and "'unsafe-inline'" not in policy
    assert not re.search(r"(src|href)=\"https?://", html)


def test_the_service_worker_caches_every_file_of_the_shell_and_no_api(client, app):
    script = client.get("/app/sw.js")
    assert script.status_code == 200 and script.headers["Service-Worker-Allowed"] == "/app/"
    text = script.get_data(as_text=True)
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", text).group(1))
    for path in shell:
        assert client.get(path).status_code == 200, path
    assert "/app/static/app.js" in shell and "/vendor/vazirmatn/Vazirmatn-wght.woff2" in shell
    assert not [p for p in shell if p.startswith("/api/")]
    version = re.search(r'const VERSION = "([0-9a-f]+)"', text).group(1)
    assert f'data-version="{version}"' in client.get("/app/").get_data(as_text=True)


def test_the_app_can_be_installed(client):
    manifest = json.loads(client.get("/app/manifest.webmanifest").get_data(as_text=True))
    assert manifest["start_url"] == "/app/" and manifest["display"] == "standalone"
    assert manifest["lang"] == "fa" and manifest["dir"] == "rtl"
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
