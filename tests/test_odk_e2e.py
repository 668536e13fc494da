"""ODK Collect against `fieldsync serve` on 127.0.0.1: JavaRosa fills the generated form, the
submission travels over HTTP as Collect sends it (issue 11)."""

from xml.etree import ElementTree

import pytest

from sync.client import Device, HttpTransport
from sync.sample_visits import diagnosis_answers, sample_obstacles
from sync.templates import default_template
from tests.helpers import PASSWORD, HttpApi, ServerProcess, collect_key, create_users, fake_photo, server_database
from tests.odk.collect import CollectPhone, HttpClient

pytestmark = pytest.mark.slow
TEHRAN = 8


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("odk-e2e")
    server = ServerProcess(folder / "instance").start()
    database = server_database(server)
    create_users(database, [("reza", "engineer", [TEHRAN]), ("omid", "engineer", [TEHRAN]),
                            ("sara", "supervisor", [TEHRAN])])
    yield server, folder, database
    server.stop()


def test_collect_fills_and_sends_a_visit_with_photos_to_a_real_server(served):
    import random

    server, folder, database = served
    phone_of_reza = Device(str(folder / "reza.sqlite"), HttpTransport(server.url))
    phone_of_reza.login("reza", PASSWORD)
    unit = phone_of_reza.create_unit({"name": "کارخانه آجر البرز", "province_id": TEHRAN, "employees": 9})
    phone_of_reza.sync()

    key = collect_key(database, "omid", "Galaxy A14")
    collect = CollectPhone(HttpClient(server.url), f"{server.url}/odk/key/{key}", folder / "collect")
    assert collect.get_blank_forms() == ["diagnosis"]
    units = (collect.forms["diagnosis"]["media"] / "units.csv").read_text()
    assert unit in units

    rng = random.Random(7)
    photos = {"front.jpg": fake_photo(rng, 40_000), "line.jpg": fake_photo(rng, 60_000)}
    xml = collect.fill("diagnosis", default_template(), diagnosis_answers(rng, unit_status="semi_active"), unit=unit,
                       unit_edits={"employees": 11}, obstacles=sample_obstacles(rng, 3),
                       photos={"photos": list(photos)})
    status, _ = collect.client.get(f"{collect.server_url}/submission")  # what Collect asks first
    assert status == 204
    assert collect.send(xml, {"front.jpg": photos["front.jpg"]})[0] == 201
    assert collect.send(xml, {"line.jpg": photos["line.jpg"]})[0] == 201  # the rest, in a second POST
    assert collect.send(xml)[0] == 201  # an answer lost: sent once more
    other = xml.replace(b"<summary>", "<summary>ویرایش ".encode())
    assert collect.send(other)[0] == 409

    sara = HttpApi(server.url, "sara", "console")
    visit = ElementTree.fromstring(xml).findtext("meta/instanceID").removeprefix("uuid:")
    status, detail = sara.get(f"/api/v1/visits/{visit}")
    assert status == 200 and detail["unit_id"] == unit and detail["missing_attachments"] == []
    assert len(detail["photos"]) == 2 and len(detail["obstacles"]) == 3
    assert sara.get("/api/v1/visits", params={"unit_id": unit})[1]["total"] == 1
    assert sara.get(f"/api/v1/units/{unit}")[1]["employees"] == 11
    phone_of_reza.sync()  # the other engineer's phone learns the edit made through Collect
    assert phone_of_reza.units()[unit]["employees"] == 11
    assert "Traceback" not in server.log.read_text(errors="replace")
