"""Dedup against the store: at sync time, in the supervisors' queue, by import and rescan."""

import json

from tests.conftest import TEHRAN

ABBAS_ABAD, SHAMS_ABAD = 108002, 108001  # شهرک صنعتی عباس‌آباد, شهرک صنعتی شمس‌آباد


def record(device, name, **fields):
    return device.create_unit({"name": name, "province_id": TEHRAN, **fields})


def test_same_factory_spelled_differently_becomes_one_unit_on_both_devices(phone, db):
    reza, ali = phone("reza"), phone("ali")
    mine = record(reza, "شرکت صنایع بسته‌بندی البرز", park_id=ABBAS_ABAD, phone="021-44556677")
    theirs = record(ali, "صنايع بسته بندي البرز (سهامی خاص)", park_id=ABBAS_ABAD, phone="+98 21 4455 6677")
    reza.sync()
    [result] = ali.push()
    assert result["status"] == "redirected" and result["unit_id"] == mine
    assert result["dedup"]["status"] == "merged" and result["dedup"]["reason"] == "dedup"
    assert result["dedup"]["score"] > 0
    ali.pull()
    reza.pull()
    assert set(reza.units()) == set(ali.units()) == {mine}
    assert ali.redirects() == {theirs: mine}
    assert db.execute("SELECT count(*) FROM units WHERE merged_into IS NULL").fetchone()[0] == 1
    assert db.execute("SELECT status, source FROM dedup_candidates").fetchall() == [("merged", "sync")]


def test_weaker_evidence_is_queued_for_a_supervisor(phone, supervisor, db):
    reza, ali = phone("reza"), phone("ali")
    # Same name and park, but the phones disagree: maybe one firm, maybe two.
    first = record(reza, "شرکت صنایع بسته‌بندی البرز", park_id=ABBAS_ABAD, phone="021-44556677")
    second = record(ali, "بسته بندی البرز", park_id=ABBAS_ABAD, phone="021-56781234")
    reza.sync()
    [result] = ali.push()
    assert result["status"] == "applied"
    assert result["dedup"]["status"] == "review"
    [candidate_id] = result["dedup"]["candidates"]
    status, page = supervisor.get("/api/v1/duplicates")
    assert status == 200 and page["total"] == 1
    [pair] = page["items"]
    assert {pair["unit_a"], pair["unit_b"]} == {first, second}
    assert pair["features"]["phone"] == "conflict" and pair["reasons"]
    for unit_id in (first, second):  # the pairs one unit is in
        assert [p["id"] for p in supervisor.get("/api/v1/duplicates", params={"unit_id": unit_id})[1]["items"]] \
            == [candidate_id]
    assert supervisor.get("/api/v1/duplicates", params={"unit_id": "another-unit"})[1]["total"] == 0
    status, detail = supervisor.get(f"/api/v1/duplicates/{candidate_id}")
    assert [u["id"] for u in detail["units"]] == [pair["unit_a"], pair["unit_b"]]
    assert detail["fields"]["phone"] == "different" and detail["fields"]["park_id"] == "same"

    status, decided = supervisor.post(f"/api/v1/duplicates/{candidate_id}/decide", {"decision": "merge"})
    assert status == 200 and decided["merge"]["winner_id"] == first
    for device in (reza, ali):
        device.pull()
        assert set(device.units()) == {first}
    assert supervisor.get("/api/v1/duplicates")[1]["total"] == 0
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE entity = 'dedup_candidate'")]
    assert actions == ["dedup.merge"]


def test_not_the_same_is_remembered(phone, supervisor, db):
    reza, ali = phone("reza"), phone("ali")
    record(reza, "شرکت صنایع بسته‌بندی البرز", park_id=ABBAS_ABAD, phone="021-44556677")
    second = record(ali, "بسته بندی البرز", park_id=ABBAS_ABAD, phone="021-56781234")
    reza.sync()
    [result] = ali.push()
    [candidate_id] = result["dedup"]["candidates"]
    assert supervisor.post(f"/api/v1/duplicates/{candidate_id}/decide", {"decision": "distinct"})[0] == 200
    ali.pull()
    ali.update_unit(second, {"activity": "تولید کارتن"})
    [edit] = ali.push()
    assert "dedup" not in edit
    assert supervisor.get("/api/v1/duplicates")[1]["total"] == 0
    assert supervisor.get("/api/v1/duplicates", params={"status": "distinct"})[1]["total"] == 1


def test_unmerge_from_the_queue_restores_and_remembers(phone, supervisor, db):
    reza, ali = phone("reza"), phone("ali")
    mine = record(reza, "شرکت صنایع بسته‌بندی البرز", park_id=ABBAS_ABAD, phone="021-44556677")
    theirs = record(ali, "صنايع بسته بندي البرز", park_id=ABBAS_ABAD, phone="02144556677")
    reza.sync()
    ali.sync()
    [pair] = supervisor.get("/api/v1/duplicates", params={"status": "merged"})[1]["items"]
    status, undone = supervisor.post(f"/api/v1/duplicates/{pair['id']}/decide", {"decision": "unmerge"})
    assert status == 200 and undone["unmerge"]["loser_id"] == theirs
    ali.pull()
    assert set(ali.units()) == {mine, theirs} and ali.redirects() == {}
    # Editing it again does not merge it back.
    ali.update_unit(theirs, {"employees": 9})
    [edit] = ali.push()
    assert edit["status"] == "applied" and "dedup" not in edit


def test_different_valid_legal_ids_never_merge_automatically(phone, db):
    from tests.helpers import legal_id

    reza, ali = phone("reza"), phone("ali")
    record(reza, "شرکت صنایع بسته‌بندی البرز", park_id=ABBAS_ABAD, phone="021-44556677",
           national_id=legal_id("1032045678"))
    record(ali, "صنايع بسته بندي البرز", park_id=ABBAS_ABAD, phone="021-44556677",
           national_id=legal_id("1086099999"))
    reza.sync()
    [result] = ali.push()
    assert result["status"] == "applied"
    assert result["dedup"]["status"] == "review"
    pair = json.loads(db.execute("SELECT reasons FROM dedup_candidates").fetchone()[0])
    assert any("legal" in reason for reason in pair if reason.startswith("hard rule"))


def test_supervisor_queue_is_scoped_and_staff_only(phone, login):
    reza, ali = phone("reza"), phone("ali")
    record(reza, "شرکت صنایع بسته‌بندی البرز", park_id=ABBAS_ABAD, phone="021-44556677")
    record(ali, "بسته بندی البرز", park_id=ABBAS_ABAD, phone="021-56781234")
    reza.sync()
    ali.sync()
    fars = login("fati", "supervisor", [17])
    assert fars.get("/api/v1/duplicates")[1]["total"] == 0
    status, body = login("nima").get("/api/v1/duplicates")
    assert (status, body["error"]["code"]) == (403, "forbidden")


def test_import_loads_and_deduplicates_a_spreadsheet(runner, phone, supervisor, tmp_path, db):
    from openpyxl import Workbook

    reza = phone("reza")
    existing = record(reza, "شرکت صنایع بسته‌بندی البرز", park_id=ABBAS_ABAD, phone="021-44556677")
    reza.sync()
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "name", "province", "park", "phone", "status", "employees"])
    sheet.append(["x1", "صنايع بسته بندي البرز", "استان تهران", "ش.ص عباس آباد", "۰۲۱-۴۴۵۵۶۶۷۷", "راکد", "۱۲"])
    sheet.append(["x2", "کارخانه آجر نسوز پارس", "تهران", "شهرک صنعتی شمس‌آباد", "", "فعال", "40"])
    sheet.append(["x3", "تولیدی بی‌استان", "ناکجاآباد", "", "", "", ""])
    sheet.append(["x4", "آجر نسوز پارس", "تهران", "ش.ص شمس آباد", "", "", ""])
    path = tmp_path / "agency.xlsx"
    book.save(path)
    result = runner.invoke(["units", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Rows: 4; created 3 units, of which 1 merged into existing units and 1 queued for review; " \
           "rejected 1." in result.output
    assert "line 4" in result.output and "province" in result.output
    row = db.execute("SELECT status, employees FROM units WHERE id = ?", [existing]).fetchone()
    assert row == ("stalled", 12)  # the merge took the fresher observations
    assert supervisor.get("/api/v1/duplicates")[1]["total"] == 1
    reza.pull()
    assert existing in reza.units() and len(reza.units()) == 3


def test_import_reads_jsonl_and_csv(runner, db, tmp_path):
    jsonl = tmp_path / "units.jsonl"
    jsonl.write_text('{"name": "صنایع فولاد سپاهان", "province": "اصفهان"}\nnot json\n\n', encoding="utf-8")
    result = runner.invoke(["units", "import", str(jsonl)])
    assert "Rows: 2; created 1 units" in result.output and "line 2" in result.output
    table = tmp_path / "units.csv"
    table.write_text("name,province,city\nتولیدی پوشاک آریا,فارس,شیراز\n", encoding="utf-8")
    result = runner.invoke(["units", "import", str(table)])
    assert "created 1 units" in result.output
    assert db.execute("SELECT count(*) FROM units WHERE city_id IS NOT NULL").fetchone()[0] == 1


def test_rescan_merges_duplicates_already_in_the_store(runner, db, clock, phone, supervisor):
    import uuid

    from sync import units
    from sync.store import write

    # Records loaded before deduplication existed: written without matching.
    with write(db, clock()) as tx:
        ids = [str(uuid.uuid4()) for _ in range(4)]
        for unit_id, name, park, phone_no in (
                (ids[0], "شرکت صنایع بسته‌بندی البرز", ABBAS_ABAD, "021-44556677"),
                (ids[1], "صنايع بسته بندي البرز (سهامی خاص)", ABBAS_ABAD, "+98 21 4455 6677"),
                (ids[2], "بسته بندی البرز", ABBAS_ABAD, "021-56781234"),
                (ids[3], "کارخانه آجر نسوز پارس", SHAMS_ABAD, None)):
            fields = {"name": name, "province_id": TEHRAN, "park_id": park}
            if phone_no:
                fields["phone"] = phone_no
            units.create(tx, unit_id, fields, tx.at)
    result = runner.invoke(["dedup", "--rescan"])
    assert result.exit_code == 0, result.output
    assert "4 live units -> 3 units: merged 1 records, queued 1 pairs for review." in result.output
    assert db.execute("SELECT merged_into FROM units WHERE id = ?", [ids[1]]).fetchone()[0] == ids[0]
    [pair] = supervisor.get("/api/v1/duplicates")[1]["items"]
    assert {pair["unit_a"], pair["unit_b"]} == {ids[0], ids[2]}
    reza = phone("reza")
    reza.pull()
    assert set(reza.units()) == {ids[0], ids[2], ids[3]}
    # Running it again finds nothing new.
    result = runner.invoke(["dedup", "--rescan"])
    assert "3 live units -> 3 units: merged 0 records" in result.output
