"""``fieldsync demo``: fill a fresh database with a realistic Persian data set.

Three provinces (Tehran, Isfahan, Fars) and real parks from the shipped reference data,
engineers and supervisors with a known password, units (some registered twice by different
engineers with other spellings, for the duplicates queue), diagnosis visits in every review
state with obstacles, a revised visit, obstacles resolved on later visits, and a closed unit
revived with its jobs. Each unit tells one story (``demo_stories.py``): its sector, products,
the obstacles its visits found, who must act on them, and photos of the site and its licence.

Everything goes through the paths real traffic takes: users through ``sync.users``,
units and visits pushed by reference-client devices (:class:`sync.client.Device`) to this
very app in-process, decisions through ``sync.review``. Running it again does nothing.

The four months are played in order on a demo clock that the app reads while the demo loads
(``CLOCK``): a visit reaches the server a few hours after it was made, a supervisor decides a
day later, a returned visit comes back revised the day after. So the queue's received times,
the history of a visit and the dates of decisions read like the field, not all "just now".
One of the engineers also edits the same unit from his phone and his tablet while offline,
which leaves a same-field conflict for a supervisor on the unit page.
"""

import hashlib
import random
import shutil
import struct
import tempfile
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from server.commands.demo_stories import STORIES, Story
from server.db import get_db, now
from sync import checklists, review, users
from sync.client import Device
from sync.identifiers import legal_id_check_digit
from sync.sample_visits import TEMPLATE_REF, diagnosis_answers
from sync.store import write

DEMO_PASSWORD = "fieldsync-demo"
MARKER = "demo_data"  # key in the meta table once the demo is loaded
TEHRAN, ISFAHAN, FARS = 8, 4, 17
TEHRAN_TIME = ZoneInfo("Asia/Tehran")

# username, role, provinces, full name
USERS = [
    ("admin", "admin", [], "مدیر سامانه"),
    ("sara", "supervisor", [TEHRAN], "سارا محمدی"),
    ("hamid", "supervisor", [ISFAHAN, FARS], "حمید رضایی"),
    ("reza", "engineer", [TEHRAN], "رضا کریمی"),
    ("neda", "engineer", [TEHRAN], "ندا احمدی"),
    ("ali", "engineer", [ISFAHAN], "علی حسینی"),
    ("mina", "engineer", [FARS], "مینا موسوی"),
]
CENTRES = {TEHRAN: (35.55, 51.25), ISFAHAN: (32.62, 51.55), FARS: (29.55, 52.45)}


@dataclass
class DemoUnit:
    key: str
    engineer: str
    name: str
    province: int
    park: int
    activity: str
    owner: str
    address: str
    phone: str
    # (days ago, observed status, employees now, decision) per visit, oldest first;
    # decision: approve / reject / return / revise (returned, then revised) / None (waiting).
    visits: list = field(default_factory=list)
    legal_id: bool = True


UNITS = [
    DemoUnit("alborz", "reza", "شرکت صنایع بسته‌بندی البرز", TEHRAN, 108001, "بسته‌بندی مواد غذایی",
             "محمد البرزی", "شمس‌آباد، بلوار صنعت، خیابان ۱۲، پلاک ۴", "021-56231470",
             [(110, "stalled", 4, "approve"), (30, "active", 38, "approve")]),
    DemoUnit("kiantar", "reza", "نساجی کیان‌تار", TEHRAN, 108001, "ریسندگی و بافندگی", "کیان فرهادی",
             "شمس‌آباد، خیابان گلبرگ سوم، پلاک ۹", "021-56231988",
             [(95, "semi_active", 22, "approve"), (12, "semi_active", 25, None)]),
    DemoUnit("parsian", "neda", "فولاد گستر پارسیان", TEHRAN, 108002, "ساخت قطعات فلزی", "پرویز نادری",
             "عباس‌آباد، خیابان صنعت ۴، پلاک ۲۲", "021-36412275",
             [(80, "stalled", 3, "approve"), (8, "stalled", 3, "return")]),
    DemoUnit("arian", "neda", "لوله و اتصالات پلی‌اتیلن آرین", TEHRAN, 108003, "تولید لوله پلی‌اتیلن",
             "آرین صالحی", "شهرک خوارزمی، فاز ۲، خیابان نسترن", "0912 345 6712",
             [(60, "active", 54, "approve"), (5, "active", 57, None)]),
    DemoUnit("charm", "reza", "تولیدی چرم مهرگان", TEHRAN, 108006, "دباغی و چرم", "مهرداد مهرگان",
             "چرمشهر، خیابان دهم، پلاک ۳۱", "021-36215540",
             [(70, "closed", 0, "approve"), (20, "closed", 0, "reject")]),
    DemoUnit("nooshin", "neda", "صنایع غذایی نوشین", TEHRAN, 108004, "کنسرو و رب گوجه‌فرنگی", "نوشین یزدانی",
             "پرند، بلوار صنعت، خیابان سوم", "021-56745120",
             [(15, "semi_active", 17, "revise")]),
    DemoUnit("sepahan", "ali", "کاشی و سرامیک سپاهان", ISFAHAN, 104001, "کاشی و سرامیک", "سپهر اصفهانی",
             "محمودآباد، خیابان ۱۰، پلاک ۱۵", "031-35723410",
             [(100, "semi_active", 40, "approve"), (25, "active", 85, "approve")]),
    DemoUnit("naqsh", "ali", "ریخته‌گری نقش جهان", ISFAHAN, 104003, "ریخته‌گری چدن", "جهانگیر نقشینه",
             "شهرک صنعتی جی، خیابان ششم", "031-34567120",
             [(50, "stalled", 6, "approve"), (4, "stalled", 6, None)]),
    DemoUnit("zayandeh", "ali", "نساجی زاینده‌رود", ISFAHAN, 104002, "نخ و پارچه", "زهرا رودکی",
             "مورچه‌خورت، بلوار اصلی، پلاک ۸", "031-45652210",
             [(120, "closed", 0, "approve"), (40, "active", 28, "approve")]),
    DemoUnit("shiraznoush", "mina", "صنایع غذایی شیراز نوش", FARS, 117001, "آب‌میوه و نوشیدنی", "شیرین نوشادی",
             "شهرک صنعتی بزرگ شیراز، خیابان ۱۰۴", "071-37741200",
             [(85, "semi_active", 30, "approve"), (18, "semi_active", 33, "approve")]),
    DemoUnit("farsglass", "mina", "شیشه‌سازی فارس", FARS, 117002, "شیشه و بطری", "فرشید شیشه‌گر",
             "فتح‌آباد، خیابان صنایع، پلاک ۵", "071-37324410",
             [(65, "stalled", 2, "approve"), (9, "stalled", 2, None)]),
    DemoUnit("golpars", "mina", "داروسازی گیاهان پارس", FARS, 117004, "داروهای گیاهی", "گلناز پارسا",
             "شهرک صنعتی کازرون، خیابان دوم", "071-42231190",
             [(35, "active", 26, "approve")]),
]

# Second records of the same factories, typed by another engineer: other spellings, another
# phone, a few hundred metres off and no legal id — alike enough for the dedup engine to queue
# them for a supervisor, not sure enough to merge them itself.
DUPLICATES = [  # (engineer, original, fields typed, metres-ish offset of the location in degrees)
    ("neda", "kiantar", {"name": "نساجى كيان تار", "phone": "0912 111 2233", "address": "شمس آباد خ گلبرگ"},
     (0.0018, 0.0025)),
    ("reza", "alborz", {"name": "بسته بندی البرز (سهامی خاص)", "phone": "0912 555 6677",
                        "address": "شمس آباد بلوار صنعت خ ۱۲"},
     (0.0022, 0.0021)),
    ("mina", "shiraznoush", {"name": "غذایی شیرازنوش", "phone": "09171234567", "address": "شهرک بزرگ شیراز"},
     (0.0025, 0.004)),
]

# How the field's time runs (see the module's docstring).
HISTORY_DAYS = 125          # the users exist a little before the first visit
SYNC_DELAY = timedelta(hours=3)
DECISION_DELAY = timedelta(days=1)
REVISION_DELAY = timedelta(days=1)
DUPLICATES_DAYS_AGO = 3
CONFLICT_DAYS_AGO = 6
# Who edits which unit from two devices, and the two numbers they record.
CONFLICT = ("reza", "charm", "021-36215541", "021-36215549")

RETURN_COMMENT = "تعداد کارکنان فعلی با فهرست بیمه همخوانی ندارد؛ لطفاً دوباره بررسی و عکس پروانه را اضافه کنید."
REVISED_SUMMARY = "کمبود سرمایه در گردش عامل اصلی کاهش تولید است؛ تعداد کارکنان با فهرست بیمه تطبیق داده شد."
REVISION_COMMENT = "فهرست بیمه بررسی شد و تعداد کارکنان اصلاح شد."
REJECT_COMMENT = "موقعیت ثبت‌شده این بازدید دو کیلومتر با محل واحد فاصله دارد؛ بازدید در محل انجام نشده است."


class _InProcess:
    """The device client's transport straight into this app (no sockets, the real push path)."""

    def __init__(self, app):
        self.client = app.test_client()

    def request(self, method, path, *, body=None, params=None, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.open(path, method=method, json=body, query_string=params or None, headers=headers)
        return response.status_code, (response.get_json(silent=True) or {})

    def request_bytes(self, method, path, *, data, headers=None, token=None):
        headers = {"Content-Type": "application/octet-stream", **(headers or {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(path, method=method, data=data, headers=headers)
        return response.status_code, (response.get_json(silent=True) or {})


def _png_bytes(width: int, height: int, pixel) -> bytes:
    """A PNG of ``pixel(x, y) -> (r, g, b)``, written by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _factory_picture(seed: int, width: int = 200, height: int = 130) -> bytes:
    """The demo's stand-in for a photo of the factory: sky, yard, a hall with a sawtooth roof and
    a chimney, in colours that differ from unit to unit."""
    rng = random.Random(seed)
    wall = (rng.randint(120, 200), rng.randint(110, 170), rng.randint(90, 150))
    left, right, eaves = rng.randint(20, 50), rng.randint(130, 180), rng.randint(60, 75)
    chimney = rng.randint(left + 10, right - 20)

    def pixel(x, y):
        ground = 100
        if y >= ground:
            return (150, 140, 120) if (x + y) % 7 else (135, 125, 105)
        if left <= x <= right and eaves <= y:
            return (70, 90, 110) if y > ground - 22 and (x - left) % 24 in range(6, 16) else wall
        teeth = eaves - ((x - left) % 20) // 2
        if left <= x <= right and teeth <= y < eaves:
            return (95, 100, 105)
        if chimney <= x < chimney + 7 and 18 <= y < eaves:
            return (120, 60, 50)
        shade = 170 + y // 2
        return (min(shade, 235), min(shade + 10, 245), 250)

    return _png_bytes(width, height, pixel)


def _licence_picture(seed: int, width: int = 140, height: int = 190) -> bytes:
    """A photographed licence: a paper page with lines of text and a round stamp."""
    rng = random.Random(seed)
    stamp = (rng.randint(70, 100), rng.randint(130, 160))

    def pixel(x, y):
        if (x - stamp[0]) ** 2 + (y - stamp[1]) ** 2 in range(180, 260):
            return (40, 70, 160)
        if 14 <= x <= width - 14 and y % 14 in (0, 1) and 20 <= y <= 120 and x < width - 14 - (y * 7) % 30:
            return (60, 60, 70)
        return (245, 243, 236) if 6 <= x < width - 6 and 6 <= y < height - 6 else (120, 110, 100)

    return _png_bytes(width, height, pixel)


def _legal_id(seed: int) -> str:
    first_ten = f"10{seed:08d}"[-10:]
    return first_ten + str(legal_id_check_digit(first_ten))


def _location(unit: DemoUnit, index: int, rng: random.Random) -> dict:
    lat, lon = CENTRES[unit.province]
    return {"lat": round(lat + (unit.park % 100) * 0.01 + index * 0.002, 6),
            "lon": round(lon + (unit.park % 100) * 0.012 + rng.random() * 0.001, 6)}


def _already_loaded(db) -> bool:
    return db.execute("SELECT 1 FROM meta WHERE key = ?", [MARKER]).fetchone() is not None


def _create_users(db, moment) -> list[str]:
    notes = []
    with write(db, moment) as tx:
        for username, role, provinces, full_name in USERS:
            if users.find_user(tx.db, username):
                notes.append(f"User {username!r} already exists; its password is unchanged.")
                continue
            users.create_user(tx, username, DEMO_PASSWORD, role, provinces, full_name)
    return notes


class _DemoClock:
    """The app's clock while the demo loads: it only moves forward, to each event's time."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def move_to(self, moment):
        self.now = max(self.now, moment)
        return self.now


def load_demo(db) -> list[str]:
    """Fill the store with the demo data set; returns notes to print. Does nothing twice."""
    if _already_loaded(db):
        return ["Demo data is already loaded; nothing to do."]
    if db.execute("SELECT 1 FROM units LIMIT 1").fetchone():
        return ["The database already holds units; the demo only fills a fresh database."]
    app = current_app._get_current_object()
    moment = now()
    clock = _DemoClock(moment - timedelta(days=HISTORY_DAYS))
    real_clock = app.config["CLOCK"]
    app.config["CLOCK"] = clock
    folder = tempfile.mkdtemp(prefix="fieldsync-demo-")
    try:
        with write(db, clock()) as tx:
            checklists.load_defaults(tx)  # the diagnosis template and the starter taxonomy
        notes = _create_users(db, clock())
        counts = _record_field_work(db, app, moment, clock, folder)
    finally:
        app.config["CLOCK"] = real_clock
        shutil.rmtree(folder, ignore_errors=True)
    with write(db, now()) as tx:
        tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (MARKER, tx.at))
        tx.audit("demo.load", "demo", None, **counts)
    notes.append("Loaded the demo data set: " + ", ".join(f"{v} {k}" for k, v in counts.items()) + ".")
    notes.append(f"Demo users (password {DEMO_PASSWORD!r} for all): "
                 + ", ".join(f"{u} ({role})" for u, role, _p, _n in USERS)
                 + ". Supervisor sara sees Tehran; hamid sees Isfahan and Fars."
                 + " Console: /console (sara); field app for engineers: /app (reza or neda, Tehran).")
    return notes


def _devices(app, folder: str) -> dict[str, Device]:
    devices = {}
    for username, role, _provinces, _name in USERS:
        if role == "engineer":
            device = Device(f"{folder}/{username}.sqlite", _InProcess(app))
            device.login(username, DEMO_PASSWORD, label="گوشی نمایشی")
            devices[username] = device
    return devices


def _at(device: Device, moment):
    device.clock = lambda: moment


class _Timeline:
    """Field work as events in time order; each runs with the server's clock at its moment."""

    def __init__(self, clock: _DemoClock):
        self.clock = clock
        self.events = []

    def add(self, moment, action) -> None:
        self.events.append((moment, len(self.events), action))

    def run(self) -> None:
        # Events may add later events (a decision after a visit is received): keep going until
        # none is left, always taking the earliest.
        while self.events:
            self.events.sort(key=lambda e: (e[0], e[1]))
            moment, _order, action = self.events.pop(0)
            self.clock.move_to(moment)
            action(moment)


def _record_field_work(db, app, moment, clock: _DemoClock, folder: str) -> dict:
    rng = random.Random(1404)
    devices = _devices(app, folder)
    unit_ids, locations, visit_count = {}, {}, [0]
    timeline = _Timeline(clock)

    def synced(device: Device, at) -> None:
        clock.move_to(at + SYNC_DELAY)  # back in the office, with a network
        device.sync()

    def create_unit(index: int, unit: DemoUnit):
        def run(at):
            device = devices[unit.engineer]
            _at(device, at)
            fields = {"name": unit.name, "province_id": unit.province, "park_id": unit.park,
                      "activity": unit.activity, "owner": unit.owner, "address": unit.address, "phone": unit.phone,
                      "location": locations.setdefault(unit.key, _location(unit, index, rng)),
                      "status": unit.visits[-1][1] or "stalled", "employees": unit.visits[-1][2] or 0}
            if unit.legal_id:
                fields["national_id"] = _legal_id(1000 + index * 37)
            unit_ids[unit.key] = device.create_unit(fields)
            synced(device, at)
        return run

    def create_duplicate(username: str, key: str, typed: dict, offset: tuple):
        def run(at):
            original = next(u for u in UNITS if u.key == key)
            device = devices[username]
            _at(device, at)
            where = locations[key]
            device.create_unit({**typed, "province_id": original.province, "park_id": original.park,
                                "activity": original.activity,
                                "location": {"lat": round(where["lat"] + offset[0], 6),
                                             "lon": round(where["lon"] + offset[1], 6)}})
            synced(device, at)
        return run

    def record_visit(unit: DemoUnit, number: int, status: str, employees: int, decision):
        def run(at):
            device = devices[unit.engineer]
            _at(device, at)
            story = STORIES[unit.key]
            last = number == len(unit.visits) - 1
            answers = _story_answers(story, rng, status, employees, last, at)
            answers["unit_name_seen"] = unit.name
            attachments = []
            gate = f"{folder}/gate-{unit.key}-{number}.png"
            with open(gate, "wb") as out:
                out.write(_factory_picture(zlib.crc32(f"{unit.key}-{number}".encode())))
            if unit.key == "kiantar" and decision is None:  # a photo still on the phone
                attachments = [hashlib.sha256(f"not uploaded yet {unit.key}".encode()).hexdigest()]
            else:
                answers["photos"] = [device.attach(gate)]
            if story.licence:
                licence = f"{folder}/licence-{unit.key}.png"
                with open(licence, "wb") as out:
                    out.write(_licence_picture(zlib.crc32(unit.key.encode())))
                answers["licence_photo"] = [device.attach(licence)]
            visit_id = device.record_visit(unit_ids[unit.key], answers,
                                           obstacles=_story_obstacles(db, unit, unit_ids[unit.key], number),
                                           template=TEMPLATE_REF, location=_location(unit, 0, rng),
                                           attachments=attachments)
            synced(device, at)
            visit_count[0] += 1
            if decision is not None:
                timeline.add(at + DECISION_DELAY, lambda when: _decide(db, unit, visit_id, decision))
            if decision == "revise":  # the engineer fixes it on the phone: version 2, waiting again
                timeline.add(at + DECISION_DELAY + REVISION_DELAY, revise(unit.engineer, visit_id, answers, employees))
        return run

    def revise(username: str, visit_id: str, answers: dict, employees: int):
        def run(at):
            device = devices[username]
            device.pull()
            _at(device, at)
            fixed = {**answers, "employees_now": (employees or 0) + 2, "summary": REVISED_SUMMARY}
            device.revise_visit(visit_id, fixed, comment=REVISION_COMMENT)
            synced(device, at)
        return run

    for index, unit in enumerate(UNITS):
        timeline.add(_working_hours(moment, unit.visits[0][0] + 1, index), create_unit(index, unit))
        for number, (days_ago, status, employees, decision) in enumerate(unit.visits):
            timeline.add(_working_hours(moment, days_ago, index),
                         record_visit(unit, number, status, employees, decision))
    for index, (username, key, typed, offset) in enumerate(DUPLICATES):
        timeline.add(_working_hours(moment, DUPLICATES_DAYS_AGO, index),
                     create_duplicate(username, key, typed, offset))
    timeline.add(_working_hours(moment, CONFLICT_DAYS_AGO, 0),
                 lambda at: _two_devices_disagree(app, folder, devices[CONFLICT[0]], unit_ids, at, clock))
    timeline.run()
    clock.move_to(moment)
    for username in devices:
        device = devices[username]
        device.sync()
        device.close()
    return {"users": len(USERS), "units": len(UNITS) + len(DUPLICATES), "visits": visit_count[0]}


def _working_hours(moment, days_ago: int, index: int):
    """``days_ago`` days before ``moment``, in the morning in Tehran (from 09:00, a little later
    for each unit): field visits are made in working hours, not at the hour the demo was loaded."""
    day = (moment.astimezone(TEHRAN_TIME) - timedelta(days=days_ago)).date()
    start = datetime.combine(day, time(9, 0), TEHRAN_TIME) + timedelta(minutes=(index * 23) % 240)
    return start.astimezone(UTC)


def _two_devices_disagree(app, folder: str, phone: Device, unit_ids: dict, at, clock: _DemoClock) -> None:
    """Reza's tablet and phone, both offline, record another phone number for the same unit:
    the later edit wins and the store keeps the other as a conflict for a supervisor."""
    unit = unit_ids[CONFLICT[1]]
    tablet = Device(f"{folder}/{CONFLICT[0]}-tablet.sqlite", _InProcess(app))
    tablet.login(CONFLICT[0], DEMO_PASSWORD, label="تبلت نمایشی")
    tablet.pull()
    _at(phone, at)
    phone.update_unit(unit, {"phone": CONFLICT[2]})
    _at(tablet, at + timedelta(hours=2))
    tablet.update_unit(unit, {"phone": CONFLICT[3]})
    clock.move_to(at + timedelta(hours=2) + SYNC_DELAY)  # both edits made before either syncs
    phone.sync()
    tablet.sync()
    tablet.close()


def _obstacle_id(unit: DemoUnit, key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fieldsync-demo/{unit.key}/{key}"))


def _story_obstacles(db, unit: DemoUnit, unit_id: str, number: int) -> list[dict]:
    """What this visit of the unit records: the obstacles it found, and the earlier ones it saw
    removed (resolved, as the engineer records them: same id, ``resolved: true``)."""
    story = STORIES[unit.key]
    records = [{"obstacle_id": _obstacle_id(unit, o.key), "area": o.area, "group": o.group, "severity": o.severity,
                "description": o.description, "proposed_action": o.action, "responsible_body": o.body}
               for o in story.found[number]]
    for key in story.resolves[number]:
        row = next(db.query("SELECT * FROM obstacles WHERE id = ?", [_obstacle_id(unit, key)]), None)
        if row is not None:
            records.append({"obstacle_id": row["id"], "resolved": True, "area": row["area"],
                            "group": row["group_code"], "severity": row["severity"],
                            "description": row["description"], "proposed_action": row["proposed_action"],
                            "responsible_body": row["responsible_body"]})
    return records


_SALES_TREND = {"active": "stable", "semi_active": "decreasing", "stalled": "no_sales", "closed": "no_sales"}


def _story_answers(story: Story, rng: random.Random, status: str, employees: int, last: bool, at) -> dict:
    """A complete diagnosis that tells the unit's story (sector, products, why it stopped)."""
    answers = diagnosis_answers(rng, unit_status=status, employees_now=employees,
                                employees_capacity=max(60, (employees or 0) + 10))
    answers.update(activity_sector=story.sector, main_products=story.products, raw_materials_main=story.raw_materials,
                   market_problems=story.market, summary=story.summary, recommended_actions=story.actions,
                   sales_trend=_SALES_TREND[status], **story.energy)
    if status != "active" and story.stop_reason:
        answers["stop_main_reason"] = story.stop_reason
    else:
        answers.pop("stop_main_reason", None)
    if not story.licence:
        answers.update(operating_licence="none")
        answers.pop("licence_number", None)
    if last and story.followup_days:
        day = (at.astimezone(TEHRAN_TIME) + timedelta(days=story.followup_days)).date()
        answers.update(followup_needed=True, followup_date=day.isoformat())
    return answers


def _supervisor_of(province: int) -> dict:
    for username, role, provinces, _name in USERS:
        if role == "supervisor" and province in provinces:
            return users.find_user(get_db(), username)
    raise LookupError(province)


def _decide(db, unit: DemoUnit, visit_id: str, decision) -> None:
    if decision is None:
        return
    supervisor = users.actor_for(_supervisor_of(unit.province))
    action = "return" if decision == "revise" else decision
    comment = {"return": RETURN_COMMENT, "reject": REJECT_COMMENT}.get(action)
    with write(db, now(), supervisor) as tx:
        review.decide(tx, visit_id, action, comment)


@click.command("demo")
@with_appcontext
def demo():
    """Fill a fresh database with the Persian demo data set (users, units, visits, duplicates)."""
    from server.commands.serve import prepare_store

    for note in prepare_store(demo=True):
        click.echo(note)
    click.echo(f"Database: {current_app.config['DATABASE']}")


COMMANDS = [demo]
