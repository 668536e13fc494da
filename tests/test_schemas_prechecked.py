"""Prechecked nested fields: what their fast path lets through is exactly what the full
marshmallow load would load unchanged, so skipping the load changes no answer: every pair of
edge values, then values drawn at random."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from schemas.sync import (
    MUTATION_ID_MAX,
    MUTATION_SCHEMAS,
    MutationEnvelopeSchema,
    PushRequestSchema,
    TemplateRefSchema,
    envelope_accepted,
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
