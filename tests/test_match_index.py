"""The duplicate-matching index follows the engine: a store indexed by an older engine is
re-indexed when the server starts, so its units keep being found."""

import uuid

from server import create_app
from tests.helpers import FAST_HASHING, SECRET, create_unit_mutation, unit_fields


def push(api, *mutations):
    status, body = api.post("/api/v1/sync/push", {"mutations": list(mutations)})
    assert status == 200, body
    return body["results"]


def test_an_index_built_by_another_engine_is_rebuilt_at_start(app, instance, clock, login, db):
    reza, ali = login("reza"), login("ali")
    first = str(uuid.uuid4())
    push(reza, create_unit_mutation(1, first, unit_fields(name="شرکت صنایع غذایی مهرام", phone="02144556677")))
    # What an older engine left behind: keys this one never asks for, records it cannot read.
    db.execute("UPDATE unit_keys SET key = 'old:' || key")
    db.execute("""UPDATE unit_match SET data = '["from an older engine"]'""")
    db.execute("UPDATE meta SET value = 'older' WHERE key = 'match_engine'")
    db.conn.commit()

    create_app({"INSTANCE_PATH": str(instance), "CLOCK": clock, "SECRET_KEY": SECRET, **FAST_HASHING})
    assert [r[0] for r in db.execute("SELECT action FROM audit_log WHERE action = 'dedup.reindex'")] == [
        "dedup.reindex"]
    # The same factory, typed on another phone, is recognised again.
    result = push(ali, create_unit_mutation(1, str(uuid.uuid4()),
                                            unit_fields(name="صنايع غذايي مهرام", phone="021-4455 6677")))[0]
    assert result["unit_id"] == first, result
    # A second start finds the index current and leaves it alone.
    create_app({"INSTANCE_PATH": str(instance), "CLOCK": clock, "SECRET_KEY": SECRET, **FAST_HASHING})
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'dedup.reindex'").fetchone()[0] == 1
