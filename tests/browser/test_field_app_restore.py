"""The field app keeps what it sent until the server can no longer lose it (issue 13, protocol
§7), so losing the server machine loses nothing the app saw acknowledged.

A real ``fieldsync serve`` replicates its store with Litestream to a folder. The replication
is then frozen (Litestream paused with SIGSTOP: the watermark stops, as when the replica is
unreachable). The phone, offline, registers a unit and fills a visit with two photos, comes
back online and syncs: everything is acknowledged, nothing is durable, and the app says it
keeps it. The machine is then lost — the server's process group SIGKILLed and its instance
folder deleted, photos and all — and a new instance is restored from the replica, which
never saw the phone's work. The phone syncs again: its push naming the old store is refused
(``store_replaced``), its pull resets, it sends again what the new store lacks, byte for
byte, and uploads its photos again. The server then holds the unit and the visit exactly
once, with both photos."""

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from sync import replication
from sync.store import connect
from tests.browser.fieldapp_steps import Phone, real_jpegs, until, wait_text
from tests.helpers import PASSWORD, HttpApi, ServerProcess, create_users, legal_id, litestream_pids, server_database

pytestmark = pytest.mark.slow


def restored_server(tmp_path) -> ServerProcess:
    replica = tmp_path / "replica"
    return ServerProcess(tmp_path / "instance", workers=1, extra_env={
        "FIELDSYNC_REPLICA_URL": f"file://{replica}", "FIELDSYNC_REPLICA_SYNC_INTERVAL_SECONDS": "0.2",
        "FIELDSYNC_DURABLE_INTERVAL_SECONDS": "0.2"})


def replicate_now(server) -> None:
    """Make Litestream put everything committed so far on the replica (the users, the device)."""
    database = str((server.instance / "fieldsync.db").resolve())
    replication.sync_now(str(server.instance / replication.SOCKET_FILE), database, replication.S3())


def test_losing_the_machine_loses_nothing_the_app_saw_acknowledged(chromium, playwright_session, tmp_path):
    server = restored_server(tmp_path).start()
    phone = None
    try:
        create_users(server_database(server), [("reza", "engineer", [8]), ("sara", "supervisor", [8])])
        phone = Phone(playwright_session, chromium, server, tmp_path, "reza")
        phone.login("reza", PASSWORD)
        phone.sync()
        replicate_now(server)  # the phone's device is on the replica; from here on nothing is
        [litestream] = litestream_pids(server)
        os.kill(litestream, signal.SIGSTOP)  # the replica stops: acknowledgements stay unsafe

        photos = real_jpegs(phone.page, 2)
        phone.offline()
        unit = phone.register_unit("کارخانه کاشی نگین", national_id=legal_id("1077665544"))
        phone.fill_visit(random.Random(13), photos=photos, obstacles=1)
        phone.offline(False)
        phone.sync()
        phone.outbox_empty()
        api = HttpApi(server.url, "sara", "sara-console")
        assert api.get(f"/api/v1/units/{unit}")[0] == 200
        phone.page.click("nav.tabs a[href='#/outbox']")
        wait_text(phone.page, "#kept", "۲ مورد و ۲ عکس فرستاده شده")  # acknowledged, kept

        # The machine is lost: the whole process group killed, the disk gone.
        server.kill()
        shutil.rmtree(server.instance)
        restore = subprocess.run([sys.executable, "-m", "server", "restore", "--from-replica", "--yes"],
                                 env=server.env, capture_output=True, text=True, timeout=120)
        assert restore.returncode == 0, restore.stdout + restore.stderr
        server.start()
        store = connect(server_database(server))
        assert store.execute("SELECT count(*) FROM units WHERE id = ?", [unit]).fetchone()[0] == 0, \
            "the replica never saw the phone's unit"
        store.close()

        phone.sync()  # store_replaced: pull, reset, send again, upload the photos again
        until(phone.page, "() => !document.querySelector('#sync').disabled")
        phone.sync()
        phone.outbox_empty()
        api = HttpApi(server.url, "sara", "sara-console-2")
        status, found = api.get(f"/api/v1/units/{unit}")
        assert status == 200 and found["name"] == "کارخانه کاشی نگین"
        visits = api.get("/api/v1/visits", params={"unit_id": unit})[1]["items"]
        assert len(visits) == 1
        detail = api.get(f"/api/v1/visits/{visits[0]['id']}")[1]
        assert len(detail["photos"]) == 2 and detail["missing_attachments"] == []
        store = connect(server_database(server))
        try:
            assert store.execute("SELECT count(*) FROM mutations WHERE type = 'create_visit'").fetchone()[0] == 1
            assert store.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 0
            assert store.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            store.close()
        # The store declares it durable again (its Litestream is new): the phone lets go.
        deadline = time.monotonic() + 30
        while True:
            phone.sync()
            phone.page.click("nav.tabs a[href='#/outbox']")
            text = phone.page.inner_text("#kept")
            if text.startswith("۰ مورد"):
                break
            assert time.monotonic() < deadline, text
            time.sleep(0.5)
        assert phone.errors == [] and phone.guard.blocked == []
    finally:
        if phone is not None:
            if phone.errors or phone.guard.blocked:
                phone.screenshot("restore-failed")
            phone.close()
        for pid in litestream_pids(server):
            os.kill(pid, signal.SIGCONT)
        server.stop()
