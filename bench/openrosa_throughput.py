"""ODK Collect: OpenRosa submissions per second beside our own push of the same visits, and
the download of a 10,000-unit entity list — in one run, against `fieldsync serve`.

A diagnosis visit with 3 obstacles and 2 photos (about 150 KB each) is filled once by
JavaRosa (tests/odk/collect.py); each submission is that instance with its own instanceID,
sent as Collect sends it (multipart, the photos in the same POST). Beside it, the same
visits are pushed by devices through our protocol: the visit (batches of 1, as a phone
sends one visit with its photos, and batches of 100) and the two photos uploaded.

    python bench/openrosa_throughput.py [--submissions 300] [--senders 4] [--units 10000]
"""

import argparse
import hashlib
import random
import re
import threading
import uuid

from support import PASSWORD, Timer, machine, scratch_folder, seed_units, start_server

from sync.client import HttpTransport
from sync.sample_visits import TEMPLATE_REF, diagnosis_answers, sample_obstacles
from sync.templates import default_template
from tests.helpers import collect_key, fake_photo, server_database
from tests.odk.collect import CollectPhone, HttpClient

TEHRAN = 8


def login(transport, name):
    status, body = transport.request("POST", "/api/v1/auth/login", body={
        "username": name, "password": PASSWORD, "device_id": f"bench-{name}"})
    assert status == 200, body
    return body["access_token"]


def in_threads(senders: int, items: list, work) -> list:
    errors, chunks = [], [items[i::senders] for i in range(senders)]
    threads = [threading.Thread(target=lambda c=c: [work(x, errors) for x in c]) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    server = start_server(workers=args.workers, users=[("collector", "engineer", TEHRAN)]
                          + [(f"pusher{i}", "engineer", TEHRAN) for i in range(args.senders)])
    try:
        transport = HttpTransport(server.url)
        with Timer() as seeding:
            units = seed_units(transport, login(transport, "pusher0"), args.units)
        rng = random.Random(1)
        key = collect_key(server_database(server), "collector", "bench")
        folder = scratch_folder("fieldsync-collect-") / "collect"
        phone = CollectPhone(HttpClient(server.url), f"{server.url}/odk/key/{key}", folder)
        with Timer() as forms:
            phone.get_blank_forms()
        media = phone.forms["diagnosis"]["media"] / "units.csv"
        list_bytes = media.stat().st_size
        with Timer() as list_again:
            status, data = phone.client.get(f"{phone.server_url}/forms/diagnosis/attachments/units.csv")
        assert status == 200 and len(data) == list_bytes

        photos = {"front.jpg": fake_photo(rng, 150_000), "line.jpg": fake_photo(rng, 150_000)}
        answers = diagnosis_answers(rng, unit_status="stalled")
        obstacles = sample_obstacles(rng, 3)
        template = phone.fill("diagnosis", default_template(), answers, unit=units[0], obstacles=obstacles,
                              photos={"photos": list(photos)})

        def submission(unit_id):
            xml = re.sub(rb"uuid:[0-9a-f-]{36}", f"uuid:{uuid.uuid4()}".encode(), template)
            return xml.replace(units[0].encode(), unit_id.encode())

        instances = [submission(rng.choice(units)) for _ in range(args.submissions)]

        def send(xml, errors):
            status, body = phone.send(xml, photos)
            if status != 201:
                errors.append((status, body[:200]))

        with Timer() as odk:
            errors = in_threads(args.senders, instances, send)
        assert not errors, errors[:3]

        tokens = [login(transport, f"pusher{i}") for i in range(args.senders)]
        counters = {t: 10_000_000 for t in tokens}
        lock = threading.Lock()

        def visit(unit_id, shas):
            return {"type": "create_visit", "visit_id": str(uuid.uuid4()), "unit_id": unit_id,
                    "observed_at": "2026-03-01T06:00:00Z", "template": TEMPLATE_REF,
                    "answers": {**answers, "photos": shas}, "obstacles": obstacles}

        def push_one(item, errors):
            token, unit_id = item
            shas = []
            for data in photos.values():
                data = data + uuid.uuid4().bytes  # a photo of its own, as each visit has
                sha = hashlib.sha256(data).hexdigest()
                span = f"bytes 0-{len(data) - 1}/{len(data)}"
                code, answer = transport.request_bytes("PUT", f"/api/v1/attachments/{sha}", data=data, token=token,
                                                       headers={"Content-Range": span})
                if code != 200:
                    errors.append((code, answer))
                shas.append(sha)
            with lock:
                counters[token] += 1
                mutation_id = counters[token]
            status, body = transport.request("POST", "/api/v1/sync/push", token=token, body={
                "mutations": [{**visit(unit_id, shas), "mutation_id": mutation_id}]})
            if status != 200 or body["results"][0]["status"] != "applied":
                errors.append((status, body))

        items = [(tokens[i % len(tokens)], rng.choice(units)) for i in range(args.submissions)]
        by_token = [[it for it in items if it[0] == t] for t in tokens]
        with Timer() as ours:
            errors, threads = [], []
            for chunk in by_token:  # one thread per device: a device sends one push at a time
                threads.append(threading.Thread(target=lambda c=chunk: [push_one(x, errors) for x in c]))
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert not errors, errors[:3]
    finally:
        server.stop()

    n = args.submissions
    print(f"machine: {machine()}, {args.workers} gunicorn workers, {args.senders} senders")
    print(f"units seeded: {args.units} in {seeding.seconds:.1f} s")
    print(f"OpenRosa submissions (visit + 3 obstacles + 2 photos of 150 KB, one POST): "
          f"{n / odk.seconds:.1f}/s ({n} in {odk.seconds:.1f} s)")
    print(f"our protocol, same visits (2 photo PUTs + a push of 1): {n / ours.seconds:.1f}/s "
          f"({n} in {ours.seconds:.1f} s)")
    print(f"entity list of {args.units} units: {list_bytes / 1e6:.2f} MB, first form download with media "
          f"{forms.seconds:.2f} s, the list again {list_again.seconds:.2f} s")


if __name__ == "__main__":
    main()
