"""Fast paths past marshmallow: what a Prechecked nested field lets through is exactly what
the full load would load unchanged, and a new visit loaded without the schema is exactly what
the schema loads, so skipping the load changes no answer: every pair of edge values, then
values drawn at random."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from schemas.sync import (
    MUTATION_ID_MAX,
    MUTATION_SCHEMAS,
    MutationEnvelopeSchema,
    PushRequestSchema,
    PushResponseSchema,
    TemplateRefSchema,
    envelope_accepted,
    load_mutation,
    new_visit_loaded,
    results_dumped,
    template_ref_accepted,
)
from sync.sample_visits import TEMPLATE_REF

# Values near every edge the schemas draw (empty and 64/65-character text, 0, 1, the largest
# id and one past it, booleans — ints in Python —, floats equal to ints, every mutation type)
# two times in three; anything JSON can hold the rest.
EDGES = [None, True, False, 0, 1, 2, -1, MUTATION_ID_MAX, MUTATION_ID_MAX + 1, 1.0, 2.5, "", "x", "a" * 64,
         "a" * 65, "create_visit", "create_unit", "update_unit", "revise_visit", "diagnosis", "CREATE_VISIT"]
edge_values = st.one_of(
    st.sampled_from(EDGES), st.sampled_from(EDGES),
    st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=70), st.lists(st.integers(), max_size=2),
              st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)))


def objects(fields, extras):
    """Objects with every field of the schema, or with any of its fields and extra keys."""
    return st.one_of(st.fixed_dictionaries({key: edge_values for key in fields}),
                     st.fixed_dictionaries({}, optional={key: edge_values for key in fields + extras}))


def full_load(schema, value):
    try:
        return schema.load(value)
    except ValidationError:
        return "refused"


CASES = {
    "envelope": (MutationEnvelopeSchema(), envelope_accepted, ["mutation_id", "type"], ["visit_id", "answers"]),
    "template reference": (TemplateRefSchema(), template_ref_accepted, ["code", "version"], ["extra"]),
}


@pytest.mark.parametrize("case", CASES)
def test_what_the_fast_path_accepts_the_schema_loads_unchanged(case):
    schema, accepts, fields, extras = CASES[case]

    @settings(max_examples=1000, deadline=None)
    @given(value=st.one_of(objects(fields, extras), edge_values))
    def check(value):
        if accepts(value):
            assert full_load(schema, value) == value

    check()


@pytest.mark.parametrize("case", CASES)
def test_every_pair_of_edge_values_is_judged_as_the_schema_judges_it(case):
    schema, accepts, (first, second), _ = CASES[case]
    for a in EDGES:
        for b in EDGES:
            value = {first: a, second: b}
            if accepts(value):
                assert full_load(schema, value) == value, value


def test_well_formed_values_take_the_fast_path():
    # Were these refused by the fast path, pushes would only be slower: say so here.
    assert envelope_accepted({"mutation_id": 7, "type": "create_visit", "answers": {}})
    assert template_ref_accepted(dict(TEMPLATE_REF))


@pytest.mark.parametrize("bad, where", [
    ({"mutations": [{"mutation_id": True, "type": "create_visit"}]}, "mutation_id"),
    ({"mutations": [{"mutation_id": MUTATION_ID_MAX + 1, "type": "create_visit"}]}, "mutation_id"),
    ({"mutations": [{"mutation_id": 1, "type": "delete_everything"}]}, "type"),
])
def test_what_the_fast_path_refuses_is_still_named_by_the_schema(bad, where):
    with pytest.raises(ValidationError) as error:
        PushRequestSchema().load(bad)
    assert where in error.value.messages["mutations"][0]


def test_a_visit_with_a_bad_template_reference_is_named_by_field():
    visit = {"mutation_id": 1, "type": "create_visit", "visit_id": "v", "unit_id": "u",
             "observed_at": "2026-03-01T06:00:00Z", "answers": {}, "template": {"code": "", "version": 0}}
    with pytest.raises(ValidationError) as error:
        MUTATION_SCHEMAS["create_visit"].load(visit)
    assert set(error.value.messages["template"]) == {"code", "version"}


# A new visit loaded without marshmallow (schemas.sync.new_visit_loaded): a well-formed visit,
# then up to two of its fields given a value at or past an edge of the schema, some optional
# fields left out, sometimes a key the schema does not know.
HEX = "0123456789abcdef" * 4
WELL_FORMED = {
    "mutation_id": st.integers(min_value=1, max_value=MUTATION_ID_MAX),
    "type": st.just("create_visit"),
    "observed_at": st.one_of(
        st.sampled_from(["2026-03-01T06:00:00Z", "2026-03-01T09:30:00+03:30", "2026-03-01T06:00:00", "2026-03-01"]),
        st.datetimes().map(lambda moment: moment.isoformat())),
    "visit_id": st.text(min_size=1, max_size=64),
    "unit_id": st.text(min_size=1, max_size=64),
    "answers": st.dictionaries(st.text(max_size=4), st.one_of(st.integers(), st.floats(), st.text(max_size=4)),
                               max_size=3),
    "template": st.one_of(st.none(), st.fixed_dictionaries({"code": st.text(min_size=1, max_size=64),
                                                            "version": st.integers(min_value=1)})),
    "location": st.one_of(st.none(), st.fixed_dictionaries({
        "lat": st.one_of(st.floats(-90, 90), st.integers(-90, 90)),
        "lon": st.one_of(st.floats(-180, 180), st.integers(-180, 180))})),
    "obstacles": st.lists(st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3), max_size=3),
    "attachments": st.lists(st.sampled_from([HEX, HEX[::-1], "f" * 64]), max_size=3),
}
PAST_EDGES = {
    "mutation_id": st.one_of(st.sampled_from([0, -1, True, 1.0, "1"]), edge_values),
    "type": edge_values,
    "observed_at": st.one_of(st.sampled_from([
        "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-02:00", "yesterday", "2026-03-01T06:00:00Z" + " " * 21,
        "2026-13-01T00:00:00Z", "2026-03-01T06:00:00Z\n",
        "2026-03-01T06:00:00.123456+03:30:00.123456"]), edge_values),  # a time, but past 40 characters
    "visit_id": st.one_of(st.sampled_from(["a" * 65, ""]), edge_values),
    "unit_id": st.one_of(st.sampled_from(["b" * 65, ""]), edge_values),
    "answers": st.one_of(st.sampled_from([[], "{}", None]), edge_values),
    "template": st.one_of(st.sampled_from([{"code": "", "version": 1}, {"code": "d", "version": 0},
                                           {"code": "d", "version": 1, "x": 1}, {"code": "d"}]), edge_values),
    "location": st.one_of(edge_values, st.fixed_dictionaries(
        {"lat": st.one_of(st.floats(), st.integers(), edge_values), "lon": st.one_of(st.floats(), edge_values)},
        optional={"alt": st.integers()})),
    "obstacles": st.one_of(st.sampled_from([[1], [None], [[]], ["x"], [{}] * 200, [{}] * 201, None]), edge_values),
    "attachments": st.one_of(st.sampled_from([[HEX.upper()], [HEX + "\n"], [HEX[:-1]], [HEX] * 100, [HEX] * 101,
                                              [1], [None], None]), edge_values),
}
REQUIRED = ("mutation_id", "type", "observed_at", "visit_id", "unit_id", "answers")


@st.composite
def visits(draw):
    value = {key: draw(strategy) for key, strategy in WELL_FORMED.items()}
    changed = draw(st.sampled_from([0, 1, 1, 1, 2]))  # mostly one field: the others then pass
    for key in draw(st.lists(st.sampled_from(list(PAST_EDGES)), min_size=changed, max_size=changed, unique=True)):
        value[key] = draw(PAST_EDGES[key])
    for key in draw(st.lists(st.sampled_from(list(WELL_FORMED)), max_size=3, unique=True)):
        if key not in REQUIRED or draw(st.integers(0, 9)) == 0:
            del value[key]
    if draw(st.integers(0, 9)) == 0:
        value[draw(st.sampled_from(["extra", "fields", "base_version"]))] = draw(edge_values)
    return value


def same(a, b) -> bool:
    """Equal, and of the same types all the way down (35 and 35.0 are equal, not the same)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (a != a and b != b)  # NaN is the same NaN


_VISIT = {"mutation_id": 3, "type": "create_visit", "visit_id": "v", "unit_id": "u",
          "observed_at": "2026-03-01T06:00:00Z", "answers": {}}


@settings(max_examples=3000, deadline=None)
@given(value=visits())
# The edges themselves, every run: a time fromisoformat reads but past the schema's 40
# characters, ids of 64 and 65 characters, whole-number coordinates, the largest lists.
@example(value={**_VISIT, "observed_at": "2026-03-01T06:00:00.123456+03:30:00.123456"})
@example(value={**_VISIT, "observed_at": "2026-03-01T06:00:00.123+03:30:00.123456"})
@example(value={**_VISIT, "visit_id": "v" * 64, "unit_id": "u" * 65})
@example(value={**_VISIT, "location": {"lat": 90, "lon": -180}})
@example(value={**_VISIT, "obstacles": [{}] * 200, "attachments": [HEX] * 100})
@example(value={**_VISIT, "obstacles": [{}] * 201})
@example(value={**_VISIT, "attachments": [HEX] * 101})
def test_a_new_visit_the_fast_path_loads_is_what_the_schema_loads(value):
    loaded = new_visit_loaded(value)
    if loaded is not None:
        assert same(loaded, full_load(MUTATION_SCHEMAS["create_visit"], value)), value


def test_well_formed_new_visits_take_the_fast_path_and_keep_their_content():
    visit = {"mutation_id": 3, "type": "create_visit", "visit_id": "v", "unit_id": "u",
             "observed_at": "2026-03-01T09:30:00+03:30", "template": dict(TEMPLATE_REF),
             "location": {"lat": 35, "lon": 51.4}, "answers": {"unit_status": "active"},
             "obstacles": [{"area": "مالی", "group": "نقدینگی", "description": "کمبود سرمایه در گردش"}],
             "attachments": [HEX]}
    loaded = new_visit_loaded(visit)
    assert loaded is not None and same(loaded, MUTATION_SCHEMAS["create_visit"].load(visit))
    assert loaded["location"] == {"lat": 35.0, "lon": 51.4} and type(loaded["location"]["lat"]) is float
    assert loaded["observed_at"].isoformat() == "2026-03-01T06:00:00+00:00"
    # Copies: what the push code changes in the loaded visit is not the request's body.
    assert loaded["answers"] is not visit["answers"] and loaded["obstacles"][0] is not visit["obstacles"][0]
    assert load_mutation(visit) == loaded


@pytest.mark.parametrize("change, field", [
    ({"visit_id": "v" * 65}, "visit_id"),
    ({"observed_at": "0001-01-01T00:00:00+01:00"}, "observed_at"),
    ({"location": {"lat": 91, "lon": 0}}, "location"),
    ({"attachments": ["A" * 64]}, "attachments"),
    ({"surprise": 1}, "surprise"),
])
def test_a_new_visit_the_fast_path_refuses_is_named_by_the_schema(change, field):
    visit = {"mutation_id": 3, "type": "create_visit", "visit_id": "v", "unit_id": "u",
             "observed_at": "2026-03-01T06:00:00Z", "answers": {}, **change}
    assert new_visit_loaded(visit) is None
    with pytest.raises(ValidationError) as error:
        load_mutation(visit)
    assert field in error.value.messages


RESULT_KEYS = ["mutation_id", "status", "first_status", "unit_id", "visit_id", "version", "redirected_from",
               "conflicts", "dedup", "error", "surprise"]


@settings(max_examples=1000, deadline=None)
@given(results=st.lists(st.one_of(objects(RESULT_KEYS[:7], RESULT_KEYS[7:]), edge_values), max_size=3))
def test_push_results_answered_without_the_schema_are_what_it_would_dump(results):
    if results_dumped(results):
        answer = {"results": results, "durable": {"store_id": "s", "mutation_id": 3}, "server_time": "t"}
        assert same(PushResponseSchema().dump(answer), answer)


def test_plain_results_skip_the_dump_and_others_do_not():
    assert results_dumped([{"mutation_id": 1, "status": "applied", "visit_id": "v", "unit_id": "u"},
                           {"mutation_id": 2, "status": "duplicate", "first_status": "applied", "unit_id": "u"}])
    assert not results_dumped([{"mutation_id": 1, "status": "rejected", "error": {"code": "c", "message": "m"}}])
    assert not results_dumped([{"mutation_id": True, "status": "applied"}])
