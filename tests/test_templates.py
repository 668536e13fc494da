"""Checklist templates: the shipped template, definition validation and answer validation."""

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import templates
from sync.templates import (
    FORM_KEY,
    QUESTION_TYPES,
    TemplateError,
    check_answers,
    clean_answers,
    compile_template,
    default_template,
    example_answers,
    load_template_file,
    photo_refs,
    shown_keys,
    validate_answers,
    validate_definition,
)

SHA_A = "a" * 64
SHA_B = "0123456789abcdef" * 4


def fa(text):
    return {"fa": text}


def q(key, qtype, **extra):
    return {"key": key, "type": qtype, "label": fa(f"پرسش {key}"), **extra}


def choices(*values):
    return [{"value": v, "label": fa(f"گزینه {v}")} for v in values]


def template(*sections):
    """A template with one section per argument (each a list of questions)."""
    return {
        "code": "sample",
        "version": 1,
        "title": fa("نمونه"),
        "sections": [{"key": f"s{i}", "title": fa(f"بخش {i}"), "questions": list(qs)}
                     for i, qs in enumerate(sections)],
    }


# One question of every type; kept small so each test can see what it exercises.
ALL_TYPES = template([
    q("name", "text", required=True, max_length=10),
    q("count", "integer", min=0, max=100),
    q("share", "decimal", min=0, max=100),
    q("works", "yes_no"),
    q("status", "select_one", choices=choices("active", "stalled")),
    q("markets", "select_multiple", choices=choices("local", "export")),
    q("since", "date"),
    q("where", "location"),
    q("pictures", "photo"),
    q("hint", "note"),
])


def paths(problems):
    return [p["path"] for p in problems]


# --- the shipped diagnosis template -----------------------------------------------------


@pytest.fixture(scope="module")
def diagnosis():
    return default_template()


def test_shipped_template_is_valid(diagnosis):
    assert validate_definition(diagnosis) == []
    assert diagnosis["code"] == "diagnosis" and diagnosis["version"] == 1
    assert 35 <= len(compile_template(diagnosis).questions) <= 50


def test_shipped_template_fixed_keys(diagnosis):
    compiled = compile_template(diagnosis)
    expected = {
        "unit_status": "select_one", "status_since": "date", "employees_now": "integer",
        "employees_capacity": "integer", "capacity_utilisation": "decimal", "photos": "photo",
        "summary": "text", "recommended_actions": "text",
    }
    for key, qtype in expected.items():
        assert compiled.question(key).type == qtype, key
    assert compiled.question("unit_status").choices == {"active", "semi_active", "stalled",
                                                        "closed"}
    utilisation = compiled.question("capacity_utilisation")
    assert (utilisation.minimum, utilisation.maximum) == (0, 100)
    since = compiled.question("status_since").show_if
    assert since.question == "unit_status" and set(since.values) == {"stalled", "closed"}


def test_shipped_template_uses_persian_letters(diagnosis):
    text = json.dumps(diagnosis, ensure_ascii=False)
    assert "\u064a" not in text and "\u0643" not in text  # Arabic yeh and kaf


def test_shipped_template_accepts_a_realistic_visit(diagnosis):
    answers = {
        "unit_name_seen": "صنایع غذایی نمونه", "respondent_name": "علی رضایی",
        "respondent_role": "owner", "activity_sector": "food", "main_products": "رب گوجه",
        "unit_status": "stalled", "status_since": "2023-03-21", "stop_main_reason": "finance",
        "capacity_utilisation": 0, "employees_now": 2, "employees_capacity": 45,
        "electricity_status": "disconnected", "gas_status": "ok", "water_status": "ok",
        "raw_material_supply": "expensive", "has_bank_facilities": True,
        "overdue_bank_debt": True, "overdue_debt_amount": 12500.5, "has_government_debts": True,
        "government_debts": ["tax", "social_security"], "sales_markets": ["local"],
        "sales_trend": "no_sales", "operating_licence": "valid", "licence_photo": SHA_A,
        "equipment_condition": "worn", "summary": "واحد به‌دلیل کمبود نقدینگی راکد است.",
        "revival_potential": "high", "recommended_actions": "معرفی به بانک برای سرمایه در گردش",
        "photos": [SHA_B, SHA_A], "unit_location": {"lat": 35.6, "lon": 51.4, "accuracy": 8},
    }
    assert validate_answers(diagnosis, answers) == {}
    assert photo_refs(diagnosis, answers) == [SHA_A, SHA_B]


def test_shipped_template_status_since_only_for_stalled_or_closed(diagnosis):
    base = {"unit_status": "active"}
    assert "status_since" not in validate_answers(diagnosis, base)
    for status in ("stalled", "closed"):
        errors = validate_answers(diagnosis, {"unit_status": status})
        assert errors["status_since"] == ["this question is required"]


# --- definition validation ----------------------------------------------------------------


def test_every_question_type_is_accepted():
    assert validate_definition(ALL_TYPES) == []
    assert {q.type for q in compile_template(ALL_TYPES).questions} == set(QUESTION_TYPES)


def _broken(mutate):
    doc = copy.deepcopy(ALL_TYPES)
    mutate(doc)
    return doc


def _question(doc, index):
    return doc["sections"][0]["questions"][index]


BAD_DEFINITIONS = {
    "unknown type": (lambda d: _question(d, 0).update(type="paragraph"),
                     "sections[0].questions[0].type", "unknown question type"),
    "duplicate key in another section": (
        lambda d: d["sections"].append({"key": "more", "title": fa("بیشتر"),
                                        "questions": [q("count", "text")]}),
        "sections[1].questions[0].key", "duplicate question key 'count'"),
    "min above max": (lambda d: _question(d, 1).update(min=10, max=5),
                      "sections[0].questions[1].min", "greater than max"),
    "fractional bound on integer": (lambda d: _question(d, 1).update(max=2.5),
                                    "sections[0].questions[1].max", "must be an integer"),
    "range on text": (lambda d: _question(d, 0).update(min=1),
                      "sections[0].questions[0].min", "only to integer, decimal and date"),
    "date bound not a date": (lambda d: _question(d, 6).update(max="today"),
                              "sections[0].questions[6].max", "YYYY-MM-DD or 'visit_date'"),
    "Jalali date bound": (lambda d: _question(d, 6).update(min="1402-01-01"),
                          "sections[0].questions[6].min", "looks like a Solar Hijri"),
    "date min after max": (lambda d: _question(d, 6).update(min="2024-01-02", max="2024-01-01"),
                           "sections[0].questions[6].min", "is after max"),
    "select without choices": (lambda d: _question(d, 4).pop("choices"),
                               "sections[0].questions[4].choices", "non-empty list of choices"),
    "empty choices": (lambda d: _question(d, 5).update(choices=[]),
                      "sections[0].questions[5].choices", "non-empty list of choices"),
    "duplicate choice value": (lambda d: _question(d, 4).update(choices=choices("a", "a")),
                               "sections[0].questions[4].choices[1].value", "duplicate choice"),
    "Persian choice value": (lambda d: _question(d, 4).update(choices=choices("فعال")),
                             "sections[0].questions[4].choices[0].value", "short code"),
    "choices on a text question": (lambda d: _question(d, 0).update(choices=choices("x")),
                                   "sections[0].questions[0].choices", "apply only to select"),
    "missing Persian label": (lambda d: _question(d, 2).update(label={"en": "Share"}),
                              "sections[0].questions[2].label.fa", "Persian label"),
    "blank Persian label": (lambda d: _question(d, 2).update(label={"fa": "  "}),
                            "sections[0].questions[2].label.fa", "Persian label"),
    "missing section title": (lambda d: d["sections"][0].pop("title"),
                              "sections[0].title", "must be an object"),
    "required note": (lambda d: _question(d, 9).update(required=True),
                      "sections[0].questions[9].required", "display-only"),
    "misspelt field": (lambda d: _question(d, 3).update(requird=True),
                       "sections[0].questions[3].requird", "unknown field"),
    "non-boolean required": (lambda d: _question(d, 3).update(required="yes"),
                             "sections[0].questions[3].required", "true or false"),
    "bad key": (lambda d: _question(d, 3).update(key="Works Now"),
                "sections[0].questions[3].key", "snake_case"),
    "show_if to unknown question": (
        lambda d: _question(d, 2).update(show_if={"question": "nope", "equals": 1}),
        "sections[0].questions[2].show_if.question", "unknown question 'nope'"),
    "show_if to a later question": (
        lambda d: _question(d, 2).update(show_if={"question": "status", "equals": "active"}),
        "sections[0].questions[2].show_if.question", "comes later"),
    "show_if to itself": (
        lambda d: _question(d, 2).update(show_if={"question": "share", "equals": 1}),
        "sections[0].questions[2].show_if.question", "itself"),
    "show_if value not a choice": (
        lambda d: _question(d, 6).update(show_if={"question": "status", "in": ["closed"]}),
        "sections[0].questions[6].show_if.in[0]", "not one of the choices"),
    "show_if with both equals and in": (
        lambda d: _question(d, 6).update(show_if={"question": "status", "equals": "active",
                                                  "in": ["active"]}),
        "sections[0].questions[6].show_if", "exactly one"),
    "show_if on a note": (
        lambda d: d["sections"].append({"key": "more", "title": fa("بیشتر"), "questions": [
            q("after", "text", show_if={"question": "hint", "equals": "x"})]}),
        "sections[1].questions[0].show_if.question", "cannot depend on a 'note'"),
    "show_if yes_no compared with a number": (
        lambda d: _question(d, 4).update(show_if={"question": "works", "equals": 1}),
        "sections[0].questions[4].show_if.equals", "can never be an answer"),
    "show_if on an empty in list": (
        lambda d: _question(d, 4).update(show_if={"question": "works", "in": []}),
        "sections[0].questions[4].show_if.in", "non-empty list"),
    "bad code": (lambda d: d.update(code="Diagnosis Form"), "code", "snake_case"),
    "zero version": (lambda d: d.update(version=0), "version", "positive integer"),
    "boolean version": (lambda d: d.update(version=True), "version", "positive integer"),
    "no sections": (lambda d: d.update(sections=[]), "sections", "non-empty list"),
    "empty section": (lambda d: d["sections"][0].update(questions=[]),
                      "sections[0].questions", "non-empty list"),
    "duplicate section key": (
        lambda d: d["sections"].append({"key": "s0", "title": fa("تکرار"),
                                        "questions": [q("other", "text")]}),
        "sections[1].key", "duplicate section key"),
    "max_length on a number": (lambda d: _question(d, 1).update(max_length=5),
                               "sections[0].questions[1].max_length", "only to text"),
}


@pytest.mark.parametrize("name", sorted(BAD_DEFINITIONS))
def test_bad_definition_names_the_path(name):
    mutate, path, message = BAD_DEFINITIONS[name]
    problems = validate_definition(_broken(mutate))
    matching = [p for p in problems if p["path"] == path]
    assert matching, f"no problem at {path}: {problems}"
    assert any(message in p["message"] for p in matching), matching


@pytest.mark.parametrize("doc", [None, [], "template", 3])
def test_definition_that_is_not_an_object(doc):
    assert paths(validate_definition(doc)) == [""]


def test_compile_raises_with_every_problem():
    doc = _broken(lambda d: (_question(d, 0).update(type="paragraph"), d.update(version=0)))
    with pytest.raises(TemplateError) as caught:
        compile_template(doc)
    assert set(paths(caught.value.errors)) == {"version", "sections[0].questions[0].type"}
    assert "sections[0].questions[0].type" in str(caught.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=16,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["code", "version", "title", "sections", "extra"]),
                       json_values))
def test_garbage_definitions_never_raise(doc):
    assert isinstance(validate_definition(doc), list)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_garbage_questions_never_raise(question):
    doc = template([q("first", "select_one", choices=choices("a")), question])
    assert isinstance(validate_definition(doc), list)


# --- answers: types ------------------------------------------------------------------------

GOOD = {
    "name": ["نام", "x" * 10],
    "count": [0, 100, 42],
    "share": [0, 99.5, 100],
    "works": [True, False],
    "status": ["active"],
    "markets": [["local"], ["local", "export"]],
    "since": ["2024-02-29"],
    "where": [{"lat": 35.7, "lon": 51.4}, {"lat": -90, "lon": 180, "accuracy": 0}],
    "pictures": [SHA_A, [SHA_A, SHA_B]],
}
BAD = {
    "name": [12, ["a"], "x" * 11],
    "count": [1.5, "12", True, -1, 101, 10**30],
    "share": ["50", float("nan"), float("inf"), True, 100.01, -0.5],
    "works": ["true", 1, 0, "بله"],
    "status": ["closed", "ACTIVE", ["active"], 1],
    "markets": ["local", ["local", "local"], ["other"], [None], [["local"]]],
    "since": ["2024-02-30", "24-01-01", "2024/01/01", "1402-01-15", 20240101,
              "2024-01-01T10:00:00"],
    "where": [[35.7, 51.4], {"lat": 91, "lon": 0}, {"lat": 0}, {"lat": "35", "lon": 51},
              {"lat": 0, "lon": 0, "alt": 3}, {"lat": 0, "lon": 0, "accuracy": -1}],
    "pictures": ["abc", SHA_A.upper(), [SHA_A, SHA_A], [SHA_A, 5], "g" * 64],
}


@pytest.mark.parametrize("key,value", [(k, v) for k, vs in GOOD.items() for v in vs])
def test_good_answer_is_accepted(key, value):
    assert validate_answers(ALL_TYPES, {"name": "نام", key: value}) == {}


@pytest.mark.parametrize("key,value", [(k, v) for k, vs in BAD.items() for v in vs])
def test_bad_answer_is_rejected_with_the_field_named(key, value):
    answers = {"name": "نام", key: value}
    errors = validate_answers(ALL_TYPES, answers)
    assert list(errors) == [key], errors
    assert all(isinstance(m, str) and m for m in errors[key])


def test_messages_are_helpful():
    errors = validate_answers(ALL_TYPES, {"name": "x", "count": 101, "since": "1402-01-15",
                                          "pictures": SHA_A.upper(), "status": "closed"})
    assert errors["count"] == ["must be at most 100"]
    assert "Jalali" in errors["since"][0]
    assert "lower case" in errors["pictures"][0]
    assert "active, stalled" in errors["status"][0]


@pytest.mark.parametrize("blank", [None, "", "   ", [], {}])
def test_blank_counts_as_unanswered(blank):
    assert validate_answers(ALL_TYPES, {"name": blank}) == {"name": ["this question is required"]}
    assert validate_answers(ALL_TYPES, {"name": "x", "count": blank}) == {}


def test_false_is_an_answer():
    doc = template([q("ok", "yes_no", required=True)])
    assert validate_answers(doc, {"ok": False}) == {}


def test_unknown_questions_and_note_answers_are_rejected():
    errors = validate_answers(ALL_TYPES, {"name": "x", "colour": "red", "hint": "hello", 7: 1})
    assert errors == {"colour": ["unknown question"], "7": ["unknown question"],
                      "hint": ["a note is display-only and takes no answer"]}


@pytest.mark.parametrize("answers", [None, [], "answers", 3, [["name", "x"]]])
def test_answers_that_are_not_an_object(answers):
    assert list(validate_answers(ALL_TYPES, answers)) == [FORM_KEY]


# --- answers: conditions -------------------------------------------------------------------

CONDITIONAL = template([
    q("status", "select_one", required=True,
      choices=choices("active", "semi_active", "stalled", "closed")),
    q("since", "date", required=True, show_if={"question": "status", "in": ["stalled", "closed"]}),
    q("has_loan", "yes_no", required=True),
    q("overdue", "yes_no", required=True, show_if={"question": "has_loan", "equals": True}),
    q("overdue_amount", "decimal", required=True, min=0,
      show_if={"question": "overdue", "equals": True}),
], [
    q("markets", "select_multiple", choices=choices("local", "export")),
    q("destinations", "text", required=True, show_if={"question": "markets", "in": ["export"]}),
    q("staff", "integer"),
    q("big", "text", required=True, show_if={"question": "staff", "equals": 100}),
])


def test_required_only_when_shown():
    assert validate_answers(CONDITIONAL, {"status": "active", "has_loan": False}) == {}
    errors = validate_answers(CONDITIONAL, {"status": "closed", "has_loan": False})
    assert errors == {"since": ["this question is required"]}


def test_conditions_chain_through_hidden_questions():
    # "overdue" is hidden because there is no loan, so "overdue_amount" is hidden too even
    # though a stale overdue=true is still in the answers.
    answers = {"status": "active", "has_loan": False, "overdue": True}
    assert validate_answers(CONDITIONAL, answers) == {}
    assert "overdue_amount" not in shown_keys(CONDITIONAL, answers)
    answers["has_loan"] = True
    assert validate_answers(CONDITIONAL, answers) == {
        "overdue_amount": ["this question is required"]}


def test_hidden_answers_are_ignored_not_validated():
    answers = {"status": "active", "since": "not a date", "has_loan": False}
    assert validate_answers(CONDITIONAL, answers) == {}
    assert "since" not in clean_answers(CONDITIONAL, answers)


def test_select_multiple_condition_matches_any_selected_value():
    assert "destinations" not in shown_keys(CONDITIONAL, {"markets": ["local"]})
    assert "destinations" in shown_keys(CONDITIONAL, {"markets": ["local", "export"]})


def test_condition_is_type_strict():
    # A yes/no condition is not met by 1, and a number condition not by True or "100".
    assert "overdue" not in shown_keys(CONDITIONAL, {"has_loan": 1})
    assert "big" not in shown_keys(CONDITIONAL, {"staff": True})
    assert "big" not in shown_keys(CONDITIONAL, {"staff": "100"})
    assert "big" in shown_keys(CONDITIONAL, {"staff": 100})


def test_clean_answers_keeps_only_what_is_shown_and_answered():
    answers = {"status": "stalled", "since": "2024-01-01", "has_loan": False, "overdue": True,
               "markets": [], "staff": None, "unknown": 1}
    assert clean_answers(CONDITIONAL, answers) == {"status": "stalled", "since": "2024-01-01",
                                                   "has_loan": False}


# --- photos --------------------------------------------------------------------------------


def test_photo_refs_are_deduplicated_and_skip_hidden_and_malformed():
    doc = template([
        q("has_licence", "yes_no"),
        q("licence", "photo", show_if={"question": "has_licence", "equals": True}),
        q("photos", "photo"),
    ])
    answers = {"has_licence": False, "licence": SHA_A, "photos": [SHA_B, "junk", SHA_B, 3]}
    assert photo_refs(doc, answers) == [SHA_B]
    answers["has_licence"] = True
    assert photo_refs(doc, answers) == [SHA_A, SHA_B]
    assert photo_refs(doc, "garbage") == []


# --- garbage answers never raise -----------------------------------------------------------


@pytest.fixture(scope="module")
def compiled_diagnosis():
    return compile_template(default_template())


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_garbage_answers_never_raise(compiled_diagnosis, data):
    keys = sorted(compiled_diagnosis.keys)
    answers = data.draw(
        st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), json_values, max_size=20)
        | json_values
    )
    errors = validate_answers(compiled_diagnosis, answers)
    assert isinstance(errors, dict)
    assert all(isinstance(k, str) and v and all(isinstance(m, str) for m in v)
               for k, v in errors.items())
    assert isinstance(photo_refs(compiled_diagnosis, answers), list)
    assert isinstance(clean_answers(compiled_diagnosis, answers), dict)


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({}, optional={k: json_values for k in GOOD}))
def test_garbage_values_for_every_type_never_raise(answers):
    assert isinstance(validate_answers(ALL_TYPES, answers), dict)


# --- the one pass agrees with the plain rules ----------------------------------------------


def plainly_checked(template, answers):
    """check_answers as the rules read, one general call per question: the oracle for the
    pass that decides common answers inline."""
    errors, cleaned, refs, shown = {}, {}, {}, set()
    for key in answers:
        if key not in template.keys:
            errors.setdefault(str(key), []).append("unknown question")
    for q in template.questions:
        cond = q.show_if
        visible = cond is None or (
            cond.question in shown and templates._condition_met(cond, answers.get(cond.question)))
        if visible:
            shown.add(q.key)
        value = answers.get(q.key)
        if q.type == "note":
            if not templates.is_blank(value):
                errors.setdefault(q.key, []).append("a note is display-only and takes no answer")
            continue
        if not visible:
            continue
        if templates.is_blank(value):
            if q.required:
                errors.setdefault(q.key, []).append("this question is required")
            continue
        cleaned[q.key] = value
        messages = templates._VALUE_CHECKS[q.type](q, value)
        if q.type == "date" and not messages:
            messages = templates._date_range_messages(q, templates.parse_iso_date(value), None)
        if messages:
            errors.setdefault(q.key, []).extend(messages)
        if q.type == "photo":
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and templates.SHA256_RE.match(item):
                    refs[item] = None
    return errors, cleaned, list(refs), shown


def edge_values(q):
    """Values at the edges of what the inline decisions accept for this question."""
    texts = sorted(q.choices) + sorted(q.show_if.texts if q.show_if else ())
    around = [t + pad for t in texts for pad in ("", " ", "\u200c")] + [" " + t for t in texts]
    lengths = [q.max_length - 1, q.max_length, q.max_length + 1]
    return st.sampled_from(around or [""]) | st.sampled_from(["x" * n for n in lengths] + ["", "  ", "\t"]) \
        | st.sampled_from([None, True, False, 0, 1, 1.0, [], {}]) | json_values


# Conditions at the edges: an answer that is blank meets no condition, even one naming it;
# true is not 1.
EDGE_CONDITIONS = template([
    q("name", "text", max_length=5),
    q("if_space", "text", required=True, show_if={"question": "name", "equals": " "}),
    q("if_empty", "integer", required=True, show_if={"question": "name", "in": ["ok", ""]}),
    q("then", "select_one", required=True, choices=choices("a", "b"),
      show_if={"question": "if_space", "in": ["x"]}),
    q("count", "integer"),
    q("if_one", "yes_no", required=True, show_if={"question": "count", "in": [1, 0]}),
    q("if_true", "text", required=True, show_if={"question": "if_one", "equals": True}),
])


@settings(max_examples=400, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("definition", ["diagnosis", "edge conditions"])
def test_one_pass_agrees_with_the_plain_rules(compiled_diagnosis, definition, data):
    compiled = compiled_diagnosis if definition == "diagnosis" else compile_template(EDGE_CONDITIONS)
    answers = example_answers(compiled)
    for q in data.draw(st.lists(st.sampled_from(compiled.questions), min_size=1, max_size=4)):
        answers[q.key] = data.draw(edge_values(q))
        if q.show_if is not None and data.draw(st.booleans()):
            source = compiled.question(q.show_if.question)
            answers[source.key] = data.draw(edge_values(source) | st.sampled_from(q.show_if.values))
    checked = check_answers(compiled, answers)
    assert (checked.errors, checked.cleaned, checked.photos, checked.shown) == plainly_checked(compiled, answers)
    assert shown_keys(compiled, answers) == frozenset(checked.shown)


# --- files ---------------------------------------------------------------------------------


def test_json_and_yaml_files_load_the_same(tmp_path):
    (tmp_path / "t.json").write_text(json.dumps(CONDITIONAL, ensure_ascii=False), "utf-8")
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(CONDITIONAL, allow_unicode=True), "utf-8")
    assert load_template_file(tmp_path / "t.json") == load_template_file(tmp_path / "t.yaml")


def test_yaml_dates_stay_strings(tmp_path):
    path = tmp_path / "t.yml"
    path.write_text(
        "code: dated\nversion: 1\ntitle: {fa: تاریخ}\nsections:\n"
        "  - key: s\n    title: {fa: بخش}\n    questions:\n"
        "      - {key: when, type: date, label: {fa: کی}}\n"
        "      - {key: note, type: text, label: {fa: یادداشت},\n"
        "         show_if: {question: when, equals: 2024-01-01}}\n",
        "utf-8",
    )
    doc = load_template_file(path)
    assert doc["sections"][0]["questions"][1]["show_if"]["equals"] == "2024-01-01"


@pytest.mark.parametrize("name,content", [
    ("dup.json", '{"code": "a", "code": "b"}'),
    ("dup.yaml", "code: a\ncode: b\n"),
    ("broken.json", "{not json"),
    ("broken.yaml", "a: [1, 2\n"),
    ("template.txt", "{}"),
])
def test_unreadable_files_raise_template_error(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, "utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template_file(path)
    assert caught.value.errors[0]["path"] == ""
    assert name in caught.value.errors[0]["message"]


def test_invalid_file_reports_paths(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_broken(lambda d: _question(d, 4).pop("choices"))), "utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template_file(path)
    assert paths(caught.value.errors) == ["sections[0].questions[4].choices"]


def test_json_file_with_byte_order_mark(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(ALL_TYPES, ensure_ascii=False).encode())
    assert load_template_file(path)["code"] == "sample"


# --- the documentation -----------------------------------------------------------------------


def test_documented_example_is_valid():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "checklists.md").read_text("utf-8")
    section = doc.split("### A complete example", 1)[1]
    blocks = re.findall(r"```json\n(.*?)```", section, flags=re.S)
    example, answers = json.loads(blocks[0]), json.loads(blocks[1])
    assert validate_definition(example) == []
    assert {q.type for q in compile_template(example).questions} == set(QUESTION_TYPES)
    assert validate_answers(example, answers) == {}


def test_date_bounds_fixed_and_relative_to_the_visit():
    from datetime import date

    doc = template([q("since", "date", min="2000-01-01", max="visit_date"),
                    q("followup", "date", min="visit_date")])
    assert validate_definition(doc) == []
    visit = date(2026, 3, 1)
    assert validate_answers(doc, {"since": "2026-03-01", "followup": "2026-03-01"}, visit) == {}
    assert validate_answers(doc, {"since": "2026-03-02", "followup": "2026-02-28"}, visit) == {
        "since": ["must not be after the day of the visit (2026-03-01)"],
        "followup": ["must not be before the day of the visit (2026-03-01)"]}
    assert validate_answers(doc, {"since": "1999-12-31"}, visit) == {
        "since": ["must be on or after 2000-01-01"]}
    # Without the visit's day only the fixed bounds can be checked.
    assert validate_answers(doc, {"since": "2031-01-01", "followup": "2001-01-01"}) == {}
    from sync.templates import example_answers
    required = template([q("since", "date", required=True, max="visit_date"),
                         q("followup", "date", required=True, min="visit_date")])
    answers = example_answers(required, visit_date=visit)
    assert answers == {"since": "2020-03-20", "followup": "2026-03-01"}
    assert validate_answers(required, answers, visit) == {}


def test_shipped_template_dates_are_bounded_by_the_visit(diagnosis):
    from datetime import date

    visit = date(2026, 3, 1)
    answers = {"unit_status": "stalled", "status_since": "2026-03-02", "followup_needed": True,
               "followup_date": "2026-02-01"}
    errors = validate_answers(diagnosis, answers, visit)
    assert errors["status_since"] == ["must not be after the day of the visit (2026-03-01)"]
    assert errors["followup_date"] == ["must not be before the day of the visit (2026-03-01)"]


@pytest.mark.parametrize(("key", "value", "message"), [
    ("share", "12.5", "must be a number (got the text '12.5': send a JSON number with ASCII digits, without quotes)"),
    ("count", "۱۲", "must be a whole number (got the text '۱۲': send a JSON number with ASCII digits, without quotes)"),
    ("count", 12.0, "must be a whole number (send 12, not 12.0)"),
    ("count", 12.5, "must be a whole number"),
    ("share", "دوازده", "must be a number"),
])
def test_numbers_sent_as_text_or_as_float_are_named(key, value, message):
    assert validate_answers(ALL_TYPES, {"name": "x", key: value}) == {key: [message]}
