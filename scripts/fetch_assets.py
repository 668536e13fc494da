"""Fetch the browser assets fieldsync ships (fonts, small libraries) from the npm registry.

Each asset is pinned in scripts/assets.json: a package version, its tarball and the
registry's integrity hash (sha512), its licence, and which files of the package go where
under server/vendor/. The tarball is checked against the pin before anything is
extracted; server/vendor/SOURCES.json records what came from where with the SHA-256 of
each file, and ``--check`` (no network, run by the test suite) verifies the files against it.

    python scripts/fetch_assets.py           # fetch and write server/vendor/
    python scripts/fetch_assets.py --check   # the files match their pins
"""

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PINS = ROOT / "scripts" / "assets.json"
VENDOR = ROOT / "server" / "vendor"
SOURCES = VENDOR / "SOURCES.json"


def _integrity_ok(data: bytes, integrity: str) -> bool:
    algorithm, _, expected = integrity.partition("-")
    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode() == expected


def fetch() -> dict:
    pins = json.loads(PINS.read_text())
    sources = {}
    for name, pin in pins.items():
        with urllib.request.urlopen(pin["tarball"], timeout=120) as response:
            data = response.read()
        if not _integrity_ok(data, pin["integrity"]):
            raise SystemExit(f"{name} {pin['version']}: the tarball does not match its pinned integrity hash")
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member, target in pin["files"].items():
                content = archive.extractfile(member).read()
                path = VENDOR / target
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
                sources[target] = {"package": name, "version": pin["version"], "from": member,
                                   "license": pin["license"], "sha256": hashlib.sha256(content).hexdigest()}
        print(f"{name} {pin['version']}: {len(pin['files'])} files")
    SOURCES.write_text(json.dumps(sources, indent=2, ensure_ascii=False) + "\n")
    return sources


def check() -> list[str]:
    """Problems with server/vendor/ against the pins (empty when all is well)."""
    pins = json.loads(PINS.read_text())
    sources = json.loads(SOURCES.read_text()) if SOURCES.exists() else {}
    problems = []
    for name, pin in pins.items():
        for target in pin["files"].values():
            entry = sources.get(target)
            path = VENDOR / target
            if entry is None or entry["version"] != pin["version"]:
                problems.append(f"{target}: not fetched for {name} {pin['version']} (run scripts/fetch_assets.py)")
            elif not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
                problems.append(f"{target}: differs from what {name} {pin['version']} holds")
    return problems


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify server/vendor/ against the pins, offline")
    if parser.parse_args().check:
        found = check()
        print("\n".join(found) or "server/vendor/ matches scripts/assets.json")
        sys.exit(1 if found else 0)
    fetch()
