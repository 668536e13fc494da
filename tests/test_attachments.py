"""Photos and files: resumable, verified, limited uploads that never hold up data sync."""

import base64
import hashlib
import os
from pathlib import Path

import pytest

from sync import object_storage
from sync.client import Device, TransportError
from tests.checklist_helpers import new_unit, record
from tests.conftest import ISFAHAN
from tests.helpers import MemoryStorage, diagnosis_answers

JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01"


@pytest.fixture(params=["disk", "s3"])
def app_overrides(request):
    """Every test here runs twice: photos on the local disk, and in an S3 bucket (moto)."""
    return request.getfixturevalue("s3_attachments") if request.param == "s3" else {}


def held_copies(app, sha) -> list[bytes]:
    """Every complete copy of the file storage keeps, read behind the app's back; and no
    upload in progress is left staged."""
    config = app.config
    staged = [p for p in Path(config["ATTACHMENTS_DIR"]).rglob(f"*{sha}*")
              if "partial" in p.parts or "ready" in p.parts]
    assert staged == []
    if config["ATTACHMENTS_S3_BUCKET"]:
        s3 = object_storage.from_config(config).client
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=config["ATTACHMENTS_S3_BUCKET"]).get("Contents", [])
                if sha in o["Key"]]
        return [s3.get_object(Bucket=config["ATTACHMENTS_S3_BUCKET"], Key=k)["Body"].read() for k in keys]
    return [p.read_bytes() for p in Path(config["ATTACHMENTS_DIR"]).rglob(sha)]


def lose(app, sha):
    """Take a file out of storage behind the store's back, as a restore without files would."""
    config = app.config
    if config["ATTACHMENTS_S3_BUCKET"]:
        key = config["ATTACHMENTS_S3_PREFIX"] + f"{sha[:2]}/{sha}"
        object_storage.from_config(config).client.delete_object(Bucket=config["ATTACHMENTS_S3_BUCKET"], Key=key)
        object_storage.from_config(config)._known.discard(sha)
    else:
        (Path(config["ATTACHMENTS_DIR"]) / sha[:2] / sha).unlink()


def photo(tmp_path, name="photo.jpg", size=100_000, head=JPEG_HEAD) -> tuple[str, bytes, str]:
    data = head + os.urandom(size - len(head))
    path = tmp_path / name
    path.write_bytes(data)
    return str(path), data, hashlib.sha256(data).hexdigest()


def put(api, sha, data, first, size, digest=None, content_range=None):
    headers = {"Authorization": f"Bearer {api.token}", "Content-Type": "application/octet-stream",
               "Content-Range": content_range or f"bytes {first}-{first + len(data) - 1}/{size}"}
    if digest is not None:
        headers["Content-Digest"] = f"sha-256=:{base64.b64encode(digest).decode()}:"
    response = api.client.put(f"/api/v1/attachments/{sha}", data=data, headers=headers)
    return response.status_code, response.get_json()


class DropAfterChunks:
    """A transport whose connection dies after ``chunks`` attachment chunks reached the server."""

    def __init__(self, inner, chunks):
        self.inner, self.chunks = inner, chunks

    def request(self, *args, **kwargs):
        return self.inner.request(*args, **kwargs)

    def request_bytes(self, *args, **kwargs):
        if self.chunks == 0:
            raise TransportError("connection reset by peer")
        self.chunks -= 1
        return self.inner.request_bytes(*args, **kwargs)


def half_sent_photo(phone, tmp_path, chunks):
    """A phone (16 KiB chunks) whose visit with one photo synced while its connection died
    after ``chunks`` chunks of the photo; returns (device, working transport, bytes, sha, visit)."""
    device = phone("ali")
    device.UPLOAD_CHUNK_BYTES = 16 * 1024
    path, data, sha = photo(tmp_path)
    visit = record(device, new_unit(device), answers=diagnosis_answers(photos=[device.attach(path)]))
    online = device.transport
    device.transport = DropAfterChunks(online, chunks=chunks)
    summary = device.sync()  # the data is synced; the photo stops part way, without an error
    assert summary["statuses"] == ["applied"] and summary["uploads"] == {"pending": 1, "done": 0, "failed": 0}
    return device, online, data, sha, visit


def upload_status(device, transport, sha):
    """What the server tells the uploading device (only the uploader learns of its upload)."""
    return transport.request("GET", f"/api/v1/attachments/{sha}/status", token=device._get("access_token"))[1]


def test_interrupted_upload_resumes_and_is_verified(phone, supervisor, tmp_path, app):
    device, online, data, sha, visit = half_sent_photo(phone, tmp_path, chunks=3)
    status = upload_status(device, online, sha)
    assert (status["received"], status["size"], status["complete"]) == (3 * 16 * 1024, len(data), False)
    assert supervisor.get(f"/api/v1/visits/{visit}")[1]["missing_attachments"] == [sha]

    device.transport = online
    sent = []
    device.transport.request_bytes = _spy(online.request_bytes, sent)
    assert device.sync()["uploads"] == {"pending": 0, "done": 1, "failed": 0}
    assert sent[0].startswith(f"bytes {3 * 16 * 1024}-")  # resumed, not restarted
    status = supervisor.get(f"/api/v1/attachments/{sha}/status")[1]
    assert status == {"sha256": sha, "received": len(data), "size": len(data), "complete": True,
                      "media_type": "image/jpeg", "durable": True}
    assert supervisor.get(f"/api/v1/visits/{visit}")[1]["missing_attachments"] == []
    response = supervisor.client.get(f"/api/v1/attachments/{sha}",
                                     headers={"Authorization": f"Bearer {supervisor.token}"})
    assert response.status_code == 200 and response.data == data and response.mimetype == "image/jpeg"
    assert held_copies(app, sha) == [data]


class Recording:
    """A transport that notes every request's method, path and (for chunks) Content-Range."""

    def __init__(self, inner):
        self.inner, self.log = inner, []

    def request(self, method, path, **kwargs):
        self.log.append((method, path, None))
        return self.inner.request(method, path, **kwargs)

    def request_bytes(self, method, path, *, data, headers=None, token=None):
        self.log.append((method, path, headers["Content-Range"]))
        return self.inner.request_bytes(method, path, data=data, headers=headers, token=token)


def test_a_fresh_upload_asks_nothing_and_sends_large_chunks(phone, tmp_path):
    device = phone("ali")
    size = 2 * device.UPLOAD_CHUNK_BYTES + 1000
    path, data, sha = photo(tmp_path, size=size)
    record(device, new_unit(device), answers=diagnosis_answers(photos=[device.attach(path)]))
    device.push()
    device.transport = Recording(device.transport)
    assert device.upload_attachments() == {"pending": 0, "done": 1, "failed": 0}
    # one request per MiB and no status call first: each request costs the server more than its bytes
    step = device.UPLOAD_CHUNK_BYTES
    ranges = [f"bytes {first}-{min(first + step, size) - 1}/{size}" for first in range(0, size, step)]
    assert device.transport.log == [("PUT", f"/api/v1/attachments/{sha}", r) for r in ranges]


def test_an_upload_queued_by_an_older_client_resumes_after_the_upgrade(phone, tmp_path):
    device, online, _, sha, _ = half_sent_photo(phone, tmp_path, chunks=2)
    # the device file as an older client kept it: no note of which uploads had begun
    device.conn.execute("ALTER TABLE uploads DROP COLUMN started")
    device.close()

    upgraded = Device(str(tmp_path / "ali.sqlite"), Recording(online))
    upgraded.UPLOAD_CHUNK_BYTES = 16 * 1024
    assert upgraded.upload_attachments() == {"pending": 0, "done": 1, "failed": 0}
    first_chunk = next(entry for entry in upgraded.transport.log if entry[0] == "PUT")
    assert upgraded.transport.log[0] == ("GET", f"/api/v1/attachments/{sha}/status", None)
    assert first_chunk[2].startswith(f"bytes {2 * 16 * 1024}-")  # resumed, not restarted


def _spy(send, log):
    def spy(method, path, *, data, headers=None, token=None):
        log.append(headers["Content-Range"])
        return send(method, path, data=data, headers=headers, token=token)

    return spy


def test_corrupted_chunk_is_refused_and_a_wrong_file_discarded(engineer, tmp_path):
    _, data, sha = photo(tmp_path, size=40_000)
    assert put(engineer, sha, data[:20_000], 0, len(data), hashlib.sha256(data[:20_000]).digest())[0] == 200
    damaged = bytearray(data[20_000:])
    damaged[100] ^= 0xFF
    status, body = put(engineer, sha, bytes(damaged), 20_000, len(data), hashlib.sha256(data[20_000:]).digest())
    assert status == 422 and body["error"]["code"] == "hash_mismatch"
    assert body["error"]["details"] == {"received": 20_000}
    assert engineer.get(f"/api/v1/attachments/{sha}/status")[1]["received"] == 20_000  # nothing kept

    # Without a chunk digest the damage is found when the file is complete: it is discarded.
    status, body = put(engineer, sha, bytes(damaged), 20_000, len(data))
    assert status == 422 and body["error"]["code"] == "hash_mismatch"
    assert "discarded" in body["error"]["message"]
    assert engineer.get(f"/api/v1/attachments/{sha}/status")[1] == {
        "sha256": sha, "received": 0, "size": None, "complete": False, "media_type": None, "durable": False}

    status, body = put(engineer, sha, data[30_000:], 30_000, len(data))  # a gap
    assert status == 409 and body["error"]["details"] == {"received": 0}
    assert put(engineer, sha, data, 0, len(data))[1]["complete"] is True
    assert put(engineer, sha, data, 0, len(data))[1]["complete"] is True  # stored once: no-op


def test_oversized_and_wrongly_typed_files_are_refused_clearly(engineer, app, tmp_path, phone):
    app.config["MAX_ATTACHMENT_BYTES"] = 50_000
    _, big, sha = photo(tmp_path, size=60_000)
    status, body = put(engineer, sha, big[:10_000], 0, len(big))
    assert status == 413 and body["error"]["code"] == "attachment_too_large"
    assert body["error"]["details"] == {"max_attachment_bytes": 50_000, "size": 60_000}

    _, exe, sha = photo(tmp_path, "tool.jpg", size=5_000, head=b"MZ\x90\x00\x03\x00\x00\x00")
    status, body = put(engineer, sha, exe, 0, len(exe))
    assert status == 415 and body["error"]["code"] == "unsupported_media_type"
    assert "application/pdf" in body["error"]["details"]["allowed"]

    _, pdf, sha = photo(tmp_path, "licence.pdf", size=5_000, head=b"%PDF-1.7\n")
    assert put(engineer, sha, pdf, 0, len(pdf))[1]["media_type"] == "application/pdf"
    status, body = put(engineer, "not-a-hash", pdf, 0, len(pdf))
    assert status == 422 and "sha256" in body["error"]["details"]["fields"]
    for wrong in ("bytes 0-99/5000", "bytes=0-4999/5000", "0-4999"):
        status, body = put(engineer, "cd" * 32, pdf, 0, len(pdf), content_range=wrong)
        assert status == 422 and "Content-Range" in body["error"]["details"]["fields"], wrong

    device = phone("ali")  # the client gives up on a file the server will never take
    device.attach(tmp_path / "tool.jpg")
    assert device.upload_attachments() == {"pending": 0, "done": 0, "failed": 1}
    assert next(iter(device.uploads().values()))["error"]["code"] == "unsupported_media_type"


def test_visit_whose_photos_never_arrive_is_stored_and_listed_missing(phone, supervisor, login, tmp_path):
    device = phone("ali")
    _, _, sha = photo(tmp_path)
    unit = new_unit(device)
    licence = "ab" * 32
    visit = record(device, unit, answers=diagnosis_answers(photos=[sha], operating_licence="valid",
                                                           licence_photo=licence), attachments=[sha])
    device.sync()  # the photo was never queued for upload on this phone
    detail = supervisor.get(f"/api/v1/visits/{visit}")[1]
    assert detail["review_state"] == "submitted"
    assert detail["photos"] == sorted([sha, licence]) and detail["missing_attachments"] == sorted([sha, licence])
    status, body = supervisor.get("/api/v1/attachments/missing")
    assert status == 200 and body["total"] == 2
    assert {(m["sha256"], m["visit_id"], m["unit_id"]) for m in body["items"]} == {
        (sha, visit, unit), (licence, visit, unit)}
    assert login("mina", "supervisor", [ISFAHAN]).get("/api/v1/attachments/missing")[1]["total"] == 0
    status, body = login("hamid", "engineer").get("/api/v1/attachments/missing")
    assert status == 403 and body["error"]["code"] == "forbidden"


def test_downloads_follow_visit_visibility(phone, supervisor, login, tmp_path):
    device = phone("ali")
    path, data, _ = photo(tmp_path)
    sha = device.attach(path)
    record(device, new_unit(device), answers=diagnosis_answers(photos=[sha]))
    device.sync()

    def get(api):
        return api.client.get(f"/api/v1/attachments/{sha}", headers={"Authorization": f"Bearer {api.token}"})

    assert get(supervisor).status_code == 200
    refused = get(login("mina", "supervisor", [ISFAHAN]))
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found"
    assert get(login("hamid", "engineer")).status_code == 404


def test_files_can_live_in_another_storage(app, phone, supervisor, tmp_path):
    app.config["ATTACHMENT_STORAGE"] = elsewhere = MemoryStorage()
    device, online, data, sha, visit = half_sent_photo(phone, tmp_path, chunks=2)
    assert upload_status(device, online, sha)["received"] == 2 * 16 * 1024
    device.transport = online
    assert device.sync()["uploads"] == {"pending": 0, "done": 1, "failed": 0}
    assert supervisor.get(f"/api/v1/visits/{visit}")[1]["missing_attachments"] == []
    response = supervisor.client.get(f"/api/v1/attachments/{sha}",
                                     headers={"Authorization": f"Bearer {supervisor.token}"})
    assert response.status_code == 200 and response.data == data and response.mimetype == "image/jpeg"
    assert elsewhere.files == {sha: data} and not (tmp_path / "instance" / "attachments").exists()


def test_a_listed_file_lost_from_storage_is_not_found_rather_than_an_error(app, engineer, tmp_path):
    _, data, sha = photo(tmp_path, size=2_000)
    assert put(engineer, sha, data, 0, len(data))[1]["complete"] is True
    lose(app, sha)  # a restore that brought the database back without the files
    response = engineer.client.get(f"/api/v1/attachments/{sha}", headers={"Authorization": f"Bearer {engineer.token}"})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_a_first_chunk_too_short_to_show_its_type_is_refused_as_such(engineer, tmp_path):
    webp = b"RIFF\x00\x10\x00\x00WEBPVP8 " + os.urandom(3_000)
    sha = hashlib.sha256(webp).hexdigest()
    status, body = put(engineer, sha, webp[:8], 0, len(webp))
    assert status == 422 and "at least 16 bytes" in body["error"]["details"]["fields"]["Content-Range"][0]
    assert put(engineer, sha, webp[:16], 0, len(webp))[1]["media_type"] == "image/webp"
    assert put(engineer, sha, webp[16:], 16, len(webp))[1]["complete"] is True
    tiny = b"\x89PNG\r\n\x1a\n"  # a whole file shorter than 16 bytes is judged as it is
    assert put(engineer, hashlib.sha256(tiny).hexdigest(), tiny, 0, len(tiny))[1]["complete"] is True


def test_a_large_file_arrives_whole_and_is_read_back_in_ranges(app, engineer, tmp_path):
    _, data, sha = photo(tmp_path, size=9 * 1024 * 1024 + 12345)  # more than one S3 part
    chunk = 1024 * 1024
    for first in range(0, len(data), chunk):
        status, body = put(engineer, sha, data[first:first + chunk], first, len(data))
        assert status == 200, body
    assert body["complete"] is True and held_copies(app, sha) == [data]
    auth = {"Authorization": f"Bearer {engineer.token}"}
    whole = engineer.client.get(f"/api/v1/attachments/{sha}", headers=auth)
    assert whole.status_code == 200 and whole.content_length == len(data) and whole.data == data
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.headers["ETag"] == f'"{sha}"'
    part = engineer.client.get(f"/api/v1/attachments/{sha}", headers={**auth, "Range": "bytes=5000000-5000099"})
    assert part.status_code == 206 and part.data == data[5_000_000:5_000_100]
    assert part.headers["Content-Range"] == f"bytes 5000000-5000099/{len(data)}"
    tail = engineer.client.get(f"/api/v1/attachments/{sha}", headers={**auth, "Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == data[-10:]
    again = engineer.client.get(f"/api/v1/attachments/{sha}", headers={**auth, "If-None-Match": f'"{sha}"'})
    assert again.status_code == 304
