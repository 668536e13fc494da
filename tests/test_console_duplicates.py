"""The duplicates queue in the console: side by side, explained, merged or dismissed, unmerged."""

import math
import re

import pytest

from sync import users
from sync.store import write
from tests.helpers import PASSWORD
from tests.test_console_helpers import FARS, SHAMSABAD, TEHRAN, ConsoleUser, make_device, seed_console

ORIGINAL = {"name": "نساجی کیان‌تار", "province_id": TEHRAN, "park_id": SHAMSABAD, "phone": "021-56231988",
            "address": "شمس‌آباد، خیابان گلبرگ سوم، پلاک ۹", "activity": "ریسندگی و بافندگی",
            "location": {"lat": 35.56, "lon": 51.262}}
RETYPED = {"name": "نساجى كيان تار", "province_id": TEHRAN, "park_id": SHAMSABAD, "phone": "0912 111 2233",
           "address": "شمس آباد خ گلبرگ", "activity": "ریسندگی و بافندگی",
           "location": {"lat": 35.5618, "lon": 51.2645}}


@pytest.fixture
def pair(app, db, clock, client, tmp_path):
    """Two engineers register the same factory offline with other spellings: one pair queued."""
    seeded = seed_console(app, db, clock, client, tmp_path)
    with write(db, clock()) as tx:
        users.create_user(tx, "neda", PASSWORD, "engineer", [TEHRAN], full_name="Neda")
    neda = make_device(tmp_path, client, clock, "neda")
    first = seeded.devices["reza"].create_unit(ORIGINAL)
    second = neda.create_unit(RETYPED)
    seeded.devices["reza"].sync()
    neda.sync()
    queued = db.execute("SELECT id, unit_a, unit_b FROM dedup_candidates WHERE status = 'pending'").fetchall()
    assert len(queued) == 1, "the dedup engine queues the pair for a supervisor"
    return {"id": queued[0][0], "first": first, "second": second, "devices": {**seeded.devices, "neda": neda}}


def test_the_queue_lists_pairs_only_in_the_supervisors_provinces(client, pair):
    sara = ConsoleUser(client, "sara")
    html = sara.page("/console/duplicates")
    assert html.count("data-pair=") == 1 and "نساجی کیان‌تار" in html and "نساجى كيان تار" in html
    assert "۱" in sara.page("/console/")  # the home page counts it
    maryam = ConsoleUser(client.application.test_client(), "maryam")  # Fars
    assert maryam.page("/console/duplicates").count("data-pair=") == 0
    assert maryam.get(f"/console/duplicates/{pair['id']}").status_code == 404
    assert maryam.post(f"/console/duplicates/{pair['id']}/decide", {"decision": "distinct"}).status_code == 404
    assert sara.page(f"/console/duplicates?province_id={FARS}").count("data-pair=") == 0


def test_a_pair_side_by_side_with_the_score_explained(client, pair):
    html = ConsoleUser(client, "sara").page(f"/console/duplicates/{pair['id']}")
    assert "امتیاز شباهت" in html and "توضیح امتیاز" in html
    assert re.search(r'<tr data-field="park_id"><th>[^<]+</th>\s*<td class="agree"><bdi>شهرک صنعتی شمس‌آباد', html)
    assert re.search(r'<tr data-field="phone">.*?<td class="differ">', html, re.S)
    assert "شباهت نام" in html and "فاصله" in html  # features in words
    assert 'id="merge-left"' in html and 'id="not-same"' in html


def test_the_explanation_adds_up_in_persian_words_and_digits(client, pair, db):
    """Every feature in words (none left as its code), weights in Persian digits with their
    sign, a starting row so the weights add up to the score, and the score as a chance."""
    html = ConsoleUser(client, "sara").page(f"/console/duplicates/{pair['id']}")
    explain = html[html.index('id="explain"'):]
    assert "name_commonness" not in re.sub(r'data-feature="[^"]+"', "", explain)
    assert not re.search(r"<td>[a-z_]+</td>", explain), "a feature or level shown as its code"
    score = db.execute("SELECT score FROM dedup_candidates WHERE id = ?", [pair["id"]]).fetchone()[0]
    weights = [float(w.replace("\u2212", "-").translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹٫", "0123456789.")))
               for w in re.findall(r'<td class="num">\u2066([^\u2069]+)\u2069</td>', explain)]
    assert len(weights) >= 5 and abs(sum(weights) - score) < 0.02, (weights, score)
    assert re.search(r'<th class="num">\u2066[+\u2212][۰-۹]+٫[۰-۹]{2}\u2069</th>', explain), "the total, signed"
    chance = 1 / (1 + math.exp(-score))
    assert f"احتمال یکی بودن: {round(chance * 100)}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in html
    # Phones, ids and locations keep their order inside right-to-left cells.
    assert "<bdi>0912 111 2233</bdi>" in html


def test_hard_rules_are_told_in_the_page_language(app):
    from server.console import pages_duplicates

    detail = {"score": 1.2, "features": {"legal_id": "conflict", "name": "exact"},
              "reasons": ["name=exact +3.39", "legal_id=conflict -4.61",
                          "hard rule: different valid legal national ids"]}
    with app.test_request_context("/console/duplicates/1"):
        from flask import g

        g.lang = "fa"
        assert pages_duplicates.hard_rules(detail) == ["دو شناسه ملی معتبرِ متفاوت"]
        assert pages_duplicates.base_score(detail) == round(1.2 - 3.39 + 4.61, 2)
        g.lang = "en"
        assert pages_duplicates.hard_rules(detail) == ["Two different valid legal national IDs"]


def test_merge_from_the_queue_then_unmerge_from_the_unit_page(client, pair, db):
    sara = ConsoleUser(client, "sara")
    detail = sara.page(f"/console/duplicates/{pair['id']}")
    left = re.search(r'name="winner_id" value="([^"]+)"', detail).group(1)
    response = sara.post(f"/console/duplicates/{pair['id']}/decide", {"decision": "merge", "winner_id": left})
    assert response.status_code == 302 and response.headers["Location"] == f"/console/units/{left}"
    loser = pair["second"] if left == pair["first"] else pair["first"]
    assert db.execute("SELECT merged_into FROM units WHERE id = ?", [loser]).fetchone()[0] == left
    unit_page = sara.page(f"/console/units/{left}")
    assert "دو رکورد ادغام شدند" in unit_page and f"/console/units/{loser}/unmerge" in unit_page
    # The engineer's phone learns of the merge through pull.
    neda = pair["devices"]["neda"]
    neda.pull()
    assert neda.redirects().get(loser) == left or loser not in neda.units()
    sara.post(f"/console/units/{loser}/unmerge", {"next": f"/console/units/{left}"})
    assert db.execute("SELECT merged_into FROM units WHERE id = ?", [loser]).fetchone()[0] is None
    status = db.execute("SELECT status FROM dedup_candidates WHERE id = ?", [pair["id"]]).fetchone()[0]
    assert status == "distinct", "an unmerged pair is remembered as two units"
    assert sara.page("/console/duplicates").count("data-pair=") == 0


def test_not_the_same_is_remembered(client, pair, db):
    sara = ConsoleUser(client, "sara")
    response = sara.post(f"/console/duplicates/{pair['id']}/decide", {"decision": "distinct"})
    assert response.status_code == 302 and response.headers["Location"] == "/console/duplicates"
    assert "این جفت دوباره پیشنهاد نمی‌شود" in sara.page("/console/duplicates")
    assert db.execute("SELECT status FROM dedup_candidates WHERE id = ?", [pair["id"]]).fetchone()[0] == "distinct"
    assert sara.page("/console/duplicates?status=distinct").count("data-pair=") == 1
    assert sara.post(f"/console/duplicates/{pair['id']}/decide", {"decision": "maybe"}).status_code == 400
    audit = db.execute("SELECT user_id FROM audit_log WHERE action = 'dedup.distinct'").fetchone()
    assert audit[0] == users.find_user(db, "sara")["id"]


def test_engineers_cannot_open_the_queue(client, pair):
    reza = ConsoleUser(client, "reza")
    assert reza.get("/console/duplicates").status_code == 403
    assert reza.get(f"/console/duplicates/{pair['id']}").status_code == 403
