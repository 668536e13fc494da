"""The write path's queue: writers of many processes get the store in the order they asked.

Real processes on one SQLite file, through ``sync.store.write`` (the one write path). Woken
together (a plain ``flock``, or SQLite's busy polling), six waiters would enter in a draw:
one chance in 720 of the order asked for.
"""

import multiprocessing
import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync import write_queue
from sync.store import connect, open_store, write

WAITERS = 6
FORK = multiprocessing.get_context("fork")


def _until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _writer(database: str, name: str, log: str, go: str | None) -> None:
    db = connect(database)
    with write(db, datetime.now(UTC)):
        with open(log, "a") as handle:
            handle.write(name + "\n")
        if go:
            _until(lambda: os.path.exists(go), timeout=60)
    db.close()


@pytest.fixture
def store(tmp_path) -> str:
    database = str(tmp_path / "fieldsync.db")
    open_store(database).close()
    return database


def _tickets(database: str) -> int:
    return write_queue.tickets(f"{database}-writers")


def _read(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_writers_of_many_processes_go_in_the_order_they_asked(store, tmp_path):
    log, go = tmp_path / "order.log", tmp_path / "go"
    first = FORK.Process(target=_writer, args=(store, "holder", str(log), str(go)))
    first.start()
    _until(lambda: _read(log) == ["holder"])
    waiters = []
    for k in range(WAITERS):
        asked = _tickets(store)
        process = FORK.Process(target=_writer, args=(store, f"w{k}", str(log), None))
        process.start()
        waiters.append(process)
        _until(lambda asked=asked: _tickets(store) > asked)  # w{k} holds its ticket
    go.touch()
    for process in [first, *waiters]:
        process.join(30)
        assert process.exitcode == 0
    assert _read(log) == ["holder", *(f"w{k}" for k in range(WAITERS))]


def test_a_killed_writer_does_not_block_the_queue(store, tmp_path):
    log, never = tmp_path / "order.log", tmp_path / "never"
    stuck = FORK.Process(target=_writer, args=(store, "stuck", str(log), str(never)))
    stuck.start()
    _until(lambda: _read(log) == ["stuck"])
    asked = _tickets(store)
    after = FORK.Process(target=_writer, args=(store, "after", str(log), None))
    after.start()
    _until(lambda: _tickets(store) > asked)
    time.sleep(0.2)
    assert _read(log) == ["stuck"]  # waiting its turn
    os.kill(stuck.pid, signal.SIGKILL)  # dies inside its write: the kernel drops its locks
    stuck.join()
    after.join(30)
    assert after.exitcode == 0
    assert _read(log) == ["stuck", "after"]


def test_threads_of_one_process_wait_for_each_other(store):
    # each connection has its own queue file: threads conflict like processes
    inside, most = [0], [0]
    guard = threading.Lock()

    def one():
        db = connect(store)
        for _ in range(20):
            with write(db, datetime.now(UTC)):
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.001)
                with guard:
                    inside[0] -= 1
        db.close()

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    assert _tickets(store) >= 80
