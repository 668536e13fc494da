"""The shipped reference data: provinces, main cities, industrial parks and zones."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import FARS, ISFAHAN, TEHRAN

PATH = Path(__file__).resolve().parents[1] / "sync" / "data" / "iran_reference.json"
ZWNJ = "\u200c"


@pytest.fixture(scope="module")
def ref():
    return json.loads(PATH.read_text("utf-8"))


def by_id(rows):
    return {row["id"]: row for row in rows}


def test_shape(ref):
    assert set(ref) == {"version", "provinces", "cities", "parks"}
    assert ref["version"] == 1
    assert set(ref["provinces"][0]) == {"id", "name", "name_en", "capital_city_id"}
    assert all(set(c) == {"id", "name", "name_en", "province_id"} for c in ref["cities"])
    assert all(set(p) == {"id", "name", "name_en", "kind", "province_id", "city_id"}
               for p in ref["parks"])


def test_all_31_provinces(ref):
    provinces = ref["provinces"]
    assert [p["id"] for p in provinces] == list(range(1, 32))
    assert len({p["name"] for p in provinces}) == 31
    assert len({p["name_en"] for p in provinces}) == 31
    names = by_id(provinces)
    # Ids follow the Persian alphabetical order; the test fixtures rely on these.
    assert names[TEHRAN]["name"] == "تهران"
    assert names[ISFAHAN]["name"] == "اصفهان"
    assert names[FARS]["name"] == "فارس"
    assert names[1]["name"] == "آذربایجان شرقی" and names[31]["name"] == "یزد"


@pytest.mark.parametrize("kind", ["provinces", "cities", "parks"])
def test_ids_are_unique_integers(ref, kind):
    ids = [row["id"] for row in ref[kind]]
    assert all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids)
    assert len(ids) == len(set(ids))


def test_city_and_park_ids_do_not_overlap(ref):
    assert not {c["id"] for c in ref["cities"]} & {p["id"] for p in ref["parks"]}


def test_cities_belong_to_provinces_and_each_has_its_capital(ref):
    provinces = by_id(ref["provinces"])
    cities = by_id(ref["cities"])
    assert all(c["province_id"] in provinces for c in cities.values())
    per_province = Counter(c["province_id"] for c in cities.values())
    for province in provinces.values():
        capital = cities[province["capital_city_id"]]
        assert capital["province_id"] == province["id"], province["name_en"]
        assert 4 <= per_province[province["id"]] <= 9, province["name_en"]
        names = [c["name"] for c in cities.values() if c["province_id"] == province["id"]]
        assert len(names) == len(set(names)), province["name_en"]


def test_parks_reference_existing_places_in_the_same_province(ref):
    provinces = by_id(ref["provinces"])
    cities = by_id(ref["cities"])
    for park in ref["parks"]:
        assert park["province_id"] in provinces, park["name_en"]
        if park["city_id"] is not None:
            assert cities[park["city_id"]]["province_id"] == park["province_id"], park["name_en"]


def test_every_province_has_parks_and_big_ones_have_several(ref):
    per_province = Counter(p["province_id"] for p in ref["parks"])
    assert set(per_province) == set(range(1, 32))
    assert per_province[TEHRAN] >= 5 and per_province[ISFAHAN] >= 5
    names = {p["name"] for p in ref["parks"] if p["province_id"] == TEHRAN}
    assert {"شهرک صنعتی عباس‌آباد", "شهرک صنعتی شمس‌آباد", "شهرک صنعتی پرند"} <= names


def test_park_kind_matches_its_name(ref):
    for park in ref["parks"]:
        assert park["kind"] in ("park", "zone")
        prefix = "ناحیه صنعتی " if park["kind"] == "zone" else ("شهرک صنعتی ", "شهر صنعتی ")
        assert park["name"].startswith(prefix), park["name"]
        assert ("Zone" in park["name_en"]) == (park["kind"] == "zone"), park["name_en"]


def test_park_names_are_unique_within_a_province(ref):
    keys = [(p["province_id"], p["name"]) for p in ref["parks"]]
    assert len(keys) == len(set(keys))


def _persian_texts(ref):
    for kind in ("provinces", "cities", "parks"):
        for row in ref[kind]:
            yield row["name"]


def test_persian_spelling(ref):
    for name in _persian_texts(ref):
        assert "\u064a" not in name and "\u0643" not in name, name  # Arabic yeh, kaf
        assert name == name.strip() and "  " not in name, name
        # A ZWNJ only ever sits between two letters, never next to a space or at an edge.
        assert not re.search(rf"(^|\s){ZWNJ}|{ZWNJ}(\s|$)", name), name
    # Compound names are joined with a ZWNJ rather than a space or nothing.
    names = set(_persian_texts(ref))
    assert {"اسلام‌شهر", "شهرک صنعتی عباس‌آباد"} <= names
    assert not names & {"اسلام شهر", "اسلامشهر", "شهرک صنعتی عباس آباد"}


def test_english_names_are_plain_ascii(ref):
    for kind in ("provinces", "cities", "parks"):
        for row in ref[kind]:
            assert row["name_en"] and row["name_en"].isascii(), row


def test_the_sync_loader_reads_the_shipped_file(ref):
    from sync import reference

    assert reference.shipped_reference() == ref
