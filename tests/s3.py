"""A real S3 API on 127.0.0.1 for the tests: moto in server mode, as its own process.

moto answers the S3 REST API the way AWS does (multipart uploads, part checksums, ranged
GETs), so the attachments bucket and Litestream's replica are exercised through boto3 and
through Litestream's own Go SDK — the code that runs in production — with no network.
"""

import os
import subprocess
import sys
import time
import urllib.request
import uuid

from tests.helpers import free_port

ACCESS_KEY, SECRET_KEY, REGION = "fieldsync-test", "fieldsync-test-secret", "us-east-1"


class MotoServer:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self, timeout: float = 30.0) -> "MotoServer":
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("moto server exited at start")
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY)

    def new_bucket(self) -> str:
        name = f"fieldsync-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self) -> dict:
        """The fieldsync settings that reach this server (replica and attachments alike)."""
        return {"S3_ENDPOINT_URL": self.url, "S3_REGION": REGION, "S3_ACCESS_KEY_ID": ACCESS_KEY,
                "S3_SECRET_ACCESS_KEY": SECRET_KEY}
