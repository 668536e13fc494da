"""Browser tests: Playwright driving Debian's chromium against a real server on 127.0.0.1.

* ``chromium``: the browser binary, installed with apt-get when missing (never
  ``playwright install``, which downloads from the internet).
* ``demo_server``: a fresh instance filled by ``fieldsync demo`` (a subprocess, the real
  command) and served by ``fieldsync serve`` (gunicorn) — one per test session.
* ``browser_page``: a page in a fresh chromium profile. Every request that is not for the
  server is blocked and recorded, and the test fails if there was any. When a test fails,
  screenshots of the page it was on and of the console's main pages are saved in
  ``test-artifacts/<test name>/``.
"""

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.chromium import CHROMIUM_ARGS, ChromiumUnavailable, ensure_chromium
from tests.helpers import SECRET, ServerProcess

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
MAIN_PAGES = ("/console/", "/console/queue", "/console/duplicates", "/console/dashboard", "/console/exports",
              "/console/obstacles", "/console/conflicts", "/console/map", "/console/photos", "/console/revisits")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def chromium() -> Path:
    try:
        return ensure_chromium()
    except ChromiumUnavailable as error:
        pytest.fail(f"Debian's chromium is needed for the browser tests and could not be installed: {error}",
                    pytrace=False)


def start_demo_server(folder) -> ServerProcess:
    """``fieldsync demo`` in a fresh instance (the real command), served by ``fieldsync serve``."""
    instance = folder / "instance"
    env_run = subprocess.run([sys.executable, "-m", "server", "--instance", str(instance), "demo"],
                             capture_output=True, text=True, timeout=300, cwd=ROOT,
                             env={**os.environ, "FIELDSYNC_SECRET_KEY": SECRET})
    assert env_run.returncode == 0, env_run.stdout + env_run.stderr
    return ServerProcess(instance, workers=2, threads=4).start()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    server = start_demo_server(tmp_path_factory.mktemp("browser"))
    yield server
    server.stop()


@pytest.fixture
def console_server(demo_server):
    """The server the browser pages talk to; a module that changes much overrides it with its own."""
    return demo_server


@pytest.fixture(scope="session")
def playwright_session():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


class Guard:
    """Lets requests to the server through and blocks (and remembers) everything else."""

    def __init__(self, base_url: str):
        self.origin = urlsplit(base_url)
        self.blocked: list[str] = []

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return True
        return parts.hostname == "127.0.0.1" and parts.port == self.origin.port

    def handle(self, route):
        if self.allowed(route.request.url):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()


def _screenshots(context, base_url: str, page, name: str) -> None:
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    folder.mkdir(parents=True, exist_ok=True)
    # A page that cannot be drawn must not hide the test's own failure.
    with contextlib.suppress(Exception):
        page.screenshot(path=str(folder / "failed-page.png"), full_page=True)
    for path in MAIN_PAGES:
        with contextlib.suppress(Exception):
            other = context.new_page()
            other.goto(base_url + path)
            other.screenshot(path=str(folder / ((path.strip("/").replace("/", "-") or "console") + ".png")),
                             full_page=True)
            other.close()


@pytest.fixture
def browser_page(request, chromium, console_server, playwright_session, tmp_path):
    demo_server = console_server
    guard = Guard(demo_server.url)
    context = playwright_session.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS,
        locale="fa-IR", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15000)
    context.route("**/*", guard.handle)
    page = context.pages[0] if context.pages else context.new_page()
    page.base_url = demo_server.url
    yield page
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        _screenshots(context, demo_server.url, page, request.node.name)
    context.close()
    assert guard.blocked == [], f"the pages tried to reach outside the server: {guard.blocked}"

