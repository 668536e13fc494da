"""Photos and files in an S3-compatible bucket (Amazon S3, MinIO, Ceph, ArvanCloud …).

The bulk of the data — about 2 TB of photos a year at national scale — does not belong on
the server's own disk: a bucket outlives the machine, so a file in it is ``durable``
(``sync.durability``). The :class:`~sync.attachments.Storage` interface stays the same:

* uploads in progress are staged on the local disk exactly as :class:`FileStorage` stages
  them (chunks arrive out of order, are resent and resumed; a bucket is no place for that);
* when the last byte arrives the staged file is hashed; a file whose bytes match its name is
  sent to the bucket with a multipart upload, each part with its SHA-256 so that S3 refuses a
  part damaged on the way, then the staged copy is removed;
* reads are ranged GETs through a seekable file object, so a download (and a Range request
  from a browser) fetches only the bytes it sends.

Objects are ``<prefix><first two hex digits>/<sha256>``, never changed once written (a file
already in the bucket is not sent again). Nothing here imports Flask.
"""

import base64
import hashlib
import io
import secrets
import threading
from pathlib import Path
from typing import BinaryIO

from sync.attachments import FileStorage
from sync.replication import S3, s3_of

PART_BYTES = 8 * 1024 * 1024  # S3's parts are at least 5 MiB, but for the last
READ_BUFFER = 1024 * 1024


def client(s3: S3):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=s3.endpoint_url, region_name=s3.region,
                        aws_access_key_id=s3.access_key_id, aws_secret_access_key=s3.secret_access_key,
                        config=Config(retries={"max_attempts": 5, "mode": "standard"},
                                      s3={"addressing_style": "path"} if s3.endpoint_url else {}))


class S3Storage:
    durable = True

    def __init__(self, s3_client, bucket: str, prefix: str, staging: str | Path):
        self.client, self.bucket, self.prefix = s3_client, bucket, prefix
        self.staging = FileStorage(staging)
        self._known: set[str] = set()  # objects seen in the bucket: they never change or go away
        self._lock = threading.Lock()

    def key(self, sha256: str) -> str:
        return f"{self.prefix}{sha256[:2]}/{sha256}"

    def has(self, sha256: str) -> bool:
        if sha256 in self._known:
            return True
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except self.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        with self._lock:
            self._known.add(sha256)
        return True

    def progress(self, sha256: str, uploader: str) -> dict | None:
        return self.staging.progress(sha256, uploader)

    def write(self, sha256: str, uploader: str, first: int, data: bytes, size: int,
              media_type: str | None) -> dict:
        return self.staging.write(sha256, uploader, first, data, size, media_type)

    def finish(self, sha256: str, uploader: str, verify: bool = True) -> bool:
        # Sealed under a name of its own, so the upload (slower than a rename) holds no lock.
        ready = self.staging.root / "ready" / f"{uploader}-{sha256}-{secrets.token_hex(4)}"
        if not self.staging.seal(sha256, uploader, verify, ready):
            return False
        try:
            if not self.has(sha256):
                self._send(ready, self.key(sha256))
                with self._lock:
                    self._known.add(sha256)
        finally:
            ready.unlink(missing_ok=True)
        return True

    def _send(self, path: Path, key: str) -> None:
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, ChecksumAlgorithm="SHA256")
        parts = []
        try:
            with open(path, "rb") as source:
                for number, block in enumerate(iter(lambda: source.read(PART_BYTES), b""), start=1):
                    checksum = base64.b64encode(hashlib.sha256(block).digest()).decode()
                    answer = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload["UploadId"],
                                                     PartNumber=number, Body=block, ChecksumSHA256=checksum)
                    parts.append({"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": checksum})
            self.client.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload["UploadId"],
                                                  MultipartUpload={"Parts": parts})
        except BaseException:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload["UploadId"])
            raise

    def open(self, sha256: str) -> BinaryIO:
        key = self.key(sha256)
        size = self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        return io.BufferedReader(RangeReader(self.client, self.bucket, key, size), READ_BUFFER)


class RangeReader(io.RawIOBase):
    """An object in the bucket as a seekable binary file; each read is a ranged GET."""

    def __init__(self, s3_client, bucket: str, key: str, size: int):
        self.client, self.bucket, self.key, self.size, self.position = s3_client, bucket, key, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer) -> int:
        if self.position >= self.size or len(buffer) == 0:
            return 0
        last = min(self.position + len(buffer), self.size) - 1
        body = self.client.get_object(Bucket=self.bucket, Key=self.key,
                                      Range=f"bytes={self.position}-{last}")["Body"].read()
        buffer[:len(body)] = body
        self.position += len(body)
        return len(body)


_BUILT: dict = {}
_BUILDING = threading.Lock()


def from_config(config) -> S3Storage:
    """One storage (and one boto3 client, which is thread-safe) per process and configuration."""
    s3 = s3_of(config)
    signature = (s3, config["ATTACHMENTS_S3_BUCKET"], config["ATTACHMENTS_S3_PREFIX"], str(config["ATTACHMENTS_DIR"]))
    with _BUILDING:
        if signature not in _BUILT:
            _BUILT[signature] = S3Storage(client(s3), config["ATTACHMENTS_S3_BUCKET"],
                                          config["ATTACHMENTS_S3_PREFIX"] or "", config["ATTACHMENTS_DIR"])
        return _BUILT[signature]
