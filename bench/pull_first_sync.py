"""First sync of a large province: a new device pulls 10,000 units through HTTP.

Seeds N units (realistic Persian fields) in one province through the write path, then
times a fresh device's pull loop (gzip on, default page size) against `fieldsync serve`,
and reports wall time and compressed bytes per unit.

    python bench/pull_first_sync.py [--units 10000]
"""

import argparse
import gzip
import json
import random
import urllib.request
import uuid

from support import PASSWORD, Timer, machine, start_server

from server import create_app
from sync import units as units_domain
from sync.clock import system_clock
from sync.store import SYSTEM, connect, write

TEHRAN = 8
WORDS = ["صنایع", "غذایی", "بسته‌بندی", "پلاستیک", "البرز", "مهر", "پارس", "آریا", "فولاد", "نساجی", "کاشی",
         "سرامیک", "شیمیایی", "دارویی", "قطعه‌سازی", "ماشین‌سازی", "تولیدی", "کارخانه", "شرکت", "سپاهان"]


def seed(database: str, count: int, parks: list[int]) -> None:
    rng = random.Random(7)
    db = connect(database)
    with write(db, system_clock(), SYSTEM) as tx:
        for i in range(count):
            fields = {
                "name": " ".join(rng.sample(WORDS, 3)) + f" {i}",
                "national_id": str(10_000_000_000 + rng.randrange(10**9)),
                "province_id": TEHRAN, "park_id": rng.choice(parks),
                "address": f"خیابان {rng.choice(WORDS)}، کوچه {rng.randint(1, 40)}، پلاک {rng.randint(1, 300)}",
                "phone": f"021{rng.randint(10_000_000, 99_999_999)}",
                "location": {"lat": 35.5 + rng.random(), "lon": 51 + rng.random()},
                "owner": rng.choice(["محمد رضایی", "علی کریمی", "زهرا موسوی"]),
                "activity": rng.choice(["تولید رب", "تولید کاشی", "قطعات خودرو", "بسته‌بندی"]),
                "status": rng.choice(["active", "semi_active", "stalled", "closed"]),
                "employees": rng.randint(0, 300),
            }
            units_domain.create(tx, str(uuid.uuid4()), fields, tx.at)
    db.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    args = parser.parse_args()
    server = start_server(users=[("puller", "engineer", TEHRAN)])
    try:
        app = create_app({"INSTANCE_PATH": str(server.instance)})
        parks = [p for (p,) in connect(app.config["DATABASE"]).execute(
            "SELECT id FROM parks WHERE province_id = ?", [TEHRAN])]
        with Timer() as seeding:
            seed(app.config["DATABASE"], args.units, parks)
        request = urllib.request.Request(server.url + "/api/v1/auth/login", method="POST", data=json.dumps(
            {"username": "puller", "password": PASSWORD, "device_id": "fresh-phone"}).encode(),
            headers={"Content-Type": "application/json"})
        token = json.loads(urllib.request.urlopen(request).read())["access_token"]
        cursor, pages, wire, units = None, 0, 0, 0
        with Timer() as timer:
            while True:
                url = server.url + "/api/v1/sync/pull" + (f"?cursor={cursor}" if cursor else "")
                request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}",
                                                               "Accept-Encoding": "gzip"})
                with urllib.request.urlopen(request) as response:
                    raw = response.read()
                    assert response.headers["Content-Encoding"] == "gzip"
                page = json.loads(gzip.decompress(raw))
                pages += 1
                wire += len(raw)
                units += len(page["units"])
                cursor = page["cursor"]
                if not page["has_more"]:
                    break
    finally:
        server.stop()
    print(f"machine: {machine()}; seeded {args.units} units in {seeding.seconds:.1f} s")
    print(f"first sync: {units} units (+ reference data) in {pages} pages, {timer.seconds:.2f} s, "
          f"{wire / 1024:.0f} KiB gzip, {wire / units:.0f} bytes per unit")


if __name__ == "__main__":
    main()
