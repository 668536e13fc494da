"""Debian's chromium for the browser tests: found, or installed with apt-get.

``playwright install`` downloads a browser build from the internet, which CI machines
here cannot reach; Debian's package comes from the distribution mirror instead.
"""

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")

# No first-run UI, no background traffic to Google: the tests assert that nothing leaves 127.0.0.1.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class ChromiumUnavailable(RuntimeError):
    pass


def _run(command: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-1500:]
        raise ChromiumUnavailable(f"`{' '.join(command)}` failed ({result.returncode}):\n{tail}")


def ensure_chromium() -> Path:
    """The chromium binary, installing the Debian package first if it is missing.

    Test workers run in parallel: a file lock lets one of them install while the others
    wait, then find it installed.
    """
    if CHROMIUM.exists():
        return CHROMIUM
    with open(Path(tempfile.gettempdir()) / "fieldsync-chromium.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _install()


def _install() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None:
        raise ChromiumUnavailable(f"{CHROMIUM} is missing and there is no apt-get to install it; "
                                  "install Debian's `chromium` package by hand.")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if prefix and shutil.which("sudo") is None:
        raise ChromiumUnavailable(f"{CHROMIUM} is missing; installing it needs root "
                                  "(run `apt-get install -y chromium` as root).")
    wait = ["-o", "DPkg::Lock::Timeout=600"]
    _run([*prefix, apt, *wait, "update"])
    _run([*prefix, apt, *wait, "install", "-y", "--no-install-recommends", "chromium"])
    if not CHROMIUM.exists():
        raise ChromiumUnavailable(f"apt-get installed chromium but {CHROMIUM} is still missing.")
    return CHROMIUM


if __name__ == "__main__":  # python -m tests.browser.chromium: install ahead of a test run
    print(ensure_chromium())
