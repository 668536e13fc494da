"""Pull: pages of the latest state in scope, opaque cursors, resets, one snapshot, gzip."""

import gzip
import json
import uuid

from tests.conftest import FARS, ISFAHAN, TEHRAN
from tests.helpers import create_unit_mutation, table_counts, unit_fields, update_unit_mutation, visit_mutation


def pull(api, cursor=None, limit=None):
    status, body = api.get("/api/v1/sync/pull", params={k: v for k, v in
                                                        {"cursor": cursor, "limit": limit}.items() if v})
    assert status == 200, body
    return body


def pull_all(api, cursor=None, limit=None):
    pages = []
    while True:
        page = pull(api, cursor, limit)
        pages.append(page)
        cursor = page["cursor"]
        if not page["has_more"]:
            return pages, cursor


def seed_units(api, count, province=TEHRAN, start=1):
    ids = [str(uuid.uuid4()) for _ in range(count)]
    mutations = [create_unit_mutation(start + i, unit_id, unit_fields(name=f"واحد {i}", province_id=province))
                 for i, unit_id in enumerate(ids)]
    status, body = api.post("/api/v1/sync/push", {"mutations": mutations})
    assert status == 200 and {r["status"] for r in body["results"]} == {"applied"}
    return ids


def test_first_pull_brings_reference_data_and_units_in_scope(login):
    tehran, fars = login("reza", provinces=[TEHRAN]), login("farid", provinces=[FARS])
    mine = seed_units(tehran, 3)
    seed_units(fars, 2, province=FARS)
    pages, _ = pull_all(tehran)
    units = [u for p in pages for u in p["units"]]
    assert sorted(u["id"] for u in units) == sorted(mine)
    assert len([p for page in pages for p in page["provinces"]]) == 31
    assert any(park["name"] == "شهرک صنعتی عباس‌آباد" for page in pages for park in page["parks"])
    assert pages[-1]["scope"] == {"provinces": [TEHRAN], "all_provinces": False}


def test_pages_follow_the_cursor_without_gaps_or_repeats(engineer):
    ids = seed_units(engineer, 25)
    pages, _ = pull_all(engineer, limit=7)
    assert len(pages) > 4
    assert all(p["has_more"] for p in pages[:-1]) and not pages[-1]["has_more"]
    delivered = [u["id"] for p in pages for u in p["units"]]
    assert sorted(delivered) == sorted(ids) and len(delivered) == len(set(delivered))


def test_only_the_latest_state_is_sent_once(engineer):
    [unit] = seed_units(engineer, 1)
    engineer.post("/api/v1/sync/push", {"mutations": [
        update_unit_mutation(2, unit, {"employees": 5}), update_unit_mutation(3, unit, {"employees": 9})]})
    pages, _ = pull_all(engineer)
    units = [u for p in pages for u in p["units"]]
    assert [(u["id"], u["employees"]) for u in units] == [(unit, 9)]


def test_incremental_pull_sends_only_what_changed(engineer):
    ids = seed_units(engineer, 3)
    _, cursor = pull_all(engineer)
    assert pull(engineer, cursor)["units"] == []
    engineer.post("/api/v1/sync/push", {"mutations": [update_unit_mutation(10, ids[1], {"status": "stalled"})]})
    page = pull(engineer, cursor)
    assert [(u["id"], u["status"]) for u in page["units"]] == [(ids[1], "stalled")]
    assert page["provinces"] == [] and not page["has_more"]


def test_engineer_pulls_only_own_visits_outcomes(login):
    reza, ali = login("reza"), login("ali")
    [unit] = seed_units(reza, 1)
    reza.post("/api/v1/sync/push", {"mutations": [visit_mutation(5, "v-reza", unit)]})
    ali.post("/api/v1/sync/push", {"mutations": [visit_mutation(1, "v-ali", unit)]})
    visits = [v for p in pull_all(reza)[0] for v in p["visits"]]
    assert [(v["id"], v["review_state"]) for v in visits] == [("v-reza", "submitted")]


def test_merge_reaches_devices_as_redirect(engineer, supervisor):
    keep, lose = seed_units(engineer, 2)
    _, cursor = pull_all(engineer)
    supervisor.post("/api/v1/merges", {"winner_id": keep, "loser_id": lose})
    page = pull(engineer, cursor)
    assert page["redirects"] == [{"from": lose, "to": keep}]
    merged = {u["id"]: u for u in page["units"]}
    assert merged[lose] == {"id": lose, "merged_into": keep, "seq": merged[lose]["seq"]}
    supervisor.post(f"/api/v1/units/{lose}/unmerge")
    page = pull(engineer, page["cursor"])
    assert page["redirects"] == [{"from": lose, "to": None}]
    assert {u["id"]: u.get("merged_into") for u in page["units"]}[lose] is None


def test_scope_change_tells_the_device_to_reset(login, admin):
    reza = login("reza", provinces=[TEHRAN])
    seed_units(reza, 2)
    _, cursor = pull_all(reza)
    admin.patch(f"/api/v1/users/{reza.user['id']}", {"provinces": [TEHRAN, ISFAHAN]})
    page = pull(reza, cursor)
    assert page["reset"] is True and page["reset_reason"] == "scope_changed"
    assert page["has_more"] and page["units"] == []
    assert page["scope"]["provinces"] == sorted([TEHRAN, ISFAHAN])
    pages, _ = pull_all(reza, page["cursor"])
    assert len([u for p in pages for u in p["units"]]) == 2


def test_old_cursor_tells_the_device_to_reset(app, engineer, clock):
    seed_units(engineer, 1)
    _, cursor = pull_all(engineer)
    clock.advance(days=app.config["CURSOR_MAX_AGE_DAYS"] + 1)
    page = pull(engineer.relogin(), cursor)
    assert page["reset"] and page["reset_reason"] == "cursor_expired"


def test_cursor_from_another_store_resets(engineer, db):
    seed_units(engineer, 1)
    _, cursor = pull_all(engineer)
    db.execute("UPDATE meta SET value = 'restored-elsewhere' WHERE key = 'store_id'")
    db.conn.commit()
    page = pull(engineer, cursor)
    assert page["reset"] and page["reset_reason"] == "store_replaced"


def test_a_cursor_the_server_cannot_read_resets(engineer):
    """Garbage, or a cursor of another version: start over (before issue 10 this was a 422,
    which left a client with a corrupted cursor nowhere to go; forged fields gave a 500)."""
    for cursor in ("not-a-cursor", "eyJ2Ijo5OX0", "%%%"):
        status, body = engineer.get("/api/v1/sync/pull", params={"cursor": cursor})
        assert status == 200, body
        assert body["reset"] and body["reset_reason"] == "cursor_invalid" and body["has_more"]
    status, body = engineer.get("/api/v1/sync/pull", params={"cursor": "x" * 513})
    assert status == 422 and "cursor" in body["error"]["details"]["fields"]


def test_pull_writes_nothing(engineer, db):
    seed_units(engineer, 3)
    before = table_counts(db)
    pull_all(engineer, limit=2)
    assert table_counts(db) == before


def test_pull_is_gzip_compressed(client, engineer):
    seed_units(engineer, 30)
    response = client.get("/api/v1/sync/pull", headers={"Authorization": f"Bearer {engineer.token}",
                                                        "Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(response.get_data()))
    assert len(body["units"]) == 30


def test_unit_moved_to_another_province_is_removed_from_the_old_scope(login):
    both = login("mina", provinces=[TEHRAN, ISFAHAN])
    tehran_only = login("reza", provinces=[TEHRAN])
    [unit] = seed_units(both, 1)
    _, cursor = pull_all(tehran_only)
    both.post("/api/v1/sync/push", {"mutations": [update_unit_mutation(5, unit, {"province_id": ISFAHAN})]})
    page = pull(tehran_only, cursor)
    assert [u for u in page["units"] if u["id"] == unit][0]["removed"] is True


def test_a_cursor_from_another_user_with_the_same_provinces_resets(login):
    reza, ali = login("reza"), login("ali")
    [unit] = seed_units(ali, 1)
    ali.post("/api/v1/sync/push", {"mutations": [visit_mutation(2, "v-ali", unit)]})
    _, reza_cursor = pull_all(reza)
    # Reza's cursor is past Ali's visit; taking it would hide that visit from Ali for good.
    page = pull(ali, reza_cursor)
    assert page["reset"] and page["reset_reason"] == "scope_changed"
    pages, _ = pull_all(ali, page["cursor"])
    assert [v["id"] for p in pages for v in p["visits"]] == ["v-ali"]


def test_a_unit_moving_province_takes_its_obstacles_to_the_new_scope(login):
    from sync.sample_visits import sample_obstacles

    both = login("mina", provinces=[TEHRAN, ISFAHAN])
    tehran_only, isfahan_only = login("reza", provinces=[TEHRAN]), login("ali", provinces=[ISFAHAN])
    [unit] = seed_units(both, 1)
    [obstacle] = [{**o, "obstacle_id": str(uuid.uuid4())} for o in sample_obstacles(count=1)]
    both.post("/api/v1/sync/push", {"mutations": [visit_mutation(2, "v-1", unit, obstacles=[obstacle])]})
    _, tehran_cursor = pull_all(tehran_only)
    _, isfahan_cursor = pull_all(isfahan_only)
    both.post("/api/v1/sync/push", {"mutations": [update_unit_mutation(3, unit, {"province_id": ISFAHAN})]})
    pages, _ = pull_all(isfahan_only, isfahan_cursor)
    assert [u["id"] for p in pages for u in p["units"]] == [unit]
    assert [(o["id"], o["unit_id"]) for p in pages for o in p["obstacles"]] == [(obstacle["obstacle_id"], unit)]
    pages, _ = pull_all(tehran_only, tehran_cursor)
    assert [o for p in pages for o in p["obstacles"]] == [{"id": obstacle["obstacle_id"], "removed": True}]
