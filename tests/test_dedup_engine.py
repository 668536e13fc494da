"""The dedup engine: keys, features, hard rules, traps and chaining."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.dedup import blocking_keys, decide, deduplicate, features, prepare, query_keys, score
from sync.dedup.features import LEVELS
from sync.dedup.generator import make_legal_id
from sync.dedup.scoring import HARD_RULES, WEIGHTS, quick_score
from sync.identifiers import legal_id_check_digit

LEGAL_ID = "10320894878"
OTHER_LEGAL_ID = "1044556677" + str(legal_id_check_digit("1044556677"))

FACTORY = {
    "id": "a", "name": "شرکت صنایع غذایی مهرام (سهامی خاص)", "national_id": LEGAL_ID,
    "license_no": "123456", "province": "تهران", "city": "پاکدشت",
    "park": "شهرک صنعتی عباس‌آباد", "address": "شهرک صنعتی عباس‌آباد، خیابان بهار، پلاک ۱۲",
    "phone": "021-36001234", "lat": 35.4801, "lon": 51.6802, "owner": "محمد رضایی",
    "activity": "تولید مواد غذایی", "status": "فعال", "employees": 40,
}
# the same factory as another engineer typed it on an Arabic keyboard
RETYPED = {
    "id": "b", "name": "صنايع غذايي مهرام ش.س.خ", "national_id": "", "license_no": "",
    "province": "استان تهران", "city": "", "park": "ش.ص عباس آباد",
    "address": "ش.ص عباس آباد خ. بهار پ ۱۲", "phone": "+98 21 3600 1234",
    "lat": "35.48055", "lon": "51.68045", "owner": "آقای رضایی", "activity": "مواد غذایی",
}


def variant(**changes) -> dict:
    return {**FACTORY, **changes}


def test_retyped_factory_merges():
    decision = decide(FACTORY, RETYPED)
    assert decision.verdict == "merge", decision.reasons
    assert decision.features["phone"] == "match"
    assert decision.features["name"] == "exact"


def test_weights_cover_every_level():
    assert set(WEIGHTS) == set(LEVELS)
    for name, levels in LEVELS.items():
        assert set(WEIGHTS[name]) == set(levels)
        if "none" in levels:
            assert WEIGHTS[name]["none"] == 0.0  # a missing field is no evidence
    for name, level in HARD_RULES:
        assert level in LEVELS[name]


def test_different_valid_legal_ids_never_merge():
    decision = decide(FACTORY, variant(id="c", national_id=OTHER_LEGAL_ID))
    assert decision.features["legal_id"] == "conflict"
    assert decision.verdict != "merge"
    assert any("legal" in reason for reason in decision.reasons)


def test_invalid_legal_id_is_no_evidence():
    mistyped = LEGAL_ID[:-1] + str((int(LEGAL_ID[-1]) + 1) % 10)
    decision = decide(FACTORY, variant(id="c", national_id=mistyped))
    assert decision.features["legal_id"] == "one"
    assert decision.verdict == "merge"
    assert prepare(variant(national_id=mistyped)).legal_invalid


def test_different_licence_numbers_never_merge():
    decision = decide(FACTORY, variant(id="c", license_no="654321"))
    assert decision.features["license"] == "conflict"
    assert decision.verdict != "merge"


def test_different_branch_is_strong_evidence_against():
    for name in ("شرکت صنایع غذایی مهرام شماره ۲", "صنایع غذایی مهرام 2", "غذایی مهرام واحد ۲"):
        decision = decide(FACTORY, variant(id="c", name=name))
        assert decision.features["branch"] == "differ"
        assert decision.verdict != "merge"
        assert WEIGHTS["branch"]["differ"] <= -5


def test_trap_same_brand_other_activity_same_park():
    other = variant(id="c", name="مهرام پلاستیک", activity="تولید قطعات پلاستیکی",
                    national_id="", license_no="", phone="021-36009876", owner="علی کریمی",
                    address="شهرک صنعتی عباس‌آباد، خیابان صنعت، پلاک ۸۰",
                    lat=35.4830, lon=51.6830)
    assert decide(FACTORY, other).verdict == "distinct"


def test_trap_same_name_in_another_province():
    other = variant(id="c", province="اصفهان", city="اصفهان", park="شهرک صنعتی محمودآباد",
                    national_id="", license_no="", phone="031-33001234", owner="",
                    address="", lat=32.70, lon=51.60)
    assert decide(FACTORY, other).verdict == "distinct"


def test_trap_second_plant_in_the_same_park():
    plant = variant(id="c", name="صنایع غذایی مهرام شماره ۲", license_no="", phone="021-36005555",
                    address="شهرک صنعتی عباس‌آباد، خیابان گلستان، پلاک ۴۰",
                    lat=35.4835, lon=51.6800)
    assert decide(FACTORY, plant).verdict != "merge"
    assert deduplicate([FACTORY, plant]).stats["clusters"] == 2


def test_trap_same_legal_id_far_apart():
    far = variant(id="c", province="خراسان رضوی", city="مشهد", park="شهرک صنعتی توس",
                  license_no="", phone="051-35001234", address="", lat=36.38, lon=59.45)
    assert decide(FACTORY, far).verdict != "merge"


def test_one_weak_link_does_not_chain_two_firms():
    """Two firms with one name in one park, each typed twice, and a record that fits both."""
    firm_a = [variant(id="a1"), variant(id="a2", name="صنایع غذایی مهرام", license_no="",
                                        lat=35.48015, lon=51.68025)]
    firm_c = [variant(id="c1", national_id=OTHER_LEGAL_ID, license_no="777777",
                      phone="021-36008888", owner="حسن احمدی", lat=35.4840, lon=51.6840,
                      address="شهرک صنعتی عباس‌آباد، خیابان نسترن، پلاک ۹۰"),
              variant(id="c2", national_id=OTHER_LEGAL_ID, license_no="", phone="021-36008888",
                      owner="احمدی", lat=35.48405, lon=51.68395, address="")]
    # name and park only: as close to one firm as to the other
    bridge = {"id": "x", "name": "غذایی مهرام", "park": "عباس آباد", "city": "پاکدشت"}
    result = deduplicate(firm_a + firm_c + [bridge])
    label = dict(zip(["a1", "a2", "c1", "c2", "x"], result.labels, strict=True))
    assert label["a1"] == label["a2"]
    assert label["c1"] == label["c2"]
    assert label["a1"] != label["c1"]


def test_hard_rule_is_a_cannot_link_inside_clusters():
    """B merges with A and with C, but A and C have different legal ids: A and C stay apart."""
    a = variant(id="a")
    b = variant(id="b", national_id="", license_no="")
    c = variant(id="c", national_id=OTHER_LEGAL_ID, license_no="")
    labels = deduplicate([a, b, c]).labels
    assert labels[0] != labels[2]


def test_duplicates_share_a_blocking_key_both_ways():
    a, b = prepare(FACTORY), prepare(RETYPED)
    assert blocking_keys(a) & query_keys(b)
    assert blocking_keys(b) & query_keys(a)
    # one typo in a one-word name and no identifiers: the name-deletion keys still meet
    c = prepare({"id": "c", "name": "کارخانه مهرام"})
    d = prepare({"id": "d", "name": "مهرم"})
    assert blocking_keys(c) & query_keys(d)


def test_gps_neighbours_across_a_cell_border_meet():
    # 0.006 degree cells: these two points 150 m apart sit in different cells
    a = prepare({"id": "a", "name": "مهرام", "lat": 35.99999, "lon": 51.0})
    b = prepare({"id": "b", "name": "مهرام", "lat": 36.00120, "lon": 51.0})
    assert any(k.startswith("G:") for k in blocking_keys(a) & query_keys(b))
    assert any(k.startswith("G:") for k in blocking_keys(b) & query_keys(a))


def test_quick_score_agrees_with_the_full_score():
    a, b = prepare(FACTORY), prepare(RETYPED)
    total, _ = score(features(a, b))
    quick, blocked = quick_score(a, b, floor=-100)
    assert abs(quick - total) < 1e-9 and not blocked
    assert quick_score(a, b, floor=total + 1) is None


def test_generated_legal_ids_are_valid():
    import random

    rng = random.Random(5)
    from sync.identifiers import legal_id_valid

    assert all(legal_id_valid(make_legal_id(rng)) for _ in range(200))


junk = st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats(), st.booleans(),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                      st.integers(), max_size=2))
FIELDS = ["id", "name", "national_id", "license_no", "province", "city", "park", "address",
          "phone", "lat", "lon", "owner", "activity", "status", "employees"]


@given(st.dictionaries(st.sampled_from(FIELDS), junk), st.dictionaries(st.sampled_from(FIELDS), junk))
@settings(max_examples=150)
def test_malformed_records_never_raise(a, b):
    decision = decide(a, b)
    assert decision.verdict in {"merge", "review", "distinct"}
    blocking_keys(a)
    query_keys(b)
    assert len(deduplicate([a, b]).labels) == 2


def test_non_dict_records_never_raise():
    for record in (None, [], "x", 5):
        assert decide(record, FACTORY).verdict == "distinct"


def test_incremental_index_finds_the_stored_duplicate():
    from sync.dedup.incremental import MemoryIndex

    index = MemoryIndex()
    index.add(FACTORY)
    index.add(variant(id="other", name="آجر نسوز پارس", national_id="", license_no="",
                      phone="021-36007777", owner="", activity="تولید آجر", lat=35.49, lon=51.69))
    [best, *_] = index.match(RETYPED)
    assert best.unit_id == "a" and best.verdict == "merge"
    assert all(m.unit_id != "b" for m in index.match(RETYPED))  # never itself


def test_a_common_name_in_a_crowded_place_weighs_less():
    from sync.dedup.keys import name_commonness

    # two uncommon words in a 45-unit park of a 6,500-unit batch
    rare = name_commonness([20, 10], place_units=45, total=6500)
    # one common word in a 1,000-unit town of 100,000
    common = name_commonness([900], place_units=1000, total=100_000)
    assert rare < 0.003 < 0.3 < common
    assert WEIGHTS["name_commonness"]["c0"] >= WEIGHTS["name_commonness"]["c3"]
    assert name_commonness([], 10, 100) == -1.0


# --- found by the cross-check on an independent generator (bench/dedup_crosscheck.py) ---

def test_a_province_given_as_a_number_is_not_a_conflict_with_its_name():
    named, numbered = prepare(variant(id="x")), prepare(variant(id="y", province=8))
    assert features(named, numbered)["province"] == "none"  # which numbering is unknown
    assert features(numbered, prepare(variant(id="z", province="8")))["province"] == "same"
    assert features(numbered, prepare(variant(id="z", province="۲۷")))["province"] == "differ"
    assert features(named, prepare(variant(id="z", city=8001)))["city"] == "none"
    # two town ids are equal or not: "#8001" and "#8002" are not "alike"
    assert features(prepare(variant(id="p", city=8001)), prepare(variant(id="q", city=8002)))["city"] == "differ"
    # digits of other kinds are not a number here (and never raise)
    assert features(named, prepare(variant(id="s", province="²")))["province"] != "same"
    # the retyped factory with its province as a number still merges
    assert decide(FACTORY, {**RETYPED, "province": 8}).verdict == "merge"


def test_a_name_without_its_activity_word_is_a_subset_spelled_alike():
    short, full = prepare({"id": "a", "name": "ظریف"}), prepare({"id": "b", "name": "الکترونیک ظریف (سهامی خاص)"})
    assert features(short, full)["name"] == "exact"  # the shared words are spelled alike
    assert features(short, full)["name_words"] == "subset"  # one writer left a word out
    typo = prepare({"id": "c", "name": "ظریفف"})
    assert features(typo, full)["name"] != "low"


def test_words_glued_on_one_side_and_apart_on_the_other_are_partners():
    a = prepare({"id": "a", "name": "آرمان تجارت ایرانیان قطعه سازی"})
    b = prepare({"id": "b", "name": "قطعهسازی آرمان تجارت"})  # no ZWNJ: one word
    c = prepare({"id": "c", "name": "قطعهسازی آرمان تجارت ایرانیان"})
    assert features(a, b)["name_words"] == "subset"  # only ایرانیان is extra
    assert features(a, c)["name_words"] == "all"
    # in another order, or glued to the extra word
    order = (prepare({"id": "f", "name": "قطعات خودرو ایران سازان"}),
             prepare({"id": "g", "name": "ایرانسازان قطعات خودرو"}))
    assert features(*order)["name"] == "exact" and features(*order)["name_words"] == "all"
    glued = (prepare({"id": "h", "name": "کوثرایرانیان چوب"}), prepare({"id": "i", "name": "کوثر چوب"}))
    assert features(*glued)["name"] == "exact" and features(*glued)["name_words"] == "subset"
    # a brand next to another brand is still a conflict, and so is a longer brand
    longer = (prepare({"id": "j", "name": "پارسیان"}), prepare({"id": "k", "name": "پارس"}))
    assert features(*longer)["name_words"] == "conflict"
    d = prepare({"id": "d", "name": "پلاستیک مهرام"})
    assert features(prepare({"id": "e", "name": "غذایی مهرام"}), d)["name_words"] == "conflict"


def test_a_name_without_its_activity_word_merges_on_a_shared_phone():
    short = {"id": "s", "name": "مهرام", "park": "ش.ص عباس آباد", "phone": "02136001234",
             "activity": "مواد غذایی"}
    assert decide(FACTORY, short).verdict == "merge"
    # the same short name with nothing else in common is not enough
    assert decide(FACTORY, {"id": "t", "name": "مهرام", "park": "عباس آباد"}).verdict != "merge"
    # nor a shorter name whose other fields speak against it (the same-brand trap)
    trap = variant(id="u", name="مهرام", activity="تولید قطعات پلاستیکی", national_id=OTHER_LEGAL_ID,
                   license_no="", phone="021-36009876", owner="علی کریمی", address="", lat=35.4830, lon=51.6830)
    assert decide(FACTORY, trap).verdict != "merge"


def test_a_shorter_name_in_the_same_town_is_a_candidate():
    from sync.dedup.keys import weak_pair_plausible

    short = prepare({"id": "a", "name": "سبلان صنعت", "city": "تاکستان"})
    full = prepare({"id": "b", "name": "قطعه‌سازی سبلان صنعت نوین", "city": "تاکستان"})
    assert blocking_keys(short) & query_keys(full)
    assert weak_pair_plausible("P", short, full)  # one name's words all in the other
    other = prepare({"id": "c", "name": "سبلان پلاستیک نوین", "city": "تاکستان"})
    assert not weak_pair_plausible("P", short, other)  # one shared word is not enough
