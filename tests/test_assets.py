"""The browser assets fieldsync ships were fetched by scripts/fetch_assets.py, as pinned in
scripts/assets.json (a registry tarball, its integrity hash, its licence), and are served."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fetcher():
    spec = importlib.util.spec_from_file_location("fetch_assets", ROOT / "scripts" / "fetch_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vendored_files_are_what_their_pins_fetch():
    assert fetcher().check() == []
    pins = json.loads((ROOT / "scripts" / "assets.json").read_text())
    for pin in pins.values():
        assert pin["integrity"].startswith("sha512-") and pin["tarball"].startswith("https://registry.npmjs.org/")
        assert any(target.endswith(("OFL.txt", "LICENSE", "LICENSE.txt")) for target in pin["files"].values()), \
            "every asset ships with its licence"


def test_the_font_is_served_to_the_console_and_the_app(client):
    response = client.get("/vendor/vazirmatn/Vazirmatn-wght.woff2")
    assert response.status_code == 200 and response.data[:4] == b"wOF2"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    for css in ("/console/static/console.css", "/app/static/app.css"):
        assert "/vendor/vazirmatn/Vazirmatn-wght.woff2" in client.get(css).get_data(as_text=True)
    assert client.get("/vendor/vazirmatn/OFL.txt").status_code == 200
