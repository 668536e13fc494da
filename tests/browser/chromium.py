"""Debian's chromium for the browser tests: found, or installed with apt-get (tests/debian.py).

``playwright install`` downloads a browser build from the internet, which CI machines
here cannot reach; Debian's package comes from the distribution mirror instead.
"""

from pathlib import Path

from tests.debian import Unavailable, ensure

CHROMIUM = Path("/usr/bin/chromium")

# No first-run UI, no background traffic to Google: the tests assert that nothing leaves 127.0.0.1.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

ChromiumUnavailable = Unavailable


def ensure_chromium() -> Path:
    """The chromium binary, installing the Debian package first if it is missing."""
    return ensure(CHROMIUM, "chromium")


if __name__ == "__main__":  # python -m tests.browser.chromium: install ahead of a test run
    print(ensure_chromium())
