"""The obstacle taxonomy: the shipped file, taxonomy validation and obstacle records."""

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.taxonomy import (
    OBSTACLE_FIELDS,
    TaxonomyError,
    default_taxonomy,
    group_areas,
    load_taxonomy_file,
    validate_obstacle,
    validate_taxonomy,
)
from sync.templates import FORM_KEY


@pytest.fixture(scope="module")
def taxonomy():
    return default_taxonomy()


def codes(entries):
    return [e["code"] for e in entries]


def obstacle(**changes):
    record = {
        "area": "finance",
        "group": "finance.working_capital",
        "severity": "high",
        "description": "کمبود نقدینگی برای خرید مواد اولیه",
        "proposed_action": "معرفی به بانک عامل برای تسهیلات سرمایه در گردش",
        "responsible_body": "bank",
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not ...}


# --- the shipped taxonomy ------------------------------------------------------------------


def test_shipped_taxonomy_is_valid(taxonomy):
    assert validate_taxonomy(taxonomy) == []


def test_shipped_taxonomy_has_four_areas_with_realistic_groups(taxonomy):
    assert codes(taxonomy["areas"]) == ["finance", "market", "technical", "legal"]
    for area in taxonomy["areas"]:
        assert 8 <= len(area["groups"]) <= 15, area["code"]
        assert all(g["code"].startswith(area["code"] + ".") for g in area["groups"])
    groups = group_areas(taxonomy)
    for code in ("finance.working_capital", "finance.bank_facilities", "market.raw_material",
                 "legal.tax", "legal.social_security", "technical.equipment_wornout"):
        assert code in groups


def test_shipped_enumerations(taxonomy):
    assert codes(taxonomy["severities"]) == ["low", "medium", "high", "critical"]
    bodies = codes(taxonomy["responsible_bodies"])
    for code in ("bank", "industry_mine_trade", "industrial_parks", "tax_affairs",
                 "social_security", "electricity", "gas", "other"):
        assert code in bodies


def test_shipped_taxonomy_uses_persian_letters(taxonomy):
    text = json.dumps(taxonomy, ensure_ascii=False)
    assert "\u064a" not in text and "\u0643" not in text


# --- taxonomy validation -------------------------------------------------------------------


def _broken(taxonomy, mutate):
    doc = copy.deepcopy(taxonomy)
    mutate(doc)
    return validate_taxonomy(doc)


BAD_TAXONOMIES = {
    "group outside its area": (
        lambda d: d["areas"][0]["groups"][0].update(code="legal.cash"),
        "areas[0].groups[0].code", "must start with 'finance.'"),
    "duplicate group across areas": (
        lambda d: d["areas"][1]["groups"][0].update(code="finance.working_capital"),
        "areas[1].groups[0].code", "duplicate code"),
    "duplicate area": (lambda d: d["areas"][1].update(code="finance"),
                       "areas[1].code", "duplicate code"),
    "group without a dot": (lambda d: d["areas"][0]["groups"][0].update(code="cash"),
                            "areas[0].groups[0].code", "stable ASCII code"),
    "missing Persian label": (lambda d: d["areas"][2].update(label={"en": "Technical"}),
                              "areas[2].label.fa", "Persian label"),
    "area without groups": (lambda d: d["areas"][3].update(groups=[]),
                            "areas[3].groups", "non-empty list"),
    "no severities": (lambda d: d.pop("severities"), "severities", "non-empty list"),
    "duplicate body": (lambda d: d["responsible_bodies"][1].update(code="bank"),
                       "responsible_bodies[1].code", "duplicate code"),
    "unknown field": (lambda d: d["areas"][0].update(colour="red"),
                      "areas[0].colour", "unknown field"),
    "bad version": (lambda d: d.update(version="1"), "version", "positive integer"),
}


@pytest.mark.parametrize("name", sorted(BAD_TAXONOMIES))
def test_bad_taxonomy_names_the_path(taxonomy, name):
    mutate, path, message = BAD_TAXONOMIES[name]
    problems = _broken(taxonomy, mutate)
    assert any(p["path"] == path and message in p["message"] for p in problems), problems


@pytest.mark.parametrize("doc", [None, [], "x"])
def test_taxonomy_that_is_not_an_object(doc):
    assert [p["path"] for p in validate_taxonomy(doc)] == [""]


def test_taxonomy_files(tmp_path, taxonomy):
    good = tmp_path / "taxonomy.yaml"
    good.write_text(json.dumps(taxonomy, ensure_ascii=False), "utf-8")  # JSON is valid YAML
    assert load_taxonomy_file(good) == taxonomy
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1, "areas": []}), "utf-8")
    with pytest.raises(TaxonomyError) as caught:
        load_taxonomy_file(bad)
    assert {p["path"] for p in caught.value.errors} == {"areas", "severities",
                                                        "responsible_bodies"}


# --- obstacle records ----------------------------------------------------------------------


def test_valid_obstacles(taxonomy):
    assert validate_obstacle(taxonomy, obstacle()) == {}
    minimal = obstacle(proposed_action=..., responsible_body=...)
    assert validate_obstacle(taxonomy, minimal) == {}
    resolved = obstacle(obstacle_id="3f2b6c1e-8a4d-4f0e-9b7a-1c2d3e4f5a6b", resolved=True)
    assert validate_obstacle(taxonomy, resolved) == {}


BAD_OBSTACLES = {
    "group from another area": ({"group": "legal.tax"}, "group", "belongs to area 'legal'"),
    "unknown group": ({"group": "finance.magic"}, "group", "unknown group"),
    "unknown area": ({"area": "weather"}, "area", "unknown area"),
    "missing area": ({"area": ...}, "area", "required"),
    "unknown severity": ({"severity": "extreme"}, "severity", "unknown severity"),
    "missing severity": ({"severity": None}, "severity", "required"),
    "missing description": ({"description": ...}, "description", "required"),
    "blank description": ({"description": "   "}, "description", "required"),
    "description not text": ({"description": ["a"]}, "description", "must be text"),
    "description too long": ({"description": "x" * 2001}, "description", "at most 2000"),
    "proposed action not text": ({"proposed_action": 5}, "proposed_action", "must be text"),
    "unknown body": ({"responsible_body": "police"}, "responsible_body", "unknown"),
    "bad obstacle id": ({"obstacle_id": "has spaces"}, "obstacle_id", "short id"),
    "numeric obstacle id": ({"obstacle_id": 12}, "obstacle_id", "short id"),
    "resolved without id": ({"resolved": True}, "resolved", "obstacle_id"),
    "resolved not boolean": ({"resolved": "yes", "obstacle_id": "o1"}, "resolved",
                             "true or false"),
    "unknown field": ({"deadline": "2025-01-01"}, "deadline", "unknown field"),
}


@pytest.mark.parametrize("name", sorted(BAD_OBSTACLES))
def test_bad_obstacle_names_the_field(taxonomy, name):
    changes, field, message = BAD_OBSTACLES[name]
    errors = validate_obstacle(taxonomy, obstacle(**changes))
    assert list(errors) == [field], errors
    assert message in errors[field][0]


@pytest.mark.parametrize("record", [None, [], "obstacle", 3])
def test_obstacle_that_is_not_an_object(taxonomy, record):
    assert list(validate_obstacle(taxonomy, record)) == [FORM_KEY]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(record=st.dictionaries(st.sampled_from(sorted(OBSTACLE_FIELDS)) | st.text(max_size=6),
                              json_values) | json_values)
def test_garbage_obstacles_never_raise(taxonomy, record):
    errors = validate_obstacle(taxonomy, record)
    assert all(isinstance(k, str) and all(isinstance(m, str) for m in v)
               for k, v in errors.items())


@settings(max_examples=100, deadline=None)
@given(bad_taxonomy=json_values)
def test_garbage_taxonomy_never_raises(bad_taxonomy):
    assert isinstance(validate_taxonomy(bad_taxonomy), list)
    assert isinstance(validate_obstacle(bad_taxonomy, obstacle()), dict)
