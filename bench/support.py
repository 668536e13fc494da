"""Shared set-up for benchmarks: a real server process with users, and timing helpers."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import PASSWORD, ServerProcess  # noqa: E402


def start_server(workers: int = 2, threads: int = 4, users=(), folder=None) -> ServerProcess:
    """A fresh instance served by gunicorn on 127.0.0.1, with ``users`` = [(name, role, province)]."""
    instance = Path(folder or tempfile.mkdtemp(prefix="fieldsync-bench-")) / "instance"
    server = ServerProcess(instance, workers=workers, threads=threads)
    server.start()
    for name, role, province in users:
        subprocess.run([sys.executable, "-m", "server", "users", "create", name, "--role", role,
                        "--province", str(province), "--password", PASSWORD],
                       env=server.env, check=True, capture_output=True)
    return server


def machine() -> str:
    return f"{os.cpu_count()} CPU, Python {sys.version.split()[0]}"


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
