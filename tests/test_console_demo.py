"""``fieldsync demo``: a living data set through the real paths, loaded once."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from sync import stats
from sync.clock import parse_time
from sync.store import SYSTEM
from tests.test_console_helpers import ConsoleUser

TEHRAN_TIME = ZoneInfo("Asia/Tehran")


def counts(db) -> dict:
    return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("users", "units", "visits", "visit_versions", "obstacles", "change_log", "audit_log")}


def test_demo_fills_a_fresh_database_once(runner, db):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "fieldsync-demo" in result.output and "sara (supervisor)" in result.output
    states = dict(db.execute("SELECT review_state, count(*) FROM visits GROUP BY 1").fetchall())
    assert set(states) == {"submitted", "approved", "rejected", "returned"}
    provinces = {r[0] for r in db.execute("SELECT DISTINCT province_id FROM units")}
    assert provinces == {4, 8, 17}
    assert db.execute("SELECT count(*) FROM obstacles WHERE status = 'resolved'").fetchone()[0] >= 1
    assert db.execute("SELECT count(*) FROM visits WHERE version = 2 AND review_state = 'submitted'").fetchone()[0] == 1
    # Every visit sent a photo of the site, and of the licence where the unit has one; one
    # photo is referenced but still on the phone.
    referenced = db.execute("SELECT count(DISTINCT sha256) FROM visit_attachments").fetchone()[0]
    assert db.execute("SELECT count(*) FROM attachments").fetchone()[0] == referenced - 1 > sum(states.values())
    assert db.execute("SELECT count(*) FROM visit_attachments va LEFT JOIN attachments a USING (sha256)"
                      " WHERE a.sha256 IS NULL").fetchone()[0] == 1
    revived = stats.revivals(db, SYSTEM)
    assert revived["units"] >= 2 and revived["jobs"] > 0
    # Every visit came through a device's push, and the comments of returned visits are there.
    pushed = db.execute("SELECT count(*) FROM mutations WHERE type = 'create_visit'").fetchone()[0]
    assert pushed == sum(states.values())
    assert db.execute("SELECT count(*) FROM visits WHERE review_state = 'returned' AND review_comment IS NULL"
                      ).fetchone()[0] == 0
    # The four months were played in order: each visit reached the server hours after it was
    # made, in working hours in Tehran, and was decided after it arrived.
    for observed, received, reviewed in db.execute("SELECT observed_at, received_at, reviewed_at FROM visits"):
        observed, received = parse_time(observed), parse_time(received)
        assert timedelta(0) < received - observed <= timedelta(hours=6)
        assert 9 <= observed.astimezone(TEHRAN_TIME).hour < 14
        assert reviewed is None or parse_time(reviewed) > received
    spread = db.execute("SELECT julianday(max(received_at)) - julianday(min(received_at)) FROM visits").fetchone()[0]
    assert spread > 90, "received over four months, not all at load time"
    # A unit edited from two devices leaves a conflict for the unit page; the duplicates queue
    # has pairs waiting (how many follows the engine's fitted weights; three with today's).
    kept, other = db.execute("SELECT kept_observed_at, other_observed_at FROM conflicts WHERE status = 'open'"
                             ).fetchone()
    assert parse_time(kept) - parse_time(other) == timedelta(hours=2), "each edit keeps the time it was made"
    assert db.execute("SELECT count(*) FROM dedup_candidates WHERE status = 'pending'").fetchone()[0] >= 2
    # The obstacles tell each unit's story: who must act agrees with what is wrong.
    owed = dict(db.execute("SELECT group_code, responsible_body FROM obstacles").fetchall())
    assert owed["technical.waste_pollution"] == "environment" and owed["technical.gas"] == "gas"
    assert owed["legal.court_cases"] == "judiciary" and owed["finance.working_capital"] == "bank"
    sectors = {row[0] for row in db.execute("SELECT json_extract(c.content, '$.answers.activity_sector') FROM visits v"
                                            " JOIN visit_versions c ON c.visit_id = v.id AND c.version = v.version")}
    assert {"food", "textile", "metal", "non_metallic"} <= sectors
    # A revisit is suggested where the story asks for one.
    suggested = db.execute("SELECT count(*) FROM visit_versions WHERE json_extract(content,"
                           " '$.answers.followup_date') IS NOT NULL").fetchone()[0]
    assert suggested >= 2
    before = counts(db)
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "already loaded" in again.output
    assert counts(db) == before


def test_the_demo_accounts_log_in(runner, client):
    runner.invoke(args=["demo"])
    for username in ("sara", "hamid", "admin"):
        user = ConsoleUser(client.application.test_client())
        assert user.login(username, "fieldsync-demo").status_code == 302, username
