"""The reference device client: what it keeps locally once the server has answered."""

import uuid

import pytest

from sync.client import TransportError
from sync.sample_visits import TEMPLATE_REF as TEMPLATE
from tests.helpers import all_pages, diagnosis_answers, unit_fields


def server_units(api) -> dict:
    return {u["id"]: u for u in all_pages(api, "/api/v1/units")}


def local_equals_server(device, api) -> None:
    server = server_units(api)
    local = device.units()
    assert set(local) == set(server)
    for unit_id, unit in server.items():
        assert {k: local[unit_id].get(k) for k in unit} == unit, unit_id


def test_a_rejected_new_unit_and_its_visit_leave_no_local_copy(phone, supervisor):
    device = phone("reza")
    ghost = device.create_unit({"name": "", "province_id": 8})  # blank name: rejected
    visit = device.record_visit(ghost, diagnosis_answers(), template=TEMPLATE)
    kept = device.create_unit(unit_fields(employees=3))
    device.sync()
    assert [r["mutation"]["type"] for r in device.rejected()] == ["create_unit", "create_visit"]
    assert set(device.units()) == {kept}
    assert visit not in device.visits()
    local_equals_server(device, supervisor)


def test_a_rejected_edit_is_undone_locally_even_if_the_unit_never_changes_again(phone, supervisor):
    device = phone("reza")
    unit = device.create_unit(unit_fields(employees=3, owner="رضایی"))
    device.sync()
    device.update_unit(unit, {"employees": -5})  # refused by the server: the unit does not change
    device.sync()
    assert [r["mutation_id"] for r in device.rejected()] == [2]
    assert device.unit(unit)["employees"] == 3
    local_equals_server(device, supervisor)
    device.update_unit(unit, {"owner": "کریمی"})
    device.update_unit(unit, {"employees": -6})
    device.update_unit(unit, {"activity": "بسته‌بندی"})
    device.push()  # the edits around the rejected one stay in the local copy before the pull
    assert (device.unit(unit)["employees"], device.unit(unit)["owner"], device.unit(unit)["activity"]) == (
        3, "کریمی", "بسته‌بندی")
    device.pull()
    local_equals_server(device, supervisor)


def test_an_edit_rejected_in_the_batch_that_created_the_unit_keeps_the_unit(phone, supervisor):
    device = phone("reza")
    unit = device.create_unit(unit_fields(employees=3))
    device.update_unit(unit, {"status": "asleep"})  # not a status
    device.push()  # before any pull: the unit exists only as the device's own accepted create
    assert device.unit(unit)["employees"] == 3 and device.unit(unit).get("status") is None
    device.pull()
    local_equals_server(device, supervisor)


def test_an_edit_of_a_unit_the_server_does_not_know_leaves_no_local_copy(phone, supervisor):
    device = phone("reza")
    stranger = str(uuid.uuid4())
    device.update_unit(stranger, {"employees": 4})
    device.sync()
    assert device.rejected()[0]["error"]["code"] == "not_found"
    assert stranger not in device.units()
    local_equals_server(device, supervisor)


def test_a_batch_refused_as_too_large_is_sent_in_smaller_ones(app, phone, supervisor):
    device = phone("reza")
    app.config["MAX_BATCH_MUTATIONS"] = 3
    created = [device.create_unit(unit_fields(name=f"واحد {i}")) for i in range(7)]
    device.sync()
    assert device.outbox_size() == 0 and set(device.units()) == set(created)
    app.config["MAX_BATCH_MUTATIONS"] = 500
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_REQUEST_BYTES"] = 1000  # three or four edits per request
    for unit_id in created:
        device.update_unit(unit_id, {"address": "خیابان آزادی، کوچه ۱۲، پلاک ۴"})
    device.sync()
    assert device.rejected() == [] and device.outbox_size() == 0
    local_equals_server(device, supervisor)


def test_a_merged_new_unit_still_queued_does_not_overwrite_the_survivor(phone, client):
    """Found by the sync property test: two new units with one legal id, pushed with the
    answer lost, then a pull: the second (merged into the first on the server) was put on top
    of the survivor as if its fields were edits of it."""
    from tests.helpers import LoseResponses, legal_id

    device = phone("reza")
    nid = legal_id("1032045678")
    first = device.create_unit({"name": "شرکت صنایع غذایی مهر", "province_id": 8, "national_id": nid, "employees": 40})
    device.create_unit({"name": "شرکت صنایع غذایی مهر", "province_id": 8, "national_id": nid, "employees": 35})
    online = device.transport
    device.transport = LoseResponses(online)
    with pytest.raises(TransportError):
        device.push()
    device.transport = online
    device.pull()
    assert device.units()[first]["employees"] == 40
    device.sync()
    assert device.units()[first]["employees"] == 40 and device.outbox_size() == 0
