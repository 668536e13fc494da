"""ODK Collect through OpenRosa: forms from templates, media, submissions, keys (issue 11).

Forms are filled by JavaRosa — the engine inside Collect — through tests/odk/collect.py,
over the app's test client; tests/test_odk_e2e.py does the same against `fieldsync serve`.
"""

import json
import re
import uuid
from xml.etree import ElementTree

import pytest

from sync.odk import keys, xforms, xlsform
from sync.sample_visits import diagnosis_answers, sample_obstacles
from sync.store import write
from sync.taxonomy import default_taxonomy
from sync.templates import default_template
from tests.checklist_helpers import MINI
from tests.conftest import FARS, TEHRAN
from tests.helpers import create_unit_mutation, legal_id, unit_fields, update_unit_mutation
from tests.odk.collect import CollectPhone, FlaskClient, java_tools
from tests.test_templates import ALL_TYPES

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01" + bytes(range(256)) * 30
NS = {"x": "http://openrosa.org/xforms/xformsList", "m": "http://openrosa.org/xforms/xformsManifest",
      "r": "http://openrosa.org/http/response"}

# Conditions of every kind a template has, for ODK Validate (and the way back from XLSForm).
CONDITIONS = {
    "code": "conditions", "version": 3, "title": {"fa": "شرط‌ها", "en": "Conditions"},
    "description": {"fa": "همه شرط‌ها", "en": "Every condition"},
    "sections": [{"key": "a", "title": {"fa": "الف"}, "questions": [
        {"key": "works", "type": "yes_no", "label": {"fa": "کار می‌کند؟"}, "required": True},
        {"key": "count", "type": "integer", "label": {"fa": "تعداد"}, "min": 1, "max": 9,
         "show_if": {"question": "works", "equals": True}},
        {"key": "kinds", "type": "select_multiple", "label": {"fa": "نوع"},
         "choices": [{"value": "x", "label": {"fa": "ایکس"}}, {"value": "y", "label": {"fa": "ایگرگ"}}]},
        {"key": "why_x", "type": "text", "label": {"fa": "چرا"}, "max_length": 50,
         "show_if": {"question": "kinds", "in": ["x"]}},
        {"key": "exactly", "type": "text", "label": {"fa": "وقتی سه"}, "show_if": {"question": "count", "equals": 3}},
        {"key": "when", "type": "date", "label": {"fa": "کی"}, "min": "2000-01-01", "max": "visit_date"},
        {"key": "after", "type": "text", "label": {"fa": "بعد"},
         "show_if": {"question": "when", "equals": "2024-01-01"}},
        {"key": "share", "type": "decimal", "label": {"fa": "سهم"}, "min": 0, "max": 99.5, "help": {"fa": "درصد"}},
    ]}],
}


def openrosa(response):
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert int(response.headers["X-OpenRosa-Accept-Content-Length"]) > 1_000_000
    return ElementTree.fromstring(response.data)


@pytest.fixture
def collect(app, db, clock, client, make_user, tmp_path):
    """``collect("reza")``: a Collect phone of a new engineer, its forms and media fetched."""

    def make(username, provinces=(TEHRAN,)):
        user = make_user(username, "engineer", provinces)
        with write(db, clock()) as tx:
            _, key = keys.issue(tx, user["id"], f"{username}'s phone")
        phone = CollectPhone(FlaskClient(client), keys.server_url("http://localhost", key), tmp_path / username)
        phone.key, phone.user = key, user
        phone.get_blank_forms()
        return phone

    return make


def unit_on_server(api, mutation_id=1, **fields) -> str:
    unit_id = str(uuid.uuid4())
    status, body = api.post("/api/v1/sync/push", {"mutations": [
        create_unit_mutation(mutation_id, unit_id, unit_fields(**fields))]})
    assert status == 200 and body["results"][0]["status"] in ("applied", "redirected"), body
    return unit_id


def visits_of(db, unit_id):
    return db.execute("SELECT id, version, review_state FROM visits WHERE unit_id = ?", [unit_id]).fetchall()


def test_every_template_compiles_to_an_xform_that_passes_odk_validate():
    java_tools()  # Debian's Java, installed when missing
    taxonomy = default_taxonomy()
    built = [xforms.build(t, taxonomy) for t in (default_template(), MINI, ALL_TYPES, CONDITIONS)]
    ok, report = xforms.validate([x.xml for x in built])
    assert ok, report
    assert report.count("Xform is valid") == 4


@pytest.mark.parametrize("template", [default_template(), MINI, ALL_TYPES, CONDITIONS],
                         ids=["diagnosis", "mini", "all_types", "conditions"])
def test_a_template_read_back_from_its_xlsform_is_the_same(template):
    data = xforms.xlsx_of(template, default_taxonomy())
    assert xforms.template_from_xlsx(data) == template


def test_form_list_manifest_and_media_parse_as_collect_reads_them(collect, client, engineer):
    unit = unit_on_server(engineer, name="کارخانه آجر البرز", employees=9)
    phone = collect("omid")
    root = openrosa(client.get(f"/odk/key/{phone.key}/formList", headers={"X-OpenRosa-Version": "1.0"}))
    (form,) = root.findall("x:xform", NS)
    assert form.find("x:formID", NS).text == "diagnosis" and form.find("x:version", NS).text == "1.1"
    assert form.find("x:hash", NS).text.startswith("md5:")
    assert form.find("x:downloadUrl", NS).text.startswith("http://localhost/odk/key/")
    manifest = openrosa(client.get(form.find("x:manifestUrl", NS).text.replace("http://localhost", ""),
                                   headers={"X-OpenRosa-Version": "1.0"}))
    files = {f.find("m:filename", NS).text: f for f in manifest.findall("m:mediaFile", NS)}
    assert set(files) == {"units.csv", "provinces.csv", "parks.csv", "returned.csv"}
    assert files["units.csv"].get("type") == "entityList"
    assert files["units.csv"].find("m:integrityUrl", NS).text.endswith("/datasets/units/integrity")
    units = (phone.forms["diagnosis"]["media"] / "units.csv").read_text().splitlines()
    assert units[0].split(",")[:3] == ["name", "label", "__version"]
    assert any(line.startswith(f"{unit},کارخانه آجر البرز") for line in units)
    head = client.head(f"/odk/key/{phone.key}/submission", headers={"X-OpenRosa-Version": "1.0"})
    assert head.status_code == 204 and head.headers["X-OpenRosa-Accept-Content-Length"] == str(16 * 1024 * 1024)


def test_a_filled_form_is_one_visit_exactly_once_through_the_push_code(collect, engineer, db, supervisor):
    unit = unit_on_server(engineer, employees=9, owner="مالک اول")
    phone = collect("omid")
    xml = phone.fill("diagnosis", default_template(), diagnosis_answers(unit_status="stalled"), unit=unit,
                     unit_edits={"employees": 14}, obstacles=sample_obstacles(count=3))
    assert phone.send(xml)[0] == 201
    status, body = phone.send(xml)  # the answer was lost: Collect sends it again
    assert status == 201 and "قبلاً" in body
    (visit_id, version, state), = visits_of(db, unit)
    assert (version, state) == (1, "submitted")
    assert visit_id == ElementTree.fromstring(xml).findtext("meta/instanceID").removeprefix("uuid:")
    # The same ledger as a push: an update_unit (only the field changed) and a create_visit.
    device = db.execute("SELECT device_id FROM collect_keys WHERE user_id = ?", [phone.user["id"]]).fetchone()[0]
    assert db.execute("SELECT type, status FROM mutations WHERE device_id = ? ORDER BY mutation_id",
                      [device]).fetchall() == [("update_unit", "applied"), ("create_visit", "applied")]
    stored = supervisor.get(f"/api/v1/units/{unit}")[1]
    assert (stored["employees"], stored["owner"]) == (14, "مالک اول")
    assert len(supervisor.get(f"/api/v1/visits/{visit_id}")[1]["obstacles"]) == 3
    assert supervisor.get("/api/v1/visits", params={"unit_id": unit})[1]["total"] == 1


def test_photos_split_across_posts_join_one_visit_and_are_missing_meanwhile(collect, engineer, db, supervisor):
    unit = unit_on_server(engineer)
    phone = collect("omid")
    xml = phone.fill("diagnosis", default_template(), diagnosis_answers(), unit=unit,
                     photos={"photos": ["1.jpg", "2.jpg"]})
    first, second = JPEG, JPEG + b"second"
    assert phone.send(xml, {"1.jpg": first})[0] == 201
    visit = ElementTree.fromstring(xml).findtext("meta/instanceID").removeprefix("uuid:")
    detail = supervisor.get(f"/api/v1/visits/{visit}")[1]
    assert len(detail["photos"]) == 2 and len(detail["missing_attachments"]) == 1
    assert phone.send(xml, {"2.jpg": second})[0] == 201
    detail = supervisor.get(f"/api/v1/visits/{visit}")[1]
    assert detail["missing_attachments"] == [] and len(visits_of(db, unit)) == 1
    downloaded = {supervisor.client.get(f"/api/v1/attachments/{sha}",
                                        headers={"Authorization": f"Bearer {supervisor.token}"}).data
                  for sha in detail["photos"]}
    assert downloaded == {first, second}


def test_the_same_instance_id_with_other_xml_is_a_409(collect, engineer, db):
    unit = unit_on_server(engineer)
    phone = collect("omid")
    xml = phone.fill("diagnosis", default_template(), diagnosis_answers(), unit=unit)
    assert phone.send(xml)[0] == 201
    other = xml.replace(b"<summary>", "<summary>دیگر ".encode())
    status, body = phone.send(other)
    assert status == 409 and ElementTree.fromstring(body).find("r:message", NS).get("nature") == "error"
    assert len(visits_of(db, unit)) == 1


def test_a_stale_base_version_records_a_conflict(collect, engineer, login, db):
    unit = unit_on_server(engineer, employees=9)
    phone = collect("omid")  # its list has the unit at this seq
    other = login("mina")
    _, current = other.get(f"/api/v1/units/{unit}")
    other.post("/api/v1/sync/push", {"mutations": [update_unit_mutation(1, unit, {"employees": 20},
                                                                        base_seq=current["seq"])]})
    xml = phone.fill("diagnosis", default_template(), diagnosis_answers(), unit=unit, unit_edits={"employees": 30})
    assert phone.send(xml)[0] == 201
    conflict = db.execute("SELECT field, kept_value, other_value FROM conflicts WHERE unit_id = ?", [unit]).fetchall()
    assert conflict == [("employees", "30", "20")]  # the later observation (the Collect form) kept


def test_a_new_unit_misspelled_in_persian_is_deduplicated_against_the_stored_one(collect, engineer, db):
    nid = legal_id("1032045678")
    stored = unit_on_server(engineer, name="شرکت صنایع غذایی مهر", national_id=nid, phone="02144556677")
    phone = collect("omid")
    xml = phone.fill("diagnosis", default_template(), diagnosis_answers(), new_unit={
        "name": "صنايع غذايي مهر", "province_id": TEHRAN, "national_id": nid, "phone": "021-44556677"})
    assert phone.send(xml)[0] == 201
    new = ElementTree.fromstring(xml).findtext("meta/entity").strip() or \
        ElementTree.fromstring(xml).find("meta/entity").get("id")
    assert db.execute("SELECT merged_into FROM units WHERE id = ?", [new]).fetchone()[0] == stored
    assert [v[2] for v in visits_of(db, stored)] == ["submitted"]


def test_a_merged_unit_leaves_the_list_and_the_integrity_answer(collect, engineer, supervisor, client):
    keep, lose = unit_on_server(engineer, 1, name="آجر البرز"), unit_on_server(engineer, 2, name="آجرپزی البرز")
    phone = collect("omid")
    assert supervisor.post("/api/v1/merges", {"winner_id": keep, "loser_id": lose})[0] == 200
    phone.update_media("diagnosis")
    ids = {line.split(",")[0] for line in (phone.forms["diagnosis"]["media"] / "units.csv").read_text().splitlines()}
    assert keep in ids and lose not in ids
    root = openrosa(client.get(f"/odk/key/{phone.key}/datasets/units/integrity", query_string={"id": f"{keep},{lose}"},
                               headers={"X-OpenRosa-Version": "1.0"}))
    states = {e.get("id"): e.findtext("deleted") for e in root.iter("entity")}
    assert states == {keep: "false", lose: "true"}


def test_an_engineer_of_another_province_gets_no_units_of_it_nor_a_way_into_them(collect, engineer, db, client):
    tehran_unit = unit_on_server(engineer, name="واحد تهران")
    fars = collect("farid", provinces=(FARS,))
    units = (fars.forms["diagnosis"]["media"] / "units.csv").read_text()
    assert tehran_unit not in units and "واحد تهران" not in units
    xml = fars.fill("diagnosis", default_template(), diagnosis_answers(), new_unit={
        "name": "واحد فارس", "province_id": FARS})
    # A phone of Fars that names a Tehran unit anyway (the list never had it: a forged instance).
    forged = re.sub(rb"<_fs_new_unit>yes</_fs_new_unit>(<_fs_unit ?/>)?",
                    f"<_fs_new_unit>no</_fs_new_unit><_fs_unit>{tehran_unit}</_fs_unit>".encode(), xml)
    assert tehran_unit.encode() in forged
    status, body = fars.send(forged)
    assert status == 403, body
    assert visits_of(db, tehran_unit) == []
    integrity = openrosa(client.get(f"/odk/key/{fars.key}/datasets/units/integrity", query_string={"id": tehran_unit},
                                    headers={"X-OpenRosa-Version": "1.0"}))
    assert integrity.find(".//entity/deleted").text == "true"


def test_a_refused_answer_names_its_question_and_can_be_corrected(collect, engineer, db):
    unit = unit_on_server(engineer)
    phone = collect("omid")
    xml = phone.fill("diagnosis", default_template(), diagnosis_answers(employees_now=12), unit=unit)
    broken = xml.replace(b"<employees_now>12</employees_now>", b"<employees_now>dozen</employees_now>")
    status, body = phone.send(broken)
    message = ElementTree.fromstring(body).find("r:message", NS)
    assert status == 422 and message.get("nature") == "error" and "تعداد کارکنان فعلی" in message.text
    assert visits_of(db, unit) == [] and db.execute("SELECT count(*) FROM odk_submissions").fetchone()[0] == 0
    assert phone.send(xml)[0] == 201  # corrected in Collect, the same instance is taken
    assert len(visits_of(db, unit)) == 1


def test_a_visit_sent_back_reaches_collect_with_its_comment_and_is_revised(collect, engineer, supervisor, db):
    unit = unit_on_server(engineer)
    phone = collect("omid")
    xml = phone.fill("diagnosis", default_template(), diagnosis_answers(employees_now=3), unit=unit)
    assert phone.send(xml)[0] == 201
    (visit, _, _), = visits_of(db, unit)
    comment = "تعداد کارکنان با لیست بیمه نمی‌خواند"
    assert supervisor.post(f"/api/v1/visits/{visit}/review", {"action": "return", "comment": comment})[0] == 200
    phone.update_media("diagnosis")
    returned = (phone.forms["diagnosis"]["media"] / "returned.csv").read_text()
    assert visit in returned and comment in returned
    revision = phone.fill("diagnosis", default_template(), diagnosis_answers(employees_now=7),
                          revise=(visit, "با لیست بیمه اصلاح شد"))
    assert phone.send(revision)[0] == 201
    assert visits_of(db, unit) == [(visit, 2, "submitted")]
    assert supervisor.get(f"/api/v1/visits/{visit}")[1]["answers"]["employees_now"] == 7
    assert supervisor.post(f"/api/v1/visits/{visit}/review", {"action": "approve"})[0] == 200


def test_revoking_a_key_stops_the_phone_at_once(collect, db, clock, client):
    phone = collect("omid")
    key_id = db.execute("SELECT id FROM collect_keys WHERE user_id = ?", [phone.user["id"]]).fetchone()[0]
    from sync.store import SYSTEM

    with write(db, clock(), SYSTEM) as tx:
        keys.revoke(tx, key_id)
    response = client.get(f"/odk/key/{phone.key}/formList", headers={"X-OpenRosa-Version": "1.0"})
    assert response.status_code == 401 and response.headers["X-Fieldsync-Error-Code"] == "unauthorized"


def test_the_console_issues_a_key_as_the_qr_code_collect_scans(app, client, make_user, db):
    from tests.test_console_helpers import ConsoleUser, csrf_of

    engineer = make_user("omid", "engineer", [TEHRAN])
    make_user("sara", "supervisor", [TEHRAN])
    make_user("farid", "engineer", [FARS])
    sara = ConsoleUser(client, "sara")
    page = sara.page("/console/collect")
    assert "omid" in page and "farid" not in page  # only engineers of her provinces
    response = sara.post("/console/collect/keys", {"user_id": str(engineer["id"]), "label": "A14"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<svg" in html and "/odk/key/" in html
    url = html.split('id="server-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    key = url.rsplit("/", 1)[1]
    assert client.get(f"/odk/key/{key}/formList", headers={"X-OpenRosa-Version": "1.0"}).status_code == 200
    assert keys.decode_payload(keys.settings_payload(url, engineer))["general"]["server_url"] == url
    key_id = db.execute("SELECT id FROM collect_keys").fetchone()[0]
    sara.csrf = csrf_of(sara.page("/console/collect"))
    assert sara.post(f"/console/collect/keys/{key_id}/revoke").status_code == 302
    assert client.get(f"/odk/key/{key}/formList", headers={"X-OpenRosa-Version": "1.0"}).status_code == 401


def test_an_xlsform_is_imported_over_the_api_and_outside_the_subset_refused_by_row(admin, client, db):
    data = xforms.xlsx_of({**CONDITIONS, "version": 4}, default_taxonomy())
    response = client.post("/api/v1/templates/xlsform", data=data, headers={
        "Authorization": f"Bearer {admin.token}", "Content-Type": xforms_xlsx_type()})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["definition"] == {**CONDITIONS, "version": 4}
    sheets = xlsform.template_sheets(CONDITIONS, default_taxonomy())
    rows = sheets["survey"]
    at = next(i for i, r in enumerate(rows) if r.get("name") == "count")
    rows.insert(at + 1, {"type": "calculate", "name": "twice", "calculation": "${count} * 2"})
    rows.insert(at + 2, {"type": "audio", "name": "voice", "label::Persian (fa)": "صدا"})
    rows[at]["constraint"] = ". > 1 or . < 9"
    refused = client.post("/api/v1/templates/xlsform", data=xforms.to_xlsx(sheets), headers={
        "Authorization": f"Bearer {admin.token}", "Content-Type": xforms_xlsx_type()})
    fields = refused.get_json()["error"]["details"]["fields"]
    assert refused.status_code == 422
    assert any("audio" in m for m in fields[f"survey row {at + 4}"])  # the sheet's own row numbers
    assert any("constraint" in m for m in fields[f"survey row {at + 2}"])


def xforms_xlsx_type():
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_cli_imports_and_exports_xlsforms_and_issues_keys(runner, tmp_path, make_user, db):
    out = tmp_path / "diagnosis.xlsx"
    result = runner.invoke(["templates", "export-xlsform", "diagnosis", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(["templates", "import-xlsform", str(out), "--version", "2"])
    assert result.exit_code == 0 and "diagnosis v2  draft" in result.output, result.output
    assert json.loads(db.execute("SELECT definition FROM templates WHERE code = 'diagnosis' AND version = 2")
                      .fetchone()[0]) == {**default_template(), "version": 2}
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    result = runner.invoke(["templates", "import-xlsform", str(bad)])
    assert result.exit_code == 1 and "not an XLSX workbook" in result.output
    make_user("omid", "engineer", [TEHRAN])
    result = runner.invoke(["collect", "issue", "omid", "--url", "http://10.0.0.5:5000"])
    assert result.exit_code == 0 and "http://10.0.0.5:5000/odk/key/" in result.output
    assert "█" in result.output  # the QR code, drawn for a terminal
    result = runner.invoke(["collect", "list"])
    assert "omid" in result.output and "active" in result.output
    result = runner.invoke(["collect", "revoke", "1"])
    assert result.exit_code == 0 and "Revoked" in result.output


def test_a_photo_kept_under_its_stand_in_name_is_backed_up_whole(collect, engineer, tmp_path, runner):
    unit = unit_on_server(engineer)
    phone = collect("omid")
    xml = phone.fill("diagnosis", default_template(), diagnosis_answers(), unit=unit, photos={"photos": ["1.jpg"]})
    assert phone.send(xml, {"1.jpg": JPEG})[0] == 201
    result = runner.invoke(["backup", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    # Listed under its stand-in name, checked against the hash of its bytes: not "missing".
    assert manifest["attachments_missing"] == [] and manifest["attachment_files"] == 1
