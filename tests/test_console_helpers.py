"""Shared helpers for the console tests (this module holds no tests).

``seed_console`` fills the test app's store through the real paths — users through
``sync.users``, units and visits pushed by reference-client devices — and ``ConsoleUser``
logs in through the console's login form and sends forms with the session's CSRF token.
"""

import re
from dataclasses import dataclass, field

from sync import checklists, users
from sync.client import Device
from sync.sample_visits import TEMPLATE_REF, diagnosis_answers, sample_obstacles
from sync.store import write
from tests.helpers import PASSWORD, FlaskTransport

TEHRAN, ISFAHAN, FARS = 8, 4, 17
SHAMSABAD, ABBASABAD, SHIRAZ_GRAND = 108001, 108002, 117001
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class ConsoleUser:
    """A browser-less console user: a Flask test client with the session cookie."""

    def __init__(self, client, username=None, password=PASSWORD):
        self.client = client
        self.csrf = None
        if username:
            response = self.login(username, password)
            assert response.status_code == 302, response.get_data(as_text=True)[:500]

    def login(self, username, password=PASSWORD):
        self.csrf = csrf_of(self.client.get("/console/login").get_data(as_text=True))
        response = self.client.post("/console/login", data={
            "username": username, "password": password, "csrf_token": self.csrf})
        if response.status_code == 302:
            # The session gets a fresh token at login.
            self.csrf = csrf_of(self.client.get("/console/").get_data(as_text=True))
        return response

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def page(self, path, status=200, **kwargs) -> str:
        response = self.client.get(path, **kwargs)
        assert response.status_code == status, (path, response.status_code, response.get_data(as_text=True)[:800])
        return response.get_data(as_text=True)

    def post(self, path, data=None, csrf=True):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        return self.client.post(path, data=data)


@dataclass
class Seeded:
    units: dict = field(default_factory=dict)     # name → unit id
    visits: dict = field(default_factory=dict)    # name → visit id
    devices: dict = field(default_factory=dict)   # username → Device


def make_device(tmp_path, client, clock, username, phone="phone") -> Device:
    device = Device(str(tmp_path / f"{username}-{phone}.sqlite"), FlaskTransport(client), clock=clock)
    device.login(username, PASSWORD)
    return device


def make_conflict(seeded, client, clock, tmp_path) -> str:
    """Reza's phone and tablet set the employees of نساجی البرز from the same base: one
    same-field collision. Returns the unit id."""
    unit_id = seeded.units["نساجی البرز"]
    reza = seeded.devices["reza"]
    tablet = make_device(tmp_path, client, clock, "reza", phone="tablet")
    tablet.pull()
    reza.update_unit(unit_id, {"employees": 12})
    tablet.update_unit(unit_id, {"employees": 14})
    clock.advance(minutes=5)
    reza.sync()
    tablet.sync()
    return unit_id


def seed_console(app, db, clock, client, tmp_path) -> Seeded:
    """Two provinces: Tehran (engineer reza, supervisor sara) and Fars (engineer ali, supervisor
    maryam); an admin root. Reza records two units with a visit each, Ali one in Fars."""
    with write(db, clock()) as tx:
        checklists.load_defaults(tx)
        for username, role, provinces in (("sara", "supervisor", [TEHRAN]), ("maryam", "supervisor", [FARS]),
                                          ("root", "admin", []), ("reza", "engineer", [TEHRAN]),
                                          ("ali", "engineer", [FARS])):
            users.create_user(tx, username, PASSWORD, role, provinces, full_name=username.capitalize())
    seeded = Seeded()
    reza = make_device(tmp_path, client, clock, "reza")
    ali = make_device(tmp_path, client, clock, "ali")
    seeded.devices.update(reza=reza, ali=ali)
    plan = [(reza, "نساجی البرز", TEHRAN, SHAMSABAD, "stalled"),
            (reza, "صنایع غذایی مهر", TEHRAN, ABBASABAD, "active"),
            (ali, "کاشی پارس", FARS, SHIRAZ_GRAND, "semi_active")]
    for i, (device, name, province, park, status) in enumerate(plan):
        unit_id = device.create_unit({"name": name, "province_id": province, "park_id": park, "status": status,
                                      "location": {"lat": 35.6 + i / 100, "lon": 51.3 + i / 100}})
        visit_id = device.record_visit(unit_id, diagnosis_answers(unit_status=status, employees_now=5 + i),
                                       obstacles=sample_obstacles(count=2), template=TEMPLATE_REF,
                                       location={"lat": 35.6 + i / 100, "lon": 51.3 + i / 100})
        seeded.units[name] = unit_id
        seeded.visits[name] = visit_id
    for device in (reza, ali):
        device.sync()
        assert device.rejected() == [], device.rejected()
    return seeded
