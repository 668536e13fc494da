"""Push: one transaction per batch, one savepoint per mutation, exactly-once answers."""

import hashlib
import json
import uuid

from sync.sample_visits import diagnosis_answers
from tests.conftest import FARS, TEHRAN
from tests.helpers import (
    create_unit_mutation,
    legal_id,
    table_counts,
    unit_fields,
    update_unit_mutation,
    visit_mutation,
)


def push(api, *mutations):
    return api.post("/api/v1/sync/push", {"mutations": list(mutations)})


def new_id():
    return str(uuid.uuid4())


def test_create_unit_and_visit_are_applied(engineer, db):
    unit, visit = new_id(), new_id()
    status, body = push(engineer, create_unit_mutation(1, unit, unit_fields(employees=12)),
                        visit_mutation(2, visit, unit))
    assert status == 200
    assert [(r["mutation_id"], r["status"]) for r in body["results"]] == [(1, "applied"), (2, "applied")]
    assert body["results"][0]["unit_id"] == unit
    assert body["results"][1]["visit_id"] == visit
    row = db.execute("SELECT name, employees, created_by FROM units WHERE id = ?", [unit]).fetchone()
    assert row == ("شرکت صنایع غذایی مهر", 12, engineer.user["id"])
    assert db.execute("SELECT unit_id, review_state FROM visits WHERE id = ?", [visit]).fetchone() == (
        unit, "submitted")


def test_retried_batch_returns_same_results_and_changes_nothing(engineer, db):
    unit = new_id()
    batch = [create_unit_mutation(1, unit, unit_fields()), visit_mutation(2, new_id(), unit),
             update_unit_mutation(3, unit, {"status": "stalled"})]
    _, first = push(engineer, *batch)
    before = table_counts(db)
    _, again = push(engineer, *batch)
    assert table_counts(db) == before
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 3
    for original, repeat in zip(first["results"], again["results"], strict=True):
        assert repeat["first_status"] == original["status"]
        assert {k: v for k, v in repeat.items() if k not in ("status", "first_status")} == {
            k: v for k, v in original.items() if k != "status"}


def test_rejected_mutation_is_dead_lettered_and_does_not_block_the_rest(engineer, supervisor, db):
    good, bad = new_id(), new_id()
    status, body = push(engineer,
                        create_unit_mutation(1, bad, {"name": "", "province_id": TEHRAN, "employees": -3}),
                        create_unit_mutation(2, good, unit_fields()))
    assert status == 200
    rejected, applied = body["results"]
    assert rejected["status"] == "rejected"
    assert rejected["error"]["code"] == "validation_failed"
    assert set(rejected["error"]["details"]["fields"]) == {"fields.name", "fields.employees"}
    assert applied["status"] == "applied"
    assert db.execute("SELECT count(*) FROM units WHERE id = ?", [bad]).fetchone()[0] == 0
    status, letters = supervisor.get("/api/v1/dead-letters")
    assert status == 200
    assert letters["total"] == 1
    letter = letters["items"][0]
    assert letter["mutation_id"] == 1 and letter["mutation"]["unit_id"] == bad
    assert letter["error"]["code"] == "validation_failed"


def test_visit_for_unit_out_of_scope_is_rejected_with_nothing_written(login, db):
    fars = login("farid", "engineer", [FARS])
    tehran = login("reza", "engineer", [TEHRAN])
    unit = new_id()
    assert push(fars, create_unit_mutation(1, unit, unit_fields(province_id=FARS)))[1]["results"][0][
        "status"] == "applied"
    before = table_counts(db)
    status, body = push(tehran, visit_mutation(1, new_id(), unit))
    assert status == 200
    result = body["results"][0]
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "out_of_scope"
    after = table_counts(db)
    # Only the ledger, the dead letter and its audit line: no visit, no change.
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {
        "mutations": 1, "dead_letters": 1, "audit_log": 1}


def test_creating_a_unit_outside_own_provinces_is_rejected(engineer):
    _, body = push(engineer, create_unit_mutation(1, new_id(), unit_fields(province_id=FARS)))
    assert body["results"][0]["status"] == "rejected"
    assert body["results"][0]["error"]["details"]["fields"] == {"fields.province_id": ["Outside your provinces."]}


def test_city_and_park_must_lie_in_the_province(engineer):
    _, body = push(engineer, create_unit_mutation(1, new_id(), unit_fields(city_id=17001, park_id=999999)))
    fields = body["results"][0]["error"]["details"]["fields"]
    assert set(fields) == {"fields.city_id", "fields.park_id"}


def test_same_valid_legal_id_in_same_province_merges_into_existing(login, db):
    first, second = login("reza", provinces=[TEHRAN]), login("ali", provinces=[TEHRAN])
    nid = legal_id("1032045678")
    older, newer = new_id(), new_id()
    push(first, create_unit_mutation(1, older, unit_fields(national_id=nid)))
    _, body = push(second, create_unit_mutation(1, newer, unit_fields(name="صنايع غذايي مهر", national_id=nid,
                                                                       phone="021-44556677")),
                   visit_mutation(2, new_id(), newer))
    created, visit = body["results"]
    assert created["status"] == "redirected"
    assert created["unit_id"] == older and created["redirected_from"] == newer
    assert visit["status"] == "redirected" and visit["unit_id"] == older
    assert db.execute("SELECT merged_into FROM units WHERE id = ?", [newer]).fetchone()[0] == older
    # The survivor took the field it lacked.
    assert db.execute("SELECT phone FROM units WHERE id = ?", [older]).fetchone()[0] == "021-44556677"


def test_same_legal_id_in_another_province_does_not_merge(login, db):
    tehran, fars = login("reza", provinces=[TEHRAN]), login("farid", provinces=[FARS])
    nid = legal_id("1086099999")
    push(tehran, create_unit_mutation(1, new_id(), unit_fields(national_id=nid)))
    _, body = push(fars, create_unit_mutation(1, new_id(), unit_fields(province_id=FARS, national_id=nid)))
    assert body["results"][0]["status"] == "applied"
    assert db.execute("SELECT count(*) FROM units WHERE merged_into IS NULL").fetchone()[0] == 2


def test_invalid_legal_id_is_kept_flagged_and_not_merged(login, db):
    first, second = login("reza"), login("ali")
    bad = "10101234567"  # wrong check digit
    push(first, create_unit_mutation(1, new_id(), unit_fields(name="کارخانه آجر البرز", national_id=bad)))
    _, body = push(second, create_unit_mutation(1, new_id(), unit_fields(name="تولیدی پوشاک آریا", national_id=bad)))
    assert body["results"][0]["status"] == "applied"
    assert db.execute("SELECT national_id, national_id_valid FROM units").fetchall() == [(bad, 0), (bad, 0)]


def test_mutation_ids_must_increase_within_a_batch(engineer, db):
    before = table_counts(db)
    status, body = push(engineer, create_unit_mutation(2, new_id(), unit_fields()),
                        create_unit_mutation(1, new_id(), unit_fields()))
    assert status == 422
    assert body["error"]["code"] == "validation_failed"
    assert table_counts(db) == before


def test_an_older_mutation_id_not_seen_before_is_rejected(engineer):
    push(engineer, create_unit_mutation(5, new_id(), unit_fields()))
    _, body = push(engineer, create_unit_mutation(3, new_id(), unit_fields()))
    assert body["results"][0]["status"] == "rejected"
    assert "mutation_id" in body["results"][0]["error"]["details"]["fields"]


def test_a_reused_mutation_id_with_other_content_is_refused_not_applied(engineer, db):
    push(engineer, create_unit_mutation(1, new_id(), unit_fields()))
    other = new_id()
    _, body = push(engineer, create_unit_mutation(1, other, unit_fields(name="دیگر")))
    assert body["results"][0]["status"] == "rejected"
    assert body["results"][0]["error"]["code"] == "conflict"
    assert db.execute("SELECT count(*) FROM units WHERE id = ?", [other]).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 1


def test_a_resent_batch_with_a_reused_mutation_id_gets_the_same_answer_and_changes_nothing(engineer, db):
    push(engineer, create_unit_mutation(1, new_id(), unit_fields()))
    reused = create_unit_mutation(1, new_id(), unit_fields(name="دیگر"))
    _, first = push(engineer, reused)
    before = table_counts(db)
    _, again = push(engineer, reused)
    assert again["results"] == first["results"]
    assert table_counts(db) == before
    assert db.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 1


def test_visits_are_immutable_once_received(engineer, db):
    unit, visit = new_id(), new_id()
    push(engineer, create_unit_mutation(1, unit, unit_fields()), visit_mutation(2, visit, unit))
    _, body = push(engineer, visit_mutation(3, visit, unit, answers=diagnosis_answers(unit_status="closed")))
    assert body["results"][0]["status"] == "rejected"
    assert body["results"][0]["error"]["details"]["fields"] == {"visit_id": ["Already used by another visit."]}
    # The same visit resent under a new mutation id (a reinstalled app) is accepted as is.
    _, body = push(engineer, visit_mutation(4, visit, unit))
    assert body["results"][0]["status"] == "applied"
    assert db.execute("SELECT count(*) FROM visit_versions WHERE visit_id = ?", [visit]).fetchone()[0] == 1


def test_future_observation_times_are_clamped_to_receipt(engineer, db, clock):
    unit = new_id()
    push(engineer, create_unit_mutation(1, unit, unit_fields()),
         visit_mutation(2, new_id(), unit, observed_at="2030-01-01T00:00:00Z"))
    observed, sent, received = db.execute(
        "SELECT observed_at, observed_at_device, received_at FROM visits").fetchone()
    assert sent == "2030-01-01T00:00:00.000Z"
    assert observed == received == "2026-03-01T06:30:00.000Z"


def test_small_future_skew_is_tolerated(engineer, db):
    unit = new_id()
    push(engineer, create_unit_mutation(1, unit, unit_fields()),
         visit_mutation(2, new_id(), unit, observed_at="2026-03-01T06:33:00Z"))
    assert db.execute("SELECT observed_at FROM visits").fetchone()[0] == "2026-03-01T06:33:00.000Z"


def test_batch_too_large_gets_413_with_limits(app, engineer, db):
    app.config["MAX_BATCH_MUTATIONS"] = 3
    before = table_counts(db)
    status, body = push(engineer, *[create_unit_mutation(i, new_id(), unit_fields()) for i in range(1, 5)])
    assert status == 413
    assert body["error"]["code"] == "batch_too_large"
    assert body["error"]["details"] == {"max_mutations": 3, "mutations": 4}
    assert table_counts(db) == before


def test_update_of_a_merged_unit_is_redirected(login, supervisor, db):
    first, second = login("reza"), login("ali")
    keep, lose = new_id(), new_id()
    push(first, create_unit_mutation(1, keep, unit_fields()))
    push(second, create_unit_mutation(1, lose, unit_fields(name="مهر")))
    assert supervisor.post("/api/v1/merges", {"winner_id": keep, "loser_id": lose})[0] == 200
    _, body = push(second, update_unit_mutation(2, lose, {"activity": "تولید رب گوجه"}))
    result = body["results"][0]
    assert (result["status"], result["unit_id"], result["redirected_from"]) == ("redirected", keep, lose)
    assert db.execute("SELECT activity FROM units WHERE id = ?", [keep]).fetchone()[0] == "تولید رب گوجه"


def test_every_mutation_is_audited_with_user_and_device(engineer, db):
    unit = new_id()
    push(engineer, create_unit_mutation(1, unit, unit_fields()))
    row = db.execute("SELECT user_id, device_id, action FROM audit_log WHERE entity_id = ?", [unit]).fetchone()
    assert row == (engineer.user["id"], engineer.device_id, "unit.create")


# Ledger fingerprints and stored contents written before orjson (sync/jsontext.py) differ
# from today's for some values: the standard library writes 1e-07 where orjson writes 1e-7,
# and it wrote a visit's content with spaces after "," and ":". A store upgraded in place
# must still recognise what those rows recorded.

def _before_orjson_hash(mutation: dict) -> str:
    """The ledger's fingerprint as servers before orjson wrote it."""
    text = json.dumps(mutation, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _tiny_capacity_visit(mutation_id, unit, visit=None, **answers):
    return visit_mutation(mutation_id, visit or new_id(), unit,
                          answers=diagnosis_answers(capacity_utilisation=1e-07, **answers))


def test_a_retry_of_a_mutation_acknowledged_before_orjson_is_still_a_duplicate(engineer, db):
    unit = new_id()
    batch = [create_unit_mutation(1, unit, unit_fields()), _tiny_capacity_visit(2, unit)]
    _, first = push(engineer, *batch)
    assert [r["status"] for r in first["results"]] == ["applied", "applied"]
    with db.conn:  # the rows as the server before the upgrade left them
        for mutation in batch:
            db.execute("UPDATE mutations SET body_hash = ? WHERE mutation_id = ?",
                       [_before_orjson_hash(mutation), mutation["mutation_id"]])
    before = table_counts(db)
    _, again = push(engineer, *batch)
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert table_counts(db) == before


def test_a_mutation_retried_beside_a_nan_is_still_a_duplicate(engineer, db):
    # A batch holding NaN is fingerprinted the old way; the same mutation acknowledged in a
    # clean batch was fingerprinted by orjson, and 1e-07 is written differently by the two.
    unit = new_id()
    visit = _tiny_capacity_visit(2, unit)
    push(engineer, create_unit_mutation(1, unit, unit_fields()), visit)
    hostile = update_unit_mutation(3, unit, {"employees": float("nan")})
    before = table_counts(db)
    _, again = push(engineer, visit, hostile)
    assert [r["status"] for r in again["results"]] == ["duplicate", "rejected"]
    assert table_counts(db)["visits"] == before["visits"]
    assert table_counts(db)["mutations"] == before["mutations"] + 1


def test_a_mutation_id_reused_with_null_where_nan_was_is_other_content(engineer, db):
    # orjson writes NaN as null: were the NaN batch fingerprinted by orjson, this second
    # mutation would pass for a retry of the first and get its answer back.
    unit = new_id()
    push(engineer, create_unit_mutation(1, unit, unit_fields()))
    with_nan = update_unit_mutation(2, unit, {"employees": float("nan")})
    _, first = push(engineer, with_nan)
    assert first["results"][0]["status"] == "rejected"
    _, second = push(engineer, {**with_nan, "fields": {"employees": None}})
    assert second["results"][0]["status"] == "rejected"
    assert second["results"][0]["error"]["code"] == "conflict"


def test_a_visit_stored_before_orjson_is_recognised_when_sent_again(engineer, db):
    # A reinstalled app sends the same visit under a new mutation id: it is compared with
    # the stored content's text, which servers before orjson wrote with spaces.
    unit, visit_id = new_id(), new_id()
    push(engineer, create_unit_mutation(1, unit, unit_fields()), _tiny_capacity_visit(2, unit, visit_id))
    (text,) = db.execute("SELECT content FROM visit_versions").fetchone()
    with db.conn:
        db.execute("UPDATE visit_versions SET content = ?",
                   [json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False)])
    before = table_counts(db)
    _, again = push(engineer, _tiny_capacity_visit(10, unit, visit_id))
    assert again["results"][0]["status"] == "applied" and again["results"][0]["visit_id"] == visit_id
    _, other = push(engineer, _tiny_capacity_visit(11, unit, visit_id, unit_status="closed"))
    assert other["results"][0]["error"]["code"] == "conflict"
    assert table_counts(db)["visit_versions"] == before["visit_versions"]
