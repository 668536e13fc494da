"""Steps the field-app browser tests share: a server of their own, phones as browser
contexts (390x844 by default), filling the diagnosis form through the page as an engineer
would, reading the store through the API."""

import base64
import contextlib
import time
from pathlib import Path

from sync.sample_visits import diagnosis_answers, sample_obstacles
from sync.templates import default_template
from tests.browser.chromium import CHROMIUM_ARGS
from tests.browser.conftest import ARTIFACTS, Guard

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
# Where the phones are: the middle of Tehran's Abbasabad industrial zone.
TEHRAN_YARD = {"latitude": 35.6512, "longitude": 51.3201, "accuracy": 12}


def until(page, script: str, arg=None, timeout: float = 20.0):
    """Poll ``script`` (a JavaScript function) in the page until it returns something true.
    Not ``wait_for_function``: its predicate is evaluated with eval(), which the app's
    Content-Security-Policy forbids — as it should."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {script[:120]} ({arg!r}); the page shows: "
                                 f"{page.evaluate('() => document.body.innerText')[:600]!r}")
        time.sleep(0.1)


class Phone:
    """One engineer's phone: a persistent browser profile (so IndexedDB, the service worker and
    its cache survive closing the page), the network cut or restored by the test."""

    def __init__(self, playwright, chromium, server, folder: Path, name: str, viewport=PHONE):
        self.server, self.name, self.guard = server, name, Guard(server.url)
        self.context = playwright.chromium.launch_persistent_context(
            str(folder / f"profile-{name}"), executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS,
            locale="fa-IR", viewport=viewport, geolocation=TEHRAN_YARD, permissions=["geolocation"],
            service_workers="allow")
        self.context.set_default_timeout(20000)
        self.context.route("**/*", self.guard.handle)
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.errors: list[str] = []
        self._watch(self.page)

    def _watch(self, page):
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, fragment="#/units"):
        self.page.goto(f"{self.server.url}/app/{fragment}")
        self.page.wait_for_selector("body[data-ready='1']")

    def reopen(self):
        """Close the page (the tab) and open the app again, as after a restart of the phone."""
        self.page.close()
        self.page = self.context.new_page()
        self._watch(self.page)
        self.open()

    def offline(self, cut=True):
        self.context.set_offline(cut)

    def login(self, username, password):
        self.open("#/login")
        self.page.fill("#login input[name=username]", username)
        self.page.fill("#login input[name=password]", password)
        self.page.click("#login button[type=submit]")
        self.page.wait_for_selector("#search")
        self.wait_for_shell()

    def wait_for_shell(self):
        """The service worker has cached the shell: the app will open with no network."""
        self.page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        until(self.page, "() => caches.keys().then(k => k.some(n => n.startsWith('fieldsync-shell-')))")
        until(self.page, "() => navigator.serviceWorker.controller !== null")

    def sync(self):
        """The engineer taps "همگام‌سازی" and waits for it to finish."""
        self.page.click("#sync")
        until(self.page, "() => !document.querySelector('#sync').disabled")

    def outbox_empty(self):
        until(self.page, "() => window.fieldsync && new Promise(r => {"
              " const t = window.fieldsync.db.transaction(['outbox', 'photos']);"
              " const a = t.objectStore('outbox').count(); const p = t.objectStore('photos').getAll();"
              " t.oncomplete = () => r(a.result === 0 && p.result.every(x => x.state === 'done')); })", timeout=60)

    def screenshot(self, name):
        folder = ARTIFACTS / "field-app"
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            self.page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    def close(self):
        self.context.close()

    # --- what an engineer does ----------------------------------------------------------------

    def register_unit(self, name, national_id=None, phone=None, anyway=False):
        self.page.click("nav.tabs a[href='#/new']")
        self.page.wait_for_selector("#unit-form")
        self.page.fill("#unit-form input[name=name]", name)
        if national_id:
            self.page.fill("#unit-form input[name=national_id]", national_id)
        if phone:
            self.page.fill("#unit-form input[name=phone]", phone)
        self.page.select_option("#unit-form select[name=park_id]", index=1)
        self.page.fill("#unit-form input[name=employees]", "۱۲")
        self.page.click("#unit-form button[type=submit]")
        self.page.wait_for_selector("#save-visit, #save-anyway")
        if self.page.locator("#save-anyway").count():
            assert anyway, "the app warned of a look-alike unit the test did not expect"
            self.page.click("#save-anyway")
        self.page.wait_for_selector("#save-visit")
        return self.page.evaluate("location.hash").split("/")[-1]

    def fill_visit(self, rng, photos=(), obstacles=2, answers=None):
        """The diagnosis form, question by question, as a person fills it; then saved."""
        answers = answers or diagnosis_answers(rng, unit_status="stalled")
        definition = default_template()
        page = self.page
        for section in definition["sections"]:
            for q in section["questions"]:
                if q["key"] not in answers or q["type"] in ("note", "photo"):
                    continue
                box = f".question[data-key='{q['key']}']"
                value = answers[q["key"]]
                if q["type"] in ("text", "integer", "decimal"):
                    page.fill(f"{box} input, {box} textarea", str(value))
                elif q["type"] == "yes_no":
                    page.check(f"{box} input[value='{'true' if value else 'false'}']")
                elif q["type"] == "select_one":
                    if page.locator(f"{box} select").count():
                        page.select_option(f"{box} select", value)
                    else:
                        page.check(f"{box} input[value='{value}']")
                elif q["type"] == "select_multiple":
                    for v in value:
                        page.check(f"{box} input[value='{v}']")
                elif q["type"] == "date":
                    year, month, day = value.split("-")
                    page.fill(f"{box} input", jalali_of(int(year), int(month), int(day)))
                elif q["type"] == "location":
                    page.click(f"{box} button")
                    until(page, "(b) => document.querySelector(b + ' .coords').textContent.includes('±')", box)
        if photos:
            page.set_input_files(".question[data-key='photos'] input[type=file]", [
                {"name": f"photo{i}.jpg", "mimeType": "image/jpeg", "buffer": data} for i, data in enumerate(photos)])
            until(page, "(n) => document.querySelectorAll(\".question[data-key='photos'] img\").length === n",
                  len(photos))
        for i, obstacle in enumerate(sample_obstacles(rng, obstacles)):
            page.click("#add-obstacle")
            box = page.locator("fieldset.obstacle").nth(i)
            box.locator("select[name=area]").select_option(obstacle["area"])
            box.locator("select[name=group]").select_option(obstacle["group"])
            box.locator("select[name=severity]").select_option(obstacle["severity"])
            box.locator("textarea[name=description]").fill(obstacle["description"])
            box.locator("select[name=responsible_body]").select_option(obstacle["responsible_body"])
        page.click("#save-visit")
        page.wait_for_selector("#new-visit")  # back on the unit's page
        return answers


def jalali_of(year, month, day) -> str:
    import jdatetime

    j = jdatetime.date.fromgregorian(year=year, month=month, day=day)
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"


def real_jpegs(playwright_page, count: int) -> list[bytes]:
    """Photos a camera would make (real JPEGs, drawn by the browser): the app decodes and
    shrinks them, so they must be images, not bytes that only start like one."""
    photos = []
    for i in range(count):
        data_url = playwright_page.evaluate("""(i) => {
            const c = document.createElement('canvas'); c.width = 2400; c.height = 1800;
            const g = c.getContext('2d');
            for (let k = 0; k < 40; k++) { g.fillStyle = `hsl(${(k * 37 + i * 90) % 360},60%,50%)`;
              g.fillRect((k * 97) % 2400, (k * 53) % 1800, 400, 300); }
            g.fillStyle = '#000'; g.font = '120px sans-serif'; g.fillText('photo ' + i, 200, 900);
            return c.toDataURL('image/jpeg', 0.95); }""", i)
        photos.append(base64.b64decode(data_url.split(",", 1)[1]))
    return photos


def assert_no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, (page.url, width)


def wait_text(page, selector, pattern):
    until(page, "([s, p]) => { const n = document.querySelector(s); return n && new RegExp(p).test(n.textContent); }",
          [selector, pattern])

