"""Templates and the taxonomy in the store: API, CLI, publishing rules, delivery by pull."""

import json

import yaml

from server import create_app
from tests.checklist_helpers import mini, new_unit, obstacle, results
from tests.helpers import DIAGNOSIS_V1, SECRET, diagnosis_answers


def upload(api, definition, publish=False):
    return api.post("/api/v1/templates", {"definition": definition, "publish": publish})


def test_template_round_trip_create_publish_pull_fill_push_reject(admin, engineer, phone):
    status, draft = upload(admin, mini(2))
    assert status == 201 and draft["status"] == "draft" and draft["published_at"] is None
    device = phone("ali")
    device.sync()
    assert "mini:2" not in {t["id"] for t in device.reference("templates")}  # drafts stay home

    status, published = admin.post("/api/v1/templates/mini/2/publish")
    assert status == 200 and published["status"] == "published"
    device.sync()
    pulled = {t["id"]: t for t in device.reference("templates")}
    assert pulled["mini:2"]["definition"] == mini(2) and "diagnosis:1" in pulled

    unit = new_unit(device)
    ref = {"code": "mini", "version": 2}
    good = device.record_visit(unit, {"unit_status": "active", "employees_now": 12}, template=ref)
    bad = device.record_visit(unit, {"unit_status": "active", "employees_now": -3, "colour": "red"},
                              template=ref)
    device.sync()
    answers = {r.get("visit_id"): r for r in results(device)}
    assert answers[good]["status"] == "applied"
    rejected = [r for r in device.rejected() if r["mutation"]["visit_id"] == bad][0]
    assert rejected["error"]["code"] == "validation_failed"
    assert rejected["error"]["details"]["fields"] == {
        "answers.employees_now": ["must be at least 0"], "answers.colour": ["unknown question"]}
    status, visit = engineer.get(f"/api/v1/visits/{bad}")
    assert status == 404  # nothing stored for the rejected visit


def test_invalid_definition_names_every_problem(admin):
    broken = mini(1, code="Mini Form")
    broken["sections"][0]["questions"][1]["type"] = "number"
    status, body = upload(admin, broken)
    assert status == 422 and body["error"]["code"] == "validation_failed"
    fields = body["error"]["details"]["fields"]
    assert "definition.code" in fields
    assert fields["definition.sections[0].questions[1].type"][0].startswith("unknown question type 'number'")


def test_publishing_rules(admin, engineer):
    assert upload(admin, mini(1))[0] == 201
    replaced = mini(1)
    replaced["title"] = {"fa": "بازدید کوتاه (اصلاح)"}
    status, body = upload(admin, replaced)  # a draft may be replaced
    assert status == 201 and body["title"] == "بازدید کوتاه (اصلاح)"
    assert admin.post("/api/v1/templates/mini/1/publish")[0] == 200
    status, body = upload(admin, mini(1))
    assert status == 409 and body["error"]["details"]["fields"]["definition.version"]
    assert admin.post("/api/v1/templates/mini/1/publish")[0] == 409
    assert admin.post("/api/v1/templates/mini/9/publish")[0] == 404
    assert upload(admin, mini(3), publish=True)[1]["status"] == "published"
    assert upload(admin, mini(2))[0] == 409  # below a published version

    status, body = upload(engineer, mini(4))
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert engineer.post("/api/v1/templates/mini/3/retire")[0] == 403
    assert engineer.get("/api/v1/templates/mini")[1]["version"] == 3
    assert engineer.get("/api/v1/templates", {"status": "draft"})[0] == 403

    assert admin.post("/api/v1/templates/mini/3/retire")[1]["status"] == "retired"
    assert admin.post("/api/v1/templates/mini/3/retire")[0] == 409
    listed = engineer.get("/api/v1/templates", {"status": ["published", "retired"]})[1]["items"]
    assert [(t["code"], t["version"], t["status"]) for t in listed] == [
        ("diagnosis", 1, "published"), ("mini", 1, "published"), ("mini", 3, "retired")]


def test_visit_on_old_version_accepted_after_new_published_and_old_retired(admin, phone):
    upload(admin, mini(1), publish=True)
    device = phone("ali")
    device.sync()
    unit = new_unit(device)
    v1 = {"code": "mini", "version": 1}
    early = device.record_visit(unit, {"unit_status": "stalled", "employees_now": 2}, template=v1)
    offline = device.record_visit(unit, {"unit_status": "active", "employees_now": 9}, template=v1)
    device.push()
    # While the second device is offline for weeks, v2 is published and v1 retired.
    upload(admin, mini(2), publish=True)
    admin.post("/api/v1/templates/mini/1/retire")
    late = device.record_visit(unit, {"unit_status": "active", "employees_now": 10}, template=v1)
    device.sync()
    statuses = {r.get("visit_id"): r["status"] for r in results(device)}
    assert statuses[early] == statuses[offline] == statuses[late] == "applied"
    pulled = {t["id"]: t["status"] for t in device.reference("templates")}
    assert pulled["mini:1"] == "retired" and pulled["mini:2"] == "published"


def test_visit_naming_a_draft_or_no_template_is_rejected(admin, phone):
    upload(admin, mini(1))
    device = phone("ali")
    unit = new_unit(device)
    device.record_visit(unit, {"unit_status": "active", "employees_now": 1},
                        template={"code": "mini", "version": 1})
    device.record_visit(unit, {"unit_status": "active"})
    device.sync()
    errors = [r["error"]["details"]["fields"] for r in device.rejected()]
    assert errors[0]["template"] == ["No published template mini version 1."]
    assert errors[1]["template"][0].startswith("Name the template and version")


def test_cli_upload_publish_list_show_retire(runner, tmp_path, db):
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(mini(1), allow_unicode=True), "utf-8")
    result = runner.invoke(["templates", "upload", str(path)])
    assert result.exit_code == 0, result.output
    assert "mini v1  draft" in result.output
    assert "mini" not in runner.invoke(["templates", "list"]).output
    assert runner.invoke(["templates", "publish", "mini", "1"]).exit_code == 0
    assert "mini v1  published" in runner.invoke(["templates", "list"]).output
    assert json.loads(runner.invoke(["templates", "show", "mini"]).output) == mini(1)
    result = runner.invoke(["templates", "retire", "mini", "1"])
    assert result.exit_code == 0 and "retired" in result.output
    assert "mini v1  retired" in runner.invoke(["templates", "list", "--all"]).output
    audit = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE entity = 'template' ORDER BY id")]
    assert audit[-3:] == ["template.create", "template.publish", "template.retire"]

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(mini(2, sections=[])), "utf-8")
    result = runner.invoke(["templates", "upload", str(bad)])
    assert result.exit_code != 0 and "definition.sections" in result.output
    result = runner.invoke(["templates", "publish", "mini", "7"])
    assert result.exit_code != 0 and "No template mini version 7" in result.output


def test_taxonomy_api_cli_and_pull(admin, engineer, phone, runner, tmp_path):
    status, current = engineer.get("/api/v1/taxonomy")
    assert status == 200 and current["version"] == 1
    taxonomy = current["taxonomy"]

    # Record an obstacle so that its codes become "in use".
    device = phone("ali")
    unit = new_unit(device)
    device.record_visit(unit, diagnosis_answers(), template=DIAGNOSIS_V1, obstacles=[obstacle()])
    device.sync()
    assert device.reference("taxonomy")[0]["version"] == 1

    edited = json.loads(json.dumps(taxonomy))
    edited["version"] = 2
    edited["areas"][0]["label"] = {"fa": "مالی و اعتباری", "en": "Finance"}
    assert admin.call("PUT", "/api/v1/taxonomy", {"taxonomy": edited})[0] == 200
    assert engineer.call("PUT", "/api/v1/taxonomy", {"taxonomy": edited})[0] == 403
    again = admin.call("PUT", "/api/v1/taxonomy", {"taxonomy": edited})
    assert again[0] == 200 and again[1]["changed"] is False
    stale = {**edited, "title": {"fa": "دیگر"}}
    assert admin.call("PUT", "/api/v1/taxonomy", {"taxonomy": stale})[0] == 409

    dropped = json.loads(json.dumps(edited))
    dropped["version"] = 3
    dropped["areas"][0]["groups"] = [g for g in dropped["areas"][0]["groups"]
                                     if g["code"] != "finance.working_capital"]
    status, body = admin.call("PUT", "/api/v1/taxonomy", {"taxonomy": dropped})
    assert status == 422
    assert "finance.working_capital" in body["error"]["details"]["fields"]["taxonomy.groups"][0]
    status, body = admin.call("PUT", "/api/v1/taxonomy", {"taxonomy": {"version": 3}})
    assert status == 422 and "taxonomy.areas" in body["error"]["details"]["fields"]

    device.sync()
    assert device.reference("taxonomy")[0]["version"] == 2
    assert device.reference("taxonomy")[0]["taxonomy"]["areas"][0]["label"]["en"] == "Finance"

    path = tmp_path / "taxonomy.json"
    edited["version"] = 4
    path.write_text(json.dumps(edited, ensure_ascii=False), "utf-8")
    result = runner.invoke(["taxonomy", "load", str(path)])
    assert result.exit_code == 0 and "version 4" in result.output, result.output
    assert json.loads(runner.invoke(["taxonomy", "show"]).output)["version"] == 4


def test_fresh_store_gets_the_default_template_and_taxonomy(tmp_path):
    from server.cli import main

    app = create_app({"INSTANCE_PATH": str(tmp_path / "fresh"), "SECRET_KEY": SECRET, "TESTING": True})
    runner = app.test_cli_runner()
    first = runner.invoke(main, ["init-db"])
    assert "Published the default template diagnosis version 1." in first.output
    assert "Loaded the starter obstacle taxonomy (version 1)." in first.output
    second = runner.invoke(main, ["init-db"])
    assert "default template" not in second.output and "taxonomy" not in second.output
    assert "diagnosis v1  published" in runner.invoke(main, ["templates", "list"]).output


def test_templates_reach_only_published_and_retired_in_scope_g(admin, login, db):
    upload(admin, mini(1))
    upload(admin, mini(2), publish=True)
    entities = db.execute("SELECT entity, entity_id, scope FROM change_log WHERE entity = 'template'").fetchall()
    assert all(scope == "g" for _, _, scope in entities)
    fars = login("omid", "engineer", [17])
    assert fars.get("/api/v1/templates/mini/2")[1]["definition"] == mini(2)
    assert fars.get("/api/v1/templates/mini/1")[0] == 404
    assert admin.get("/api/v1/templates/mini/1")[1]["status"] == "draft"


def test_a_draft_left_behind_by_a_newer_version_cannot_be_published(admin, runner):
    assert upload(admin, mini(2))[0] == 201
    assert upload(admin, mini(3), publish=True)[0] == 201
    status, body = admin.post("/api/v1/templates/mini/2/publish")
    assert status == 409 and "Upload it again as version 4" in body["error"]["message"]
    result = runner.invoke(["templates", "publish", "mini", "2"])
    assert result.exit_code != 0 and "version 4" in result.output
    assert admin.get("/api/v1/templates/mini/2")[1]["status"] == "draft"
    assert admin.get("/api/v1/templates/mini")[1]["version"] == 3


YES_NO_YAML = """\
code: quick
version: 1
title: {fa: بازدید سریع}
sections:
  - key: s
    title: {fa: بخش}
    questions:
      - key: works
        type: select_one
        label: {fa: واحد کار می‌کند؟}
        choices:
          - {value: yes, label: {fa: بله}}
          - {value: no, label: {fa: خیر}}
      - key: since
        type: date
        label: {fa: از چه تاریخی؟}
        show_if: {question: works, equals: no}
"""


def test_cli_lists_each_problem_on_its_own_line_with_a_hint_for_bare_yaml_words(runner, tmp_path):
    path = tmp_path / "quick.yaml"
    path.write_text(YES_NO_YAML, "utf-8")
    result = runner.invoke(["templates", "upload", str(path)])
    assert result.exit_code != 0
    lines = result.output.splitlines()
    assert lines[0] == "Error: The template is not valid."
    assert lines[1].startswith("  definition.sections[0].questions[0].choices[0].value: must be a short code")
    assert lines[1].endswith('(got true: in YAML, quote words such as yes, no, on and off, e.g. "no")')
    assert "got false" in lines[2] and "show_if.equals" in lines[3]

    path.write_text(YES_NO_YAML.replace("value: yes", 'value: "yes"').replace("value: no", 'value: "no"')
                    .replace("equals: no", 'equals: "no"'), "utf-8")
    assert runner.invoke(["templates", "upload", str(path), "--publish"]).exit_code == 0
    result = runner.invoke(["templates", "upload", str(path)])
    assert result.exit_code != 0
    assert result.output.splitlines()[1:] == ["  definition.version: Use a version above 1."]
