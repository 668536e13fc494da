"""The console's lists that lead to action (issue 14): the obstacle register, the conflicts list,
saved filters, bulk approval, revisits due, the photo gallery and its ZIP, the map's data,
editing users, a revision's old → new values, and Persian order and digits."""

import csv
import hashlib
import io
import re
import zipfile
from html import unescape

import pytest
from openpyxl import load_workbook

from sync import merge, users
from sync.sample_visits import TEMPLATE_REF, diagnosis_answers
from sync.store import write
from sync.users import actor_for
from tests.helpers import PASSWORD
from tests.test_console_helpers import FARS, SHAMSABAD, TEHRAN, ConsoleUser, make_conflict, seed_console


@pytest.fixture
def seeded(app, db, clock, client, tmp_path):
    return seed_console(app, db, clock, client, tmp_path)


def rows_of(html: str, marker: str) -> list[str]:
    return re.findall(rf'{marker}="([^"]+)"', html)


# --- the obstacle register ------------------------------------------------------------------

def test_the_register_lists_the_provinces_obstacles_with_their_age_and_visits(client, seeded, db, clock):
    clock.advance(days=10)
    sara = ConsoleUser(client, "sara")
    html = sara.page("/console/obstacles")
    tehran = db.execute("SELECT o.id FROM obstacles o JOIN units u ON u.id = o.unit_id WHERE u.province_id = ?",
                        [TEHRAN]).fetchall()
    assert sorted(rows_of(html, "data-obstacle")) == sorted(r[0] for r in tehran) and len(tehran) == 4
    # Days open count from the visit that found it to now; the visit and the unit are links.
    assert "<td class=\"num\">۱۰</td>" in html
    assert f'href="/console/visits/{seeded.visits["نساجی البرز"]}" class="found-by"' in html
    assert f'href="/console/units/{seeded.units["نساجی البرز"]}"' in html
    assert "کاشی پارس" not in html  # Fars
    # Filters: by area, group, severity, status and age; a group of another area finds nothing.
    area, group, severity = db.execute("SELECT area, group_code, severity FROM obstacles o JOIN units u"
                                       " ON u.id = o.unit_id WHERE u.province_id = ? LIMIT 1", [TEHRAN]).fetchone()
    by_area = sara.page(f"/console/obstacles?area={area}")
    assert all(area in r for r in db.execute("SELECT area FROM obstacles WHERE id IN ({})".format(
        ",".join("?" * len(rows_of(by_area, "data-obstacle")))), rows_of(by_area, "data-obstacle")))
    assert len(rows_of(sara.page(f"/console/obstacles?group={group}&area={area}"), "data-obstacle")) >= 1
    assert len(rows_of(sara.page(f"/console/obstacles?severity={severity}"), "data-obstacle")) >= 1
    assert rows_of(sara.page("/console/obstacles?status=resolved"), "data-obstacle") == []
    # By unit: nothing indexes obstacles by unit, so the unit's visits find them (migration 15).
    unit_id = seeded.units["نساجی البرز"]
    at_unit = db.execute("SELECT id FROM obstacles WHERE unit_id = ?", [unit_id]).fetchall()
    assert 0 < len(at_unit) < len(tehran)
    assert sorted(rows_of(sara.page(f"/console/obstacles?unit_id={unit_id}"), "data-obstacle")) == \
        sorted(r[0] for r in at_unit)
    assert len(rows_of(sara.page("/console/obstacles?min_days=10"), "data-obstacle")) == 4
    assert rows_of(sara.page("/console/obstacles?min_days=11"), "data-obstacle") == []
    # A backwards age range is said, not an empty list.
    backwards = sara.page("/console/obstacles?min_days=20&max_days=5")
    assert "برخی از مقادیر نامعتبر است" in backwards
    # Sorting is by a known column only, both ways.
    assert 'aria-sort="descending"' in html  # days open, longest first
    assert sara.get("/console/obstacles?sort=id;drop table&dir=up").status_code == 200


def test_a_resolving_visit_is_linked_and_the_export_carries_first_seen_resolved_and_days(client, seeded, db, clock):
    unit_id = seeded.units["نساجی البرز"]
    found = db.execute("SELECT id, opened_at FROM obstacles WHERE unit_id = ? ORDER BY id LIMIT 1",
                       [unit_id]).fetchone()
    record = next(db.query("SELECT area, group_code AS 'group', severity, description, responsible_body"
                           " FROM obstacles WHERE id = ?", [found[0]]))
    clock.advance(days=6)
    reza = seeded.devices["reza"]
    later = reza.record_visit(unit_id, diagnosis_answers(unit_status="semi_active"), template=TEMPLATE_REF,
                              obstacles=[{**record, "obstacle_id": found[0], "resolved": True}])
    reza.sync()
    assert reza.rejected() == []
    sara = ConsoleUser(client, "sara")
    html = sara.page("/console/obstacles?status=resolved")
    assert rows_of(html, "data-obstacle") == [found[0]]
    assert f'href="/console/visits/{later}" class="resolved-by"' in html and '<td class="num">۶</td>' in html
    sheet = load_workbook(io.BytesIO(sara.get("/console/exports/register.xlsx?status=resolved").get_data())).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["روزهای باز"] == 6 and row["وضعیت مانع"] == "رفع‌شده" and row["بازدید رفع‌کننده"] == later
    assert any(h.startswith("اولین مشاهده") for h in header) and any(h.startswith("تاریخ رفع") for h in header)
    text = sara.get("/console/exports/register.csv").get_data().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(text)))) == 1 + 4  # Tehran's obstacles only, with a header


def test_dashboard_charts_open_the_list_they_count(client, seeded, db):
    """Each bar of the obstacle charts links to the register filtered as the chart counted (open,
    approved visits only by default); following the link lists exactly that many obstacles."""
    sara = ConsoleUser(client, "sara")
    for visit_id in (seeded.visits["نساجی البرز"], seeded.visits["صنایع غذایی مهر"]):
        sara.post(f"/console/visits/{visit_id}/decide", {"action": "approve"})
    html = sara.page("/console/dashboard")
    chart = html[html.index('id="chart-obstacle-areas"'):]
    chart = chart[:chart.index("</svg>")]
    links = [unescape(u) for u in re.findall(r'<a href="([^"]+)" class="chart-link">', chart)]
    assert links and all(u.startswith("/console/obstacles?") and "approved=1" in u and "status=open" in u
                         for u in links)
    counted = sum(int(n.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")))
                  for n in re.findall(r": ([۰-۹]+)</title></rect>", chart))
    listed = sum(len(rows_of(sara.page(u), "data-obstacle")) for u in set(links))
    assert listed == counted == 4  # the two approved visits' obstacles, all open
    units_chart = html[html.index('id="chart-units"'):]
    unit_link = unescape(re.search(r'<a href="(/console/units\?[^"]+observed=stalled[^"]*)"', units_chart).group(1))
    assert rows_of(sara.page(unit_link), "data-unit") == [seeded.units["نساجی البرز"]]


# --- conflicts ------------------------------------------------------------------------------

def test_the_conflicts_list_says_who_sent_each_value_and_resolves_from_the_list(client, seeded, db, clock, tmp_path):
    unit_id = make_conflict(seeded, client, clock, tmp_path)
    db.execute("UPDATE devices SET label = 'تبلت آقای کریمی' WHERE id = (SELECT kept_device_id FROM conflicts)")
    db.conn.commit()
    sara = ConsoleUser(client, "sara")
    html = sara.page("/console/conflicts")
    [conflict_id] = rows_of(html, "data-conflict")
    row = html[html.index(f'data-conflict="{conflict_id}"'):]
    row = row[:row.index("</tr>")]
    assert "Reza" in row and "کارکنان" in row and "۱۲" in row and "۱۴" in row and "تبلت آقای کریمی" in row
    assert re.search(r"۱۴۰۴/۱۲/۱۰ ۱۰:۰۰", row), "when each value was observed"
    assert f'href="/console/units/{unit_id}"' in row
    back = sara.post(f"/console/conflicts/{conflict_id}/resolve", {"decision": "confirm", "next": "/console/conflicts"})
    assert back.status_code == 302 and back.headers["Location"] == "/console/conflicts"
    assert rows_of(sara.page("/console/conflicts"), "data-conflict") == []
    assert rows_of(sara.page("/console/conflicts?status=confirmed"), "data-conflict") == [conflict_id]
    assert rows_of(ConsoleUser(client.application.test_client(), "maryam").page("/console/conflicts?status=all"),
                   "data-conflict") == []
    home = sara.page("/console/")
    assert 'href="/console/conflicts" id="tile-conflicts"' in home


# --- saved filters --------------------------------------------------------------------------

def test_a_saved_filter_reopens_the_list_for_its_owner_only(client, seeded, db):
    sara = ConsoleUser(client, "sara")
    query = f"park_id={SHAMSABAD}&state=submitted"
    saved = sara.post("/console/filters", {"page": "queue", "name": "شمس‌آباد، منتظر", "query": query})
    assert saved.status_code == 302 and saved.headers["Location"] == f"/console/queue?{query}"
    page = sara.page("/console/queue")
    link = unescape(re.search(r'<a href="([^"]+)" data-saved="(\d+)">شمس‌آباد، منتظر</a>', page).group(1))
    assert link == f"/console/queue?{query}"
    assert rows_of(sara.page(link), "data-visit") == [seeded.visits["نساجی البرز"]]
    # The same name replaces it; nobody else sees it; its owner deletes it.
    sara.post("/console/filters", {"page": "queue", "name": "شمس‌آباد، منتظر", "query": "state=approved"})
    assert db.execute("SELECT count(*) FROM saved_filters").fetchone()[0] == 1
    root = ConsoleUser(client.application.test_client(), "root")
    assert "شمس‌آباد، منتظر" not in root.page("/console/queue")
    filter_id = db.execute("SELECT id FROM saved_filters").fetchone()[0]
    root.post(f"/console/filters/{filter_id}/delete", {"page": "queue"})
    assert db.execute("SELECT count(*) FROM saved_filters").fetchone()[0] == 1, "not root's to delete"
    sara.post(f"/console/filters/{filter_id}/delete", {"page": "queue"})
    assert db.execute("SELECT count(*) FROM saved_filters").fetchone()[0] == 0
    assert sara.post("/console/filters", {"page": "queue", "name": "", "query": ""}).status_code == 302
    assert db.execute("SELECT count(*) FROM saved_filters").fetchone()[0] == 0  # a name is needed
    assert sara.post("/console/filters", {"page": "nowhere", "name": "x"}).status_code == 400


# --- review at scale ------------------------------------------------------------------------

def test_bulk_approve_approves_each_chosen_visit_and_audits_each(client, seeded, db):
    reza = seeded.devices["reza"]
    extra = [reza.record_visit(seeded.units["نساجی البرز"], diagnosis_answers(unit_status="stalled"),
                               template=TEMPLATE_REF) for _ in range(2)]
    reza.sync()
    chosen = [seeded.visits["نساجی البرز"], *extra]
    sara = ConsoleUser(client, "sara")
    queue = sara.page("/console/queue")
    assert all(f'name="visit" value="{v}"' in queue for v in chosen)
    response = sara.post("/console/queue/approve", {"visit": [*chosen, seeded.visits["کاشی پارس"]],
                                                    "from": "/console/queue?state=submitted"})
    assert response.status_code == 302 and response.headers["Location"] == "/console/queue?state=submitted"
    states = dict(db.execute("SELECT id, review_state FROM visits").fetchall())
    assert [states[v] for v in chosen] == ["approved"] * 3
    assert states[seeded.visits["کاشی پارس"]] == "submitted", "another province's visit is skipped"
    audited = db.execute("SELECT entity_id FROM audit_log WHERE action = 'visit.review'").fetchall()
    assert sorted(r[0] for r in audited) == sorted(chosen)
    after = sara.page("/console/queue")
    assert "۳ بازدید تأیید شد" in after and "۱ بازدید تأیید نشد" in after


def test_the_queue_sorts_by_a_column(client, seeded):
    sara = ConsoleUser(client, "sara")
    names = [re.sub("<[^>]+>", "", n) for n in re.findall(r'<td><a href="/console/units/[^"]+">([^<]+)</a></td>',
                                                            sara.page("/console/queue?sort=unit&dir=asc"))]
    assert names == ["صنایع غذایی مهر", "نساجی البرز"]
    names = re.findall(r'<td><a href="/console/units/[^"]+">([^<]+)</a></td>',
                       sara.page("/console/queue?sort=unit&dir=desc"))
    assert names == ["نساجی البرز", "صنایع غذایی مهر"]


def test_revisits_due_follow_the_suggested_date_of_the_latest_visit(client, seeded, db, clock):
    reza = seeded.devices["reza"]
    unit_id = seeded.units["صنایع غذایی مهر"]
    answers = {**diagnosis_answers(unit_status="active"), "followup_needed": True, "followup_date": "2026-03-15"}
    visit_id = reza.record_visit(unit_id, answers, template=TEMPLATE_REF)
    reza.sync()
    assert reza.rejected() == []
    sara = ConsoleUser(client, "sara")
    assert rows_of(sara.page("/console/revisits?within=30"), "data-unit") == [unit_id]
    assert rows_of(sara.page("/console/revisits?within=0"), "data-unit") == []  # 14 days ahead
    clock.advance(days=20)
    sara = ConsoleUser(client.application.test_client(), "sara")  # a new day, a new login
    overdue = sara.page("/console/revisits?within=0")
    assert rows_of(overdue, "data-unit") == [unit_id] and "گذشته" in overdue
    assert f"/console/visits/{visit_id}" in overdue
    # The revisit itself, without a new date, takes the unit off the list.
    reza.record_visit(unit_id, diagnosis_answers(unit_status="active"), template=TEMPLATE_REF)
    reza.sync()
    assert rows_of(sara.page("/console/revisits?within=90"), "data-unit") == []
    assert rows_of(ConsoleUser(client.application.test_client(), "maryam").page("/console/revisits"),
                   "data-unit") == []


# --- photos and the map ---------------------------------------------------------------------

def upload(client, device, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    response = client.put(f"/api/v1/attachments/{sha}", data=data,
                          headers={"Authorization": f"Bearer {device._get('access_token')}",
                                   "Content-Type": "application/octet-stream",
                                   "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"})
    assert response.status_code == 200, response.get_json()
    return sha


def test_the_gallery_captions_filters_by_question_and_zips_the_filtered_set(client, seeded, db):
    reza = seeded.devices["reza"]
    licence = b"\x89PNG\r\n\x1a\n" + b"licence" * 20
    yard = b"\x89PNG\r\n\x1a\n" + b"yard" * 30
    answers = {**diagnosis_answers(unit_status="stalled", photos=[]), "operating_licence": "valid",
               "licence_number": "12/345", "licence_photo": [hashlib.sha256(licence).hexdigest()],
               "photos": [hashlib.sha256(yard).hexdigest()]}
    visit_id = reza.record_visit(seeded.units["نساجی البرز"], answers, template=TEMPLATE_REF)
    reza.sync()
    assert reza.rejected() == [], reza.rejected()
    licence_sha, yard_sha = upload(client, reza, licence), upload(client, reza, yard)
    sara = ConsoleUser(client, "sara")
    gallery = sara.page("/console/photos")
    assert sorted(rows_of(gallery, "data-sha")) == sorted([licence_sha, yard_sha])
    assert "تصویر پروانه بهره‌برداری" in gallery and "تصاویر واحد" in gallery
    only = sara.page("/console/photos?question=licence_photo")
    assert rows_of(only, "data-sha") == [licence_sha]
    large = sara.page(f"/console/photos/{licence_sha}?visit={visit_id}")
    assert "تصویر پروانه بهره‌برداری" in large and f'/console/attachments/{licence_sha}"' in large
    archive = zipfile.ZipFile(io.BytesIO(sara.get("/console/photos.zip?question=photos").get_data()))
    names = archive.namelist()
    assert len(names) == 2 and "photos.csv" in names
    [photo] = [n for n in names if n != "photos.csv"]
    assert archive.read(photo) == yard and "نساجی البرز" in photo and photo.endswith(".png")
    listing = archive.read("photos.csv").decode("utf-8-sig")
    assert yard_sha in listing and visit_id in listing
    maryam = ConsoleUser(client.application.test_client(), "maryam")
    assert rows_of(maryam.page("/console/photos"), "data-sha") == []
    assert maryam.get(f"/console/photos/{licence_sha}?visit={visit_id}").status_code == 404


def test_naming_anothers_photo_in_a_visit_puts_nothing_in_the_gallery(client, seeded, db):
    """The leak of issue 10, finding 8, is closed here too: a visit naming a hash its engineer
    never sent shows no photo."""
    reza = seeded.devices["reza"]
    secret = b"\x89PNG\r\n\x1a\n" + b"fars" * 10
    ali = seeded.devices["ali"]
    ali_visit = ali.record_visit(seeded.units["کاشی پارس"], diagnosis_answers(unit_status="active"),
                                 template=TEMPLATE_REF)
    ali.sync()
    sha = upload(client, ali, secret)
    assert ali_visit
    reza.record_visit(seeded.units["نساجی البرز"], diagnosis_answers(unit_status="active", photos=[sha]),
                      template=TEMPLATE_REF)
    reza.sync()
    assert rows_of(ConsoleUser(client, "sara").page("/console/photos"), "data-sha") == []


def test_the_map_data_follows_the_filters_and_the_scope(client, seeded):
    sara = ConsoleUser(client, "sara")
    everything = sara.get("/console/map/data.json").get_json()
    assert sorted(u[0] for u in everything["units"]) == sorted([seeded.units["نساجی البرز"],
                                                                 seeded.units["صنایع غذایی مهر"]])
    assert len(everything["visits"]) == 2 and all(len(v) == 6 for v in everything["visits"])
    stalled = sara.get("/console/map/data.json?status=stalled").get_json()
    assert [u[0] for u in stalled["units"]] == [seeded.units["نساجی البرز"]]
    one = sara.get(f"/console/map/data.json?unit_id={seeded.units['صنایع غذایی مهر']}").get_json()
    assert [u[0] for u in one["units"]] == [seeded.units["صنایع غذایی مهر"]] and len(one["visits"]) == 1
    page = sara.page("/console/map?status=stalled")
    assert 'data-src="/console/map/data.json?status=stalled"' in page
    assert "/vendor/iran-provinces/irn.geojson" in page and "/vendor/leaflet/leaflet.js" in page
    maryam = ConsoleUser(client.application.test_client(), "maryam")
    assert [u[0] for u in maryam.get("/console/map/data.json").get_json()["units"]] == [seeded.units["کاشی پارس"]]


def test_a_tile_server_is_let_into_the_maps_content_policy_only(app, client, seeded):
    app.config["MAP_TILE_URL"] = "https://tiles.example.ir/{z}/{x}/{y}.png"
    sara = ConsoleUser(client, "sara")
    policy = sara.get("/console/map").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tiles.example.ir" in policy
    assert "tiles.example.ir" not in sara.get("/console/queue").headers["Content-Security-Policy"]
    app.config["MAP_TILE_URL"] = None
    assert "tiles.example.ir" not in sara.get("/console/map").headers["Content-Security-Policy"]


# --- the visit's history, users, Persian details ----------------------------------------------

def test_a_revision_shows_old_and_new_for_each_changed_answer(client, seeded, db):
    visit_id = seeded.visits["نساجی البرز"]
    sara = ConsoleUser(client, "sara")
    sara.post(f"/console/visits/{visit_id}/decide", {"action": "return", "comment": "تعداد کارکنان را دوباره بشمارید"})
    reza = seeded.devices["reza"]
    reza.sync()
    reza.revise_visit(visit_id, diagnosis_answers(unit_status="semi_active", employees_now=17), template=TEMPLATE_REF,
                      comment="شمارش شد")
    reza.sync()
    assert reza.rejected() == []
    html = sara.page(f"/console/visits/{visit_id}")
    change = re.search(r'<tr data-key="employees_now"><th>([^<]+)</th><td class="old"><bdi>([^<]+)</bdi></td>'
                       r'<td class="new"><bdi>([^<]+)</bdi></td>', html)
    assert change and change.group(1) == "تعداد کارکنان فعلی" and change.groups()[1:] == ("۵", "۱۷")
    status = re.search(r'<tr data-key="unit_status">.*?<td class="old"><bdi>([^<]+)</bdi></td>'
                       r'<td class="new"><bdi>([^<]+)</bdi></td>', html)
    assert status.groups() == ("راکد", "نیمه‌فعال")


def test_an_admin_changes_role_provinces_and_password_and_the_form_keeps_what_was_typed(client, seeded, db):
    root = ConsoleUser(client, "root")
    reza = users.find_user(db, "reza")
    page = root.page(f"/console/admin/users/{reza['id']}")
    assert f'name="provinces" value="{TEHRAN}" checked' in page
    refused = root.post(f"/console/admin/users/{reza['id']}", {"role": "supervisor", "full_name": "رضا کریمی",
                                                                 "password": "short"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'value="رضا کریمی"' in body
    assert '<option value="supervisor" selected>' in body
    assert 'id="error-password"' in body and 'id="error-provinces"' in body  # both named at their fields
    assert users.find_user(db, "reza")["role"] == "engineer", "nothing was written"
    done = root.post(f"/console/admin/users/{reza['id']}", {"role": "supervisor", "provinces": [str(TEHRAN),
                                                                                                str(FARS)],
                                                              "full_name": "رضا کریمی", "password": "a new secret"})
    assert done.status_code == 302
    changed = users.find_user(db, "reza")
    assert changed["role"] == "supervisor" and changed["provinces"] == sorted([TEHRAN, FARS])
    assert ConsoleUser(client.application.test_client()).login("reza", PASSWORD).status_code == 401
    assert ConsoleUser(client.application.test_client()).login("reza", "a new secret").status_code == 302
    # An admin does not change their own role.
    me = users.find_user(db, "root")
    root.post(f"/console/admin/users/{me['id']}", {"role": "supervisor", "provinces": [str(TEHRAN)]})
    assert users.find_user(db, "root")["role"] == "admin"
    sara = ConsoleUser(client.application.test_client(), "sara")
    assert sara.get(f"/console/admin/users/{reza['id']}").status_code == 403


def test_lists_are_in_persian_alphabetical_order(client, seeded, db, clock):
    from sync.collation import sort_key

    root = ConsoleUser(client, "root")
    options = re.findall(r'<option value="(\d+)">([^<]+)</option>',
                         root.page("/console/units").split('name="province_id"')[1].split("</select>")[0])
    names = [name for _, name in options]
    assert names == sorted(names, key=sort_key) and len(names) == 31
    # پ چ ژ گ are Persian letters in their places, not after ی as their code points would put them.
    assert names.index("گلستان") < names.index("گیلان") < names.index("لرستان") < names.index("یزد")
    assert names.index("آذربایجان شرقی") < names.index("تهران")


def test_no_code_is_shown_where_a_person_reads(client, seeded, db, clock):
    with write(db, clock(), actor_for(users.find_user(db, "sara"), None)) as tx:
        merge.merge(tx, seeded.units["صنایع غذایی مهر"], seeded.units["نساجی البرز"], reason="dedup:supervisor")
    sara = ConsoleUser(client, "sara")
    html = sara.page(f"/console/units/{seeded.units['نساجی البرز']}")
    assert "dedup:supervisor" not in html and "تصمیم ناظر" in html
    for path in ("/console/queue", "/console/photos", "/console/obstacles", "/console/conflicts"):
        page = sara.page(path)
        assert not re.search(r">\s*diagnosis:\d+\s*<", page), path
