"""Console pages render the store's data, and their actions go through the domain write path."""

import re

import pytest

from sync import merge, users
from sync.store import write
from tests.helpers import PASSWORD, MemoryStorage
from tests.test_console_helpers import ABBASABAD, SHAMSABAD, TEHRAN, ConsoleUser, seed_console


@pytest.fixture
def seeded(app, db, clock, client, tmp_path):
    return seed_console(app, db, clock, client, tmp_path)


def test_every_staff_page_renders_in_persian_and_english(client, seeded):
    sara = ConsoleUser(client, "sara")
    paths = ("/console/", "/console/queue", "/console/units", "/console/dashboard", "/console/exports",
             "/console/duplicates", f"/console/units/{seeded.units['نساجی البرز']}",
             f"/console/visits/{seeded.visits['نساجی البرز']}")
    for path in paths:
        assert '<html lang="fa" dir="rtl">' in sara.page(path)
    sara.post("/console/language", {"lang": "en"})
    for path in paths:
        assert '<html lang="en" dir="ltr">' in sara.page(path)


def test_dates_are_jalali_in_tehran_time_with_persian_digits(client, seeded):
    html = ConsoleUser(client, "sara").page("/console/queue")
    # 2026-03-01 06:30 UTC is 10:00 on 10 Esfand 1404 in Tehran.
    assert '<time datetime="2026-03-01T06:30:00.000Z" title="2026-03-01">۱۴۰۴/۱۲/۱۰ ۱۰:۰۰</time>' in html


def test_the_queue_filters_and_pages(client, seeded):
    sara = ConsoleUser(client, "sara")
    assert sara.page(f"/console/queue?park_id={SHAMSABAD}").count("data-visit=") == 1
    assert sara.page(f"/console/queue?park_id={ABBASABAD}&state=submitted").count("data-visit=") == 1
    assert sara.page("/console/queue?state=approved").count("data-visit=") == 0
    assert sara.page("/console/queue?q=البرز").count("data-visit=") == 1
    assert sara.page("/console/queue?template=diagnosis:1").count("data-visit=") == 2
    assert sara.page("/console/queue?date_from=1404/12/11").count("data-visit=") == 0
    reza_id = re.search(r'<option value="(\d+)">Reza</option>', sara.page("/console/queue")).group(1)
    assert sara.page(f"/console/queue?engineer_id={reza_id}").count("data-visit=") == 2
    first = sara.page("/console/queue?per_page=25&page=1")
    assert "۲ مورد" in first and "صفحه ۱ از ۱" in first
    # A malformed filter is reported, not a failure.
    bad = sara.page("/console/queue?date_from=yesterday&province_id=x")
    assert "برخی از مقادیر نامعتبر است" in bad and bad.count("data-visit=") == 2
    since = sara.page("/console/queue?date_from=1404/12/01").count("data-visit=")
    backwards = sara.page("/console/queue?date_from=1404/12/01&date_to=1404/11/01")
    assert "برخی از مقادیر نامعتبر است" in backwards and backwards.count("data-visit=") == since > 0


def test_the_visit_page_lays_out_answers_by_section(client, seeded):
    html = ConsoleUser(client, "sara").page(f"/console/visits/{seeded.visits['نساجی البرز']}")
    assert "شناسایی و تماس" in html and "وضعیت واحد و نیروی انسانی" in html  # template sections
    assert 'data-key="unit_status"' in html and "راکد" in html                 # a choice in words
    assert 'data-key="shifts_per_day"' not in html  # hidden: only asked of active units
    assert "موانع ثبت‌شده" in html and "فاصله تا موقعیت واحد" in html
    assert 'id="approve"' in html and 'id="return"' in html and 'id="reject"' in html


def test_unit_page_shows_fields_visits_obstacles_and_timeline(client, seeded):
    html = ConsoleUser(client, "sara").page(f"/console/units/{seeded.units['نساجی البرز']}")
    assert "نساجی البرز" in html and "شهرک صنعتی شمس‌آباد" in html
    assert html.count(f"/console/visits/{seeded.visits['نساجی البرز']}") == 1
    assert "موانع باز <small>(۲)</small>" in html
    assert "سیر وضعیت" in html


def test_units_list_filters(client, seeded):
    sara = ConsoleUser(client, "sara")
    assert "صنایع غذایی مهر" not in sara.page("/console/units?status=stalled")
    assert "نساجی البرز" in sara.page("/console/units?status=stalled")
    assert "نساجی البرز" not in sara.page(f"/console/units?park_id={ABBASABAD}")


def test_unmerge_from_the_unit_page(client, seeded, db, clock):
    winner, loser = seeded.units["نساجی البرز"], seeded.units["صنایع غذایی مهر"]
    with write(db, clock()) as tx:
        merge.merge(tx, loser, winner, reason="supervisor")
    sara = ConsoleUser(client, "sara")
    page = sara.page(f"/console/units/{winner}")
    assert "رکوردهای ادغام‌شده در این واحد" in page and f"/console/units/{loser}/unmerge" in page
    response = sara.post(f"/console/units/{loser}/unmerge", {"next": f"/console/units/{winner}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/console/units/{winner}"
    assert "ادغام لغو شد" in sara.page(f"/console/units/{winner}")
    assert db.execute("SELECT merged_into FROM units WHERE id = ?", [loser]).fetchone()[0] is None
    audit = db.execute("SELECT user_id FROM audit_log WHERE action = 'unit.unmerge'").fetchone()
    assert audit[0] == users.find_user(db, "sara")["id"]
    # Unmerging again is refused with a message, not an error page.
    sara.post(f"/console/units/{loser}/unmerge")
    assert "این کار با وضعیت فعلی رکورد سازگار نیست" in sara.page(f"/console/units/{loser}")


def test_conflicts_are_confirmed_or_flipped_from_the_unit_page(client, seeded, db, clock, tmp_path):
    from tests.test_console_helpers import make_conflict

    unit_id = make_conflict(seeded, client, clock, tmp_path)
    sara = ConsoleUser(client, "sara")
    page = sara.page(f"/console/units/{unit_id}")
    ids = re.findall(r"/console/conflicts/(\d+)/resolve", page)
    assert ids, "the collision is listed"
    response = sara.post(f"/console/conflicts/{ids[0]}/resolve", {"decision": "flip"})
    assert response.status_code == 302
    page = sara.page(f"/console/units/{unit_id}")
    assert "تعارض بررسی شد" in page and "برگردانده‌شده" in page
    assert sara.post(f"/console/conflicts/{ids[0]}/resolve", {"decision": "maybe"}).status_code == 400


def test_admin_creates_deactivates_and_reactivates_users_and_revokes_devices(client, seeded, db):
    root = ConsoleUser(client, "root")
    assert "Reza" in root.page("/console/admin")
    response = root.post("/console/admin/users", {"username": "nasrin", "full_name": "نسرین", "password": PASSWORD,
                                                  "role": "supervisor", "provinces": [str(TEHRAN)]})
    assert response.status_code == 302
    assert "کاربر nasrin ساخته شد" in root.page("/console/admin")
    nasrin = users.find_user(db, "nasrin")
    assert nasrin["role"] == "supervisor" and nasrin["provinces"] == [TEHRAN]
    # A domain refusal comes back on the form itself, as typed, the problem at its field.
    answer = root.post("/console/admin/users", {"username": "nasrin2", "password": "short", "role": "engineer",
                                                "provinces": [str(TEHRAN)]})
    assert answer.status_code == 422
    # In the page's language: the domain's English message is translated, not shown as it is.
    refused = answer.get_data(as_text=True)
    assert 'value="nasrin2"' in refused and 'id="error-password"' in refused
    assert "گذرواژه: دست‌کم ۸ نویسه." in refused and "At least 8 characters" not in refused
    root.post(f"/console/admin/users/{nasrin['id']}/active", {"active": "0"})
    assert users.find_user(db, "nasrin")["active"] is False
    assert ConsoleUser(client.application.test_client()).login("nasrin").status_code == 401
    root.post(f"/console/admin/users/{nasrin['id']}/active", {"active": "1"})
    assert users.find_user(db, "nasrin")["active"] is True
    # An admin cannot lock themself out.
    root.post(f"/console/admin/users/{users.find_user(db, 'root')['id']}/active", {"active": "0"})
    assert users.find_user(db, "root")["active"] is True
    device = seeded.devices["reza"]
    root.post(f"/console/admin/devices/{device.device_id}/revoke")
    assert users.get_device(db, device.device_id)["revoked_at"] is not None
    with pytest.raises(Exception, match="revoked"):
        device.pull()


@pytest.mark.parametrize("storage", ["files", "elsewhere"])
def test_visit_photos_show_which_arrived_and_which_are_missing(client, seeded, clock, storage):
    import hashlib

    from sync.sample_visits import TEMPLATE_REF, diagnosis_answers

    if storage == "elsewhere":  # the console reads through the Storage interface, as the API does
        client.application.config["ATTACHMENT_STORAGE"] = MemoryStorage()

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    arrived, never = hashlib.sha256(png).hexdigest(), "ab" * 32
    reza = seeded.devices["reza"]
    answers = diagnosis_answers(unit_status="stalled", photos=[arrived])
    visit_id = reza.record_visit(seeded.units["نساجی البرز"], answers, template=TEMPLATE_REF, attachments=[never])
    reza.sync()
    token = reza._get("access_token")
    response = client.put(f"/api/v1/attachments/{arrived}", data=png,
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream",
                                   "Content-Range": f"bytes 0-{len(png) - 1}/{len(png)}"})
    assert response.status_code == 200, response.get_json()
    sara = ConsoleUser(client, "sara")
    page = sara.page(f"/console/visits/{visit_id}")
    assert f'<figure class="photo missing" data-sha="{never}">' in page and "هنوز به سرور نرسیده" in page
    # Each photo is captioned with the question it answers; a file only listed with the visit says so.
    shown = re.search(rf'<figure class="photo" data-sha="{arrived}">.*?<figcaption>([^<]+)', page, re.S)
    assert shown and shown.group(1).strip() == "تصاویر واحد"
    assert re.search(rf'data-sha="{never}">.*?<figcaption>پیوست بازدید', page, re.S)
    image = sara.get(f"/console/attachments/{arrived}")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.get_data() == png
    assert sara.get(f"/console/attachments/{never}").status_code == 404
    maryam = ConsoleUser(client.application.test_client(), "maryam")  # Fars: not her visit
    assert maryam.get(f"/console/attachments/{arrived}").status_code == 404
