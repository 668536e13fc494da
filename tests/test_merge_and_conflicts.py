"""Merging units (and undoing it), and same-field conflicts between devices."""

import uuid

from tests.conftest import FARS, TEHRAN
from tests.helpers import (
    DIAGNOSIS_V1,
    create_unit_mutation,
    diagnosis_answers,
    unit_fields,
    update_unit_mutation,
    visit_mutation,
)


def push(api, *mutations):
    status, body = api.post("/api/v1/sync/push", {"mutations": list(mutations)})
    assert status == 200, body
    return body["results"]


def unit(api, unit_id):
    status, body = api.get(f"/api/v1/units/{unit_id}")
    assert status == 200, body
    return body


def test_supervisor_merge_takes_best_values_and_moves_visits(login, supervisor, db):
    reza, ali = login("reza"), login("ali")
    keep, lose = str(uuid.uuid4()), str(uuid.uuid4())
    push(reza, create_unit_mutation(1, keep, unit_fields(address="خیابان اول"),
                                    observed_at="2026-02-01T08:00:00Z"),
         visit_mutation(2, "v-keep", keep))
    push(ali, create_unit_mutation(1, lose, unit_fields(name="مهر", address="خ. دوم پلاک ۴", phone="09121234567",
                                                        employees=7), observed_at="2026-02-20T08:00:00Z"),
         visit_mutation(2, "v-lose", lose))
    status, merged = supervisor.post("/api/v1/merges", {"winner_id": keep, "loser_id": lose})
    assert status == 200
    assert merged["fields_taken"] == ["address", "employees", "phone"]
    assert merged["visits_moved"] == 1
    survivor = unit(supervisor, keep)
    # Empty fields filled; a filled field takes the fresher observation; the name stays.
    assert survivor["name"] == "شرکت صنایع غذایی مهر"
    assert (survivor["phone"], survivor["employees"], survivor["address"]) == ("09121234567", 7, "خ. دوم پلاک ۴")
    assert unit(supervisor, lose)["merged_into"] == keep
    assert db.execute("SELECT unit_id, original_unit_id FROM visits WHERE id = 'v-lose'").fetchone() == (keep, lose)
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE action LIKE 'unit.merge%'")]
    assert "unit.merge" in actions


def test_unmerge_restores_both_units_and_their_visits(login, supervisor, db):
    reza = login("reza")
    keep, lose = str(uuid.uuid4()), str(uuid.uuid4())
    push(reza, create_unit_mutation(1, keep, unit_fields()),
         create_unit_mutation(2, lose, unit_fields(name="مهر", phone="02144556677")),
         visit_mutation(3, "v-lose", lose))
    before = unit(supervisor, keep)
    supervisor.post("/api/v1/merges", {"winner_id": keep, "loser_id": lose})
    status, undone = supervisor.post(f"/api/v1/units/{lose}/unmerge")
    assert status == 200 and undone["fields_restored"] == ["phone"] and undone["visits_moved_back"] == 1
    after = unit(supervisor, keep)
    assert after["phone"] is None and after["name"] == before["name"]
    assert unit(supervisor, lose)["merged_into"] is None
    assert db.execute("SELECT unit_id FROM visits WHERE id = 'v-lose'").fetchone()[0] == lose
    # Later pushes naming the unmerged unit land on it again.
    result = push(reza, update_unit_mutation(4, lose, {"status": "closed"}))[0]
    assert (result["status"], result["unit_id"]) == ("applied", lose)
    # Undoing twice is a clear conflict.
    status, body = supervisor.post(f"/api/v1/units/{lose}/unmerge")
    assert status == 409 and body["error"]["code"] == "conflict"


def test_unmerge_keeps_values_changed_since_the_merge(login, supervisor):
    reza = login("reza")
    keep, lose = str(uuid.uuid4()), str(uuid.uuid4())
    push(reza, create_unit_mutation(1, keep, unit_fields()),
         create_unit_mutation(2, lose, unit_fields(phone="02144556677")))
    supervisor.post("/api/v1/merges", {"winner_id": keep, "loser_id": lose})
    push(reza, update_unit_mutation(3, keep, {"phone": "02188776655"}, base_seq=unit(reza, keep)["seq"]))
    status, undone = supervisor.post(f"/api/v1/units/{lose}/unmerge")
    assert undone["fields_restored"] == []
    assert unit(supervisor, keep)["phone"] == "02188776655"


def test_chained_merges_flatten_redirects(engineer, supervisor, db):
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    names = ("کارخانه آجر البرز", "تولیدی پوشاک آریا", "صنایع فولاد سپاهان")
    push(engineer, *[create_unit_mutation(i + 1, u, unit_fields(name=names[i])) for i, u in enumerate((a, b, c))])
    supervisor.post("/api/v1/merges", {"winner_id": b, "loser_id": a})
    supervisor.post("/api/v1/merges", {"winner_id": c, "loser_id": b})
    assert dict(db.execute("SELECT from_id, to_id FROM redirects").fetchall()) == {a: c, b: c}
    result = push(engineer, update_unit_mutation(10, a, {"employees": 3}))[0]
    assert (result["unit_id"], result["redirected_from"]) == (c, a)


def test_merge_rules(login, supervisor):
    reza, farid = login("reza"), login("farid", provinces=[FARS])
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    push(reza, create_unit_mutation(1, mine, unit_fields()))
    push(farid, create_unit_mutation(1, theirs, unit_fields(province_id=FARS)))
    status, body = supervisor.post("/api/v1/merges", {"winner_id": mine, "loser_id": mine})
    assert status == 422
    # Units of another province look unknown, rather than revealing that they exist.
    status, body = supervisor.post("/api/v1/merges", {"winner_id": mine, "loser_id": theirs})
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = reza.post("/api/v1/merges", {"winner_id": mine, "loser_id": theirs})
    assert (status, body["error"]["code"]) == (403, "forbidden")


def test_edits_to_different_fields_merge_silently(login, db):
    reza, ali = login("reza"), login("ali")
    u = str(uuid.uuid4())
    push(reza, create_unit_mutation(1, u, unit_fields()))
    seq = unit(reza, u)["seq"]
    assert push(reza, update_unit_mutation(2, u, {"status": "stalled"}, base_seq=seq))[0]["status"] == "applied"
    assert push(ali, update_unit_mutation(1, u, {"employees": 4}, base_seq=seq))[0]["status"] == "applied"
    current = unit(reza, u)
    assert (current["status"], current["employees"]) == ("stalled", 4)
    assert db.execute("SELECT count(*) FROM conflicts").fetchone()[0] == 0


def test_same_field_edits_keep_the_later_observation_and_record_a_conflict(login, supervisor, db):
    reza, ali = login("reza"), login("ali")
    u = str(uuid.uuid4())
    push(reza, create_unit_mutation(1, u, unit_fields()))
    seq = unit(reza, u)["seq"]
    # Ali observed later but syncs first; Reza's older observation arrives second and loses.
    push(ali, update_unit_mutation(1, u, {"employees": 15}, base_seq=seq, observed_at="2026-03-01T06:20:00Z"))
    result = push(reza, update_unit_mutation(2, u, {"employees": 11}, base_seq=seq,
                                             observed_at="2026-03-01T06:10:00Z"))[0]
    assert result["status"] == "conflict"
    [note] = result["conflicts"]
    assert (note["field"], note["yours"], note["theirs"], note["kept"]) == ("employees", 11, 15, "theirs")
    assert unit(reza, u)["employees"] == 15
    status, page = supervisor.get("/api/v1/conflicts", params={"status": "open"})
    [conflict] = page["items"]
    assert (conflict["kept_value"], conflict["other_value"]) == (15, 11)
    assert conflict["kept_device_id"] == ali.device_id and conflict["other_device_id"] == reza.device_id
    # The supervisor flips it: the other value is applied through the write path.
    status, resolved = supervisor.post(f"/api/v1/conflicts/{conflict['id']}/resolve", {"decision": "flip"})
    assert status == 200 and resolved["status"] == "flipped"
    assert unit(reza, u)["employees"] == 11
    status, body = supervisor.post(f"/api/v1/conflicts/{conflict['id']}/resolve", {"decision": "confirm"})
    assert status == 409


def test_a_later_observation_arriving_second_wins(login, supervisor):
    reza, ali = login("reza"), login("ali")
    u = str(uuid.uuid4())
    push(reza, create_unit_mutation(1, u, unit_fields()))
    seq = unit(reza, u)["seq"]
    push(ali, update_unit_mutation(1, u, {"status": "active"}, base_seq=seq, observed_at="2026-03-01T06:00:00Z"))
    result = push(reza, update_unit_mutation(2, u, {"status": "closed"}, base_seq=seq,
                                             observed_at="2026-03-01T06:05:00Z"))[0]
    assert result["status"] == "conflict" and result["conflicts"][0]["kept"] == "yours"
    assert unit(reza, u)["status"] == "closed"
    _, page = supervisor.get("/api/v1/conflicts")
    assert page["items"][0]["status"] == "open"
    assert supervisor.post(f"/api/v1/conflicts/{page['items'][0]['id']}/resolve",
                           {"decision": "confirm"})[1]["status"] == "confirmed"
    assert unit(reza, u)["status"] == "closed"


def test_a_device_editing_its_own_field_twice_is_no_conflict(engineer, db):
    u = str(uuid.uuid4())
    push(engineer, create_unit_mutation(1, u, unit_fields()), update_unit_mutation(2, u, {"employees": 3}),
         update_unit_mutation(3, u, {"employees": 4}))
    assert db.execute("SELECT employees FROM units").fetchone()[0] == 4
    assert db.execute("SELECT count(*) FROM conflicts").fetchone()[0] == 0


def test_supervisors_see_conflicts_of_their_provinces_only(login):
    tehran_sup = login("sara", "supervisor", [TEHRAN])
    fars_sup = login("fati", "supervisor", [FARS])
    reza, ali = login("reza"), login("ali")
    u = str(uuid.uuid4())
    push(reza, create_unit_mutation(1, u, unit_fields()))
    push(ali, update_unit_mutation(1, u, {"employees": 1}, base_seq=0))
    push(reza, update_unit_mutation(2, u, {"employees": 2}, base_seq=0, observed_at="2026-03-01T06:00:00Z"))
    assert tehran_sup.get("/api/v1/conflicts")[1]["total"] == 1
    assert fars_sup.get("/api/v1/conflicts")[1]["total"] == 0


def test_a_flip_never_overwrites_a_value_observed_after_the_conflict(login, supervisor):
    reza, ali = login("reza"), login("ali")
    u = str(uuid.uuid4())
    push(reza, create_unit_mutation(1, u, unit_fields()))
    seq = unit(reza, u)["seq"]
    push(ali, update_unit_mutation(1, u, {"employees": 15}, base_seq=seq, observed_at="2026-03-01T06:20:00Z"))
    push(reza, update_unit_mutation(2, u, {"employees": 11}, base_seq=seq, observed_at="2026-03-01T06:10:00Z"))
    # A week later Ali counts again, having pulled the unit.
    push(ali, update_unit_mutation(2, u, {"employees": 18}, base_seq=unit(ali, u)["seq"],
                                   observed_at="2026-03-08T06:00:00Z"))
    [conflict] = supervisor.get("/api/v1/conflicts")[1]["items"]
    status, body = supervisor.post(f"/api/v1/conflicts/{conflict['id']}/resolve", {"decision": "flip"})
    assert (status, body["error"]["code"], body["error"]["details"]) == (409, "conflict", {"current": 18})
    assert unit(reza, u)["employees"] == 18
    status, body = supervisor.post(f"/api/v1/conflicts/{conflict['id']}/resolve", {"decision": "confirm"})
    assert (status, body["status"]) == (200, "confirmed")


def test_an_unmerged_pair_with_the_same_legal_id_stays_apart_when_edited_again(login, supervisor, db):
    from tests.helpers import legal_id

    reza, ali = login("reza"), login("ali")
    nid = legal_id("1032045678")
    older, newer = str(uuid.uuid4()), str(uuid.uuid4())
    push(reza, create_unit_mutation(1, older, unit_fields(national_id=nid)))
    assert push(ali, create_unit_mutation(1, newer, unit_fields(name="مهر", national_id=nid)))[0][
        "status"] == "redirected"
    # The supervisor knows better: two firms (one mistyped its id), and says so by unmerging.
    assert supervisor.post(f"/api/v1/units/{newer}/unmerge")[0] == 200
    for api, mutation_id, unit_id in ((ali, 2, newer), (reza, 2, older)):
        [result] = push(api, update_unit_mutation(mutation_id, unit_id, {"employees": 7}))
        assert (result["status"], result["unit_id"]) == ("applied", unit_id)
    assert db.execute("SELECT count(*) FROM units WHERE merged_into IS NULL").fetchone()[0] == 2


def test_a_visit_recorded_on_a_merged_unit_goes_back_to_it_on_unmerge(phone, supervisor, db):
    device = phone("reza")
    keep, lose = (device.create_unit(unit_fields(name=name)) for name in ("صنایع غذایی مهر", "بسته‌بندی آریا"))
    device.sync()
    status, _ = supervisor.post("/api/v1/merges", {"winner_id": keep, "loser_id": lose})
    assert status == 200
    # The engineer, still offline since the merge, visits the factory the phone knows as `lose`.
    visit = device.record_visit(lose, diagnosis_answers(), template=DIAGNOSIS_V1)
    device.push()
    assert device.acked()[3]["status"] == "redirected", device.acked()[3]
    assert device.acked()[3]["unit_id"] == keep
    status, undone = supervisor.post(f"/api/v1/units/{lose}/unmerge")
    assert status == 200 and undone["visits_moved_back"] == 1
    assert supervisor.get(f"/api/v1/visits/{visit}")[1]["unit_id"] == lose
    device.sync()
    assert device.visits()[visit]["unit_id"] == lose


def test_a_merge_that_takes_no_field_stamps_the_survivor_with_its_change(login, supervisor):
    reza = login("reza")
    keep, lose = str(uuid.uuid4()), str(uuid.uuid4())
    push(reza, create_unit_mutation(1, keep, unit_fields(phone="02144556677")),
         create_unit_mutation(2, lose, unit_fields(name="مهر")))
    before = unit(supervisor, keep)["seq"]
    supervisor.post("/api/v1/merges", {"winner_id": keep, "loser_id": lose})
    merged = unit(supervisor, keep)
    assert merged["seq"] > before
    # Pull hands out the survivor with the seq of its latest change, as for any other change.
    status, page = reza.get("/api/v1/sync/pull")
    pulled = {u["id"]: u for u in page["units"]}
    assert pulled[keep]["seq"] == merged["seq"]
