"""Shared set-up for benchmarks: a real server process with users, and timing helpers."""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import PASSWORD, ServerProcess  # noqa: E402


def scratch_folder(prefix: str) -> Path:
    """A temporary folder removed when the benchmark exits: stores of a million visits add up."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def start_server(workers: int = 2, threads: int = 4, users=(), folder=None, code=None) -> ServerProcess:
    """A fresh instance served by gunicorn on 127.0.0.1, with ``users`` = [(name, role, province)].
    ``code``: a checkout of another version of fieldsync to serve (see ServerProcess)."""
    instance = Path(folder or scratch_folder("fieldsync-bench-")) / "instance"
    server = ServerProcess(instance, workers=workers, threads=threads, code=code)
    server.start()
    for name, role, province in users:
        subprocess.run([sys.executable, "-m", "server", "users", "create", name, "--role", role,
                        "--province", str(province), "--password", PASSWORD],
                       env=server.env, check=True, capture_output=True, cwd=code)
    return server


def session_cpu_seconds(session_id: int, only_pid: int | None = None) -> float:
    """CPU time (user + system) used so far by the live processes of a session: the server's
    master and workers (``ServerProcess`` starts them in a session of their own); with
    ``only_pid``, by that one (the master: its checkpointer thread)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if only_pid is not None and entry != str(only_pid):
            continue
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id:  # field 6 of stat: the session id
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def machine() -> str:
    return f"{os.cpu_count()} CPU, Python {sys.version.split()[0]}"


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def seed_units(transport, token, count: int, province: int = 8) -> list[str]:
    """``count`` units pushed in batches of 500 by one device (distinct names and phones, so
    the dedup engine keeps them apart); returns their ids."""
    import uuid

    ids, batch = [], []
    for n in range(count):
        unit_id = str(uuid.uuid4())
        ids.append(unit_id)
        batch.append({"mutation_id": n + 1, "type": "create_unit", "unit_id": unit_id,
                      "observed_at": "2026-03-01T06:00:00Z",
                      "fields": {"name": f"واحد نمونه {n} {uuid.uuid4().hex[:6]}", "province_id": province,
                                 "employees": n % 90, "phone": f"0912{n:07d}",
                                 "location": {"lat": 35.6 + (n % 100) / 1000, "lon": 51.3 + (n // 100) / 1000}}})
        if len(batch) == 500 or n == count - 1:
            status, body = transport.request("POST", "/api/v1/sync/push", body={"mutations": batch}, token=token)
            assert status == 200, body
            batch = []
    return ids
