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


def test_each_unit_page_links_to_its_pending_pair(client, pair):
    sara = ConsoleUser(client, "sara")
    for unit_id, other in ((pair["first"], "نساجى كيان تار"), (pair["second"], "نساجی کیان‌تار")):
        html = sara.page(f"/console/units/{unit_id}")
        card = re.search(r'<section class="card" id="pending-pairs">.*?</section>', html, re.S).group(0)
        assert f'href="/console/duplicates/{pair["id"]}">{other}</a>' in card
    assert sara.post(f"/console/duplicates/{pair['id']}/decide", {"decision": "distinct"}).status_code == 302
    assert 'id="pending-pairs"' not in sara.page(f"/console/units/{pair['first']}")  # decided: no longer waiting


def test_a_pair_side_by_side_with_the_score_explained(client, pair):
    html = ConsoleUser(client, "sara").page(f"/console/duplicates/{pair['id']}")
    assert "احتمال یکی بودن" in html and "توضیح امتیاز" in html
    park = r'<tr data-field="park_id" data-kind="agree"><th>[^<]+</th>\s*<td class="agree">شهرک صنعتی شمس‌آباد'
    assert re.search(park, html)
    assert re.search(r'<tr data-field="license_no" data-kind="both_empty">', html), "two empty fields are not 'agree'"
    assert "شباهت نام" in html and "فاصله" in html  # features in words
    assert 'id="merge-left"' in html and 'id="not-same"' in html


def kind_of(html: str, where: str, key: str) -> str:
    return re.search(rf'<tr data-{where}="{key}" data-kind="([a-z_]+)">', html).group(1)


def test_the_table_and_the_explanation_agree_on_every_field(client, pair):
    """A field the engine compared reads the same in the side-by-side table and in the score's
    explanation: the name typed with another spelling agrees in both, the location 300 m–1 km
    apart differs in both, and each level is named by its real range."""
    html = ConsoleUser(client, "sara").page(f"/console/duplicates/{pair['id']}")
    explain = html[html.index('id="explain"'):]
    for field, feature in (("name", "name"), ("location", "distance"), ("address", "address"),
                           ("activity", "activity"), ("park_id", "park"), ("phone", "phone")):
        assert kind_of(html, "field", field) == kind_of(explain, "feature", feature), field
    assert kind_of(html, "field", "name") == "agree"  # «کیان‌تار» / «كيان تار»: one name, spelt twice
    assert "یکسان (یکسان" not in html, "a word said twice"
    assert re.search(r'data-feature="distance" data-kind="[a-z]+"><td>فاصله</td>\s*<td><span[^>]*>[^<]*'
                     r'(تا ۵۰ متر|۵۰ تا ۱۵۰ متر|۱۵۰ تا ۳۰۰ متر|۳۰۰ متر تا ۱ کیلومتر)', explain)


def test_the_explanation_adds_up_in_persian_words_and_digits(client, pair, db):
    """Every feature in words (none left as its code), weights in Persian digits with their
    sign, a starting row so the weights add up to the score, and the score as a chance in words."""
    html = ConsoleUser(client, "sara").page(f"/console/duplicates/{pair['id']}")
    explain = html[html.index('id="explain"'):]
    assert "name_commonness" not in re.sub(r'data-feature="[^"]+"', "", explain)
    assert not re.search(r"<td>[a-z_]+</td>", explain), "a feature or level shown as its code"
    score = db.execute("SELECT score FROM dedup_candidates WHERE id = ?", [pair["id"]]).fetchone()[0]
    weights = [float(w.replace("\u2212", "-").translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹٫", "0123456789.")))
               for w in re.findall(r'<td class="num"><small>\u2066([^\u2069]+)\u2069</small></td>', explain)]
    assert len(weights) >= 5 and abs(sum(weights) - score) < 0.02, (weights, score)
    chance = round(100 / (1 + math.exp(-score)))
    words = {"بسیار بعید", "بعید", "ممکن، نامطمئن", "محتمل", "بسیار محتمل", "تقریباً قطعی"}
    headline = re.search(r"احتمال یکی بودن: ([^(]+) \(حدود ([۰-۹]+)٪\)", html)
    assert headline and headline.group(1) in words, "the chance in words, not a log-odds"
    assert headline.group(2) == str(chance).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert "امتیاز شباهت" not in html
    # Phones, ids and locations keep their order inside right-to-left cells, in Persian digits.
    assert "<bdi>۰۹۱۲ ۱۱۱ ۲۲۳۳</bdi>" in html


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


def test_not_the_same_is_remembered_and_can_be_taken_back(client, pair, db):
    sara = ConsoleUser(client, "sara")
    page = sara.page(f"/console/duplicates/{pair['id']}")
    assert re.search(r'<form [^>]*data-confirm="[^"]+"[^>]*>\s*<input[^>]+csrf_token[^>]+>\s*'
                     r'<input type="hidden" name="decision" value="distinct">', page), "it asks first"
    response = sara.post(f"/console/duplicates/{pair['id']}/decide", {"decision": "distinct"})
    assert response.status_code == 302 and response.headers["Location"] == f"/console/duplicates/{pair['id']}"
    after = sara.page(f"/console/duplicates/{pair['id']}")
    assert "این جفت دوباره پیشنهاد نمی‌شود" in after and 'id="reopen"' in after
    assert db.execute("SELECT status FROM dedup_candidates WHERE id = ?", [pair["id"]]).fetchone()[0] == "distinct"
    assert sara.page("/console/duplicates?status=distinct").count("data-pair=") == 1
    assert sara.post(f"/console/duplicates/{pair['id']}/decide", {"decision": "maybe"}).status_code == 400
    audit = db.execute("SELECT user_id FROM audit_log WHERE action = 'dedup.distinct'").fetchone()
    assert audit[0] == users.find_user(db, "sara")["id"]
    # Taken back from the pair page: the pair waits in the queue again, scored afresh.
    sara.post(f"/console/duplicates/{pair['id']}/decide", {"decision": "reopen"})
    row = db.execute("SELECT status, score FROM dedup_candidates WHERE id = ?", [pair["id"]]).fetchone()
    assert row[0] == "pending" and row[1] != 0
    assert sara.page("/console/duplicates").count("data-pair=") == 1
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'dedup.reopen'").fetchone()[0] == 1
    # Only a pair marked not the same can be reopened.
    refused = sara.post(f"/console/duplicates/{pair['id']}/decide", {"decision": "reopen"})
    assert refused.status_code == 302 and db.execute(
        "SELECT status FROM dedup_candidates WHERE id = ?", [pair["id"]]).fetchone()[0] == "pending"


def test_both_pages_put_the_same_record_first(client, pair, db):
    sara = ConsoleUser(client, "sara")
    listed = sara.page("/console/duplicates")
    first = re.search(r'<td class="first">([^<]+)</td>', listed).group(1)
    detail = sara.page(f"/console/duplicates/{pair['id']}")
    assert re.search(r'<tr data-field="name" data-kind="[a-z_]+"><th>[^<]+</th>\s*<td class="[a-z_]+"><bdi>([^<]+)',
                     detail).group(1) == first
    older = db.execute("SELECT name FROM units WHERE id IN (?, ?) ORDER BY created_at, id LIMIT 1",
                       [pair["first"], pair["second"]]).fetchone()[0]
    assert first == older


def test_merge_keeps_the_values_the_supervisor_chose(client, pair, db):
    """The pair page shows the merged record; where the two differ the supervisor picks a value,
    and the unit keeps exactly that (the merge rule alone would keep the later phone)."""
    sara = ConsoleUser(client, "sara")
    detail = sara.page(f"/console/duplicates/{pair['id']}")
    left = re.search(r'name="winner_id" value="([^"]+)"', detail).group(1)
    right = pair["second"] if left == pair["first"] else pair["first"]
    assert re.search(r'name="value_phone" value="[^"]+" checked', detail), "the merged record is shown"
    first_phone = db.execute("SELECT phone FROM units WHERE id = ?", [left]).fetchone()[0]
    second_name = db.execute("SELECT name FROM units WHERE id = ?", [right]).fetchone()[0]
    response = sara.post(f"/console/duplicates/{pair['id']}/decide", {
        "decision": "merge", "winner_id": left, "value_phone": left, "value_name": right})
    assert response.status_code == 302 and response.headers["Location"] == f"/console/units/{left}"
    merged = db.execute("SELECT phone, name, merged_into FROM units WHERE id = ?", [left]).fetchone()
    assert merged[:2] == (first_phone, second_name) and merged[2] is None
    # The choice is part of the merge: an unmerge gives the first record its own name back.
    sara.post(f"/console/units/{right}/unmerge", {"next": f"/console/units/{left}"})
    assert db.execute("SELECT name FROM units WHERE id = ?", [left]).fetchone()[0] != second_name


def test_engineers_cannot_open_the_queue(client, pair):
    reza = ConsoleUser(client, "reza")
    assert reza.get("/console/duplicates").status_code == 403
    assert reza.get(f"/console/duplicates/{pair['id']}").status_code == 403
