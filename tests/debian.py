"""System programs the tests need, found or installed from Debian's packages with apt-get.

Debian's packages come from the distribution mirror, which CI machines here can reach;
downloads by a tool of its own (``playwright install``) would not. Test workers run in
parallel: a file lock lets one of them install while the others wait, then find it there.
"""

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


class Unavailable(RuntimeError):
    pass


def _run(command: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-1500:]
        raise Unavailable(f"`{' '.join(command)}` failed ({result.returncode}):\n{tail}")


def ensure(program: str | Path, package: str) -> Path:
    """The path of ``program`` (a path, or a name looked up on PATH), installing Debian's
    ``package`` first when it is missing."""
    found = _find(program)
    if found:
        return found
    with open(Path(tempfile.gettempdir()) / f"fieldsync-{package}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _find(program) or _install(program, package)


def _find(program) -> Path | None:
    if os.sep in str(program):
        return Path(program) if Path(program).exists() else None
    where = shutil.which(str(program))
    return Path(where) if where else None


def _install(program, package: str) -> Path:
    apt = shutil.which("apt-get")
    if apt is None:
        raise Unavailable(f"{program} is missing and there is no apt-get to install it; "
                          f"install Debian's `{package}` package by hand.")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if prefix and shutil.which("sudo") is None:
        raise Unavailable(f"{program} is missing; installing it needs root (run `apt-get install -y {package}`).")
    wait = ["-o", "DPkg::Lock::Timeout=600"]
    _run([*prefix, apt, *wait, "update"])
    _run([*prefix, apt, *wait, "install", "-y", "--no-install-recommends", package])
    found = _find(program)
    if not found:
        raise Unavailable(f"apt-get installed {package} but {program} is still missing.")
    return found
