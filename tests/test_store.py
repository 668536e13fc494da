"""The store: pragmas, migrations, the one write path and its gap-free change sequence."""

import sqlite3
import subprocess
import sys
import threading

import pytest

from sync.clock import FakeClock
from sync.migrations import current_version, migrate, steps
from sync.store import connect, open_store, scope_of_province, write


def test_pragmas_make_acknowledged_writes_durable(db):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_migrations_are_versioned_and_idempotent(tmp_path):
    db = open_store(str(tmp_path / "s.db"))
    assert current_version(db) == len(steps())
    assert migrate(db) == []
    db.close()


def test_migrating_twice_concurrently_is_safe(tmp_path):
    path = str(tmp_path / "race.db")
    errors = []

    def run():
        try:
            open_store(path).close()
        except Exception as error:  # pragma: no cover - the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert current_version(connect(path)) == len(steps())


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError), write(db, FakeClock()()) as tx:
        tx.execute("INSERT INTO cities (id, province_id, name, name_key) VALUES (1, 999, 'x', 'x')")


def test_a_failed_write_leaves_nothing_behind(db):
    before = db.execute("SELECT count(*) FROM change_log").fetchone()[0]
    with pytest.raises(RuntimeError), write(db, FakeClock()()) as tx:
        tx.changed("unit", "u1", [scope_of_province(8)])
        tx.audit("test", "unit", "u1")
        raise RuntimeError("crash in the middle")
    assert db.execute("SELECT count(*) FROM change_log").fetchone()[0] == before
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'test'").fetchone()[0] == 0


def test_change_sequence_is_gap_free_under_concurrent_writers(app):
    path = app.config["DATABASE"]
    clock = FakeClock()

    def writer(n):
        db = connect(path)
        for i in range(25):
            try:
                with write(db, clock()) as tx:
                    tx.changed("unit", f"{n}-{i}", [scope_of_province(8)])
                    if i % 5 == 0:
                        raise ValueError("rolled back on purpose")
            except ValueError:
                pass
        db.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db = connect(path)
    count, high = db.execute("SELECT count(*), max(seq) FROM change_log").fetchone()
    assert count == high
    assert db.execute("SELECT count(*) FROM change_log WHERE entity = 'unit'").fetchone()[0] == 6 * 20


_WRITER_PROCESS = """
import sys
from sync.clock import FakeClock
from sync.store import connect, scope_of_province, write
db, name = connect(sys.argv[1]), sys.argv[2]
for i in range(40):
    try:
        with write(db, FakeClock()()) as tx:
            tx.changed("unit", f"{name}-{i}", [scope_of_province(8)])
            tx.changed("visit", f"{name}-{i}", ["u:1"])
            if i % 4 == 0:
                raise ValueError("rolled back on purpose")
    except ValueError:
        pass
"""


def test_readers_never_see_a_gap_while_several_processes_write(app):
    path = app.config["DATABASE"]
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER_PROCESS, path, f"p{n}"]) for n in range(4)]
    reader = connect(path)
    seen = 0
    while any(w.poll() is None for w in writers):
        # What a pull relies on: any snapshot holds seqs 1..max, none missing.
        count, high = reader.execute("SELECT count(*), coalesce(max(seq), 0) FROM change_log").fetchone()
        assert count == high
        seen += 1
    assert [w.returncode for w in writers] == [0] * 4
    count, high = reader.execute("SELECT count(*), max(seq) FROM change_log").fetchone()
    assert count == high
    assert reader.execute("SELECT count(*) FROM change_log WHERE entity_id LIKE 'p%'").fetchone()[0] == 4 * 30 * 2
    assert seen > 1


def test_savepoint_undoes_one_step_only(db):
    with write(db, FakeClock()()) as tx:
        tx.changed("unit", "kept", [scope_of_province(8)])
        with pytest.raises(KeyError), tx.savepoint():
            tx.changed("unit", "undone", [scope_of_province(8)])
            raise KeyError("rejected")
    ids = [r[0] for r in db.execute("SELECT entity_id FROM change_log WHERE entity = 'unit'")]
    assert ids == ["kept"]


def test_store_id_is_random_per_store(tmp_path):
    a, b = open_store(str(tmp_path / "a.db")), open_store(str(tmp_path / "b.db"))
    assert a.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone() != \
        b.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
