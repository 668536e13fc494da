"""Photos and files: content-addressed, resumable uploads, verified against their SHA-256.

A visit refers to its files by SHA-256 and is accepted whether or not they have arrived;
the file follows when the network allows. The protocol (docs/checklists.md, "Attachments"):

* ``GET /api/v1/attachments/<sha256>/status`` → how many bytes the server has.
* ``PUT /api/v1/attachments/<sha256>`` with ``Content-Range: bytes <first>-<last>/<size>``
  and the chunk as the body sends the next piece; an optional
  ``Content-Digest: sha-256=:<base64>:`` lets the server refuse a chunk corrupted on the way
  before it is kept. A chunk must start at or before the bytes the server has (a resend
  overwrites from its start); the first chunk decides the file type by its magic bytes.
* When the last byte arrives the whole file is hashed: a mismatch discards the upload,
  a match stores the file once under its hash.
* A file belongs to those who sent its bytes (``attachment_owners``): an upload in
  progress is its uploader's own (another user starting the same file starts their own),
  a second user holding the same bytes proves it by sending them, and nobody learns that a
  file exists by naming its hash. Who may read a file: :func:`visible_to`.

Storage is behind :class:`Storage`; :class:`FileStorage` keeps files under the instance
folder, and :func:`configured_storage` lets a deployment hand the app another one. Uploads
in progress exist only in storage; the ``attachments`` table lists files held complete and
verified. Nothing here imports Flask.
"""

import base64
import binascii
import contextlib
import fcntl
import hashlib
import json
import os
import re
from pathlib import Path
from typing import BinaryIO, Protocol

from sync import durability
from sync.errors import Conflict, DomainError, Invalid
from sync.store import Tx

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_RANGE_RE = re.compile(r"^bytes (\d{1,15})-(\d{1,15})/(\d{1,15})$")
_DIGEST_RE = re.compile(r"(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]+):")
SNIFF_BYTES = 16  # enough for every signature below

# Images a phone camera or scanner produces, and PDF; recognised by content, never by name.
MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "application/pdf")


class TooLarge(DomainError):
    code = "attachment_too_large"


class UnsupportedType(DomainError):
    code = "unsupported_media_type"


class HashMismatch(DomainError):
    code = "hash_mismatch"


def sniff(head: bytes) -> str | None:
    """The media type of a file from its first bytes, or None when not an accepted type."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"hevc", b"mif1", b"msf1"):
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def check_sha(sha256: str) -> str:
    if not SHA256_RE.match(sha256 or ""):
        raise Invalid({"sha256": ["Name the file by its SHA-256: 64 lower-case hex digits."]})
    return sha256


def parse_range(header: str | None, length: int) -> tuple[int, int]:
    """``(first byte, total size)`` from a Content-Range header that matches the body length."""
    match = _RANGE_RE.match((header or "").strip())
    if not match:
        raise Invalid({"Content-Range": ["Send the chunk's place as `bytes <first>-<last>/<size>`."]})
    first, last, total = (int(g) for g in match.groups())
    if not (first <= last < total) or last - first + 1 != length:
        raise Invalid({"Content-Range": [f"bytes {first}-{last}/{total} does not fit a body of "
                                         f"{length} bytes."]})
    return first, total


def chunk_digest(header: str | None) -> bytes | None:
    """The SHA-256 a ``Content-Digest`` header announces for the chunk, if any."""
    if not header:
        return None
    match = _DIGEST_RE.search(header)
    try:
        digest = base64.b64decode(match.group(1), validate=True) if match else b""
    except binascii.Error:
        digest = b""
    if len(digest) != 32:
        raise Invalid({"Content-Digest": ["Expected `sha-256=:<base64 of the chunk's SHA-256>:`."]})
    return digest


class Storage(Protocol):
    """Where attachment bytes live. ``size``/``media_type`` of an upload are kept with it.

    Everything the API does with files goes through these five methods (downloads too),
    so any object that has them can stand in for :class:`FileStorage`. An upload in
    progress is named by the file's hash and its ``uploader`` (a user id as text): two
    users sending the same file each have their own.

    * ``has``: whether a complete, verified file is held.
    * ``progress``: ``{"received", "size", "media_type"}`` of an upload in progress, or None.
    * ``write``: put ``data`` at byte ``first`` of the upload (``first == 0`` starts it over
      and records size and type); raise :class:`~sync.errors.Conflict` with
      ``{"received": n}`` when ``first`` is past the bytes held or the size differs.
      Returns the progress after the write.
    * ``finish``: hash the complete upload; keep it under its hash (once: a file already
      held stays as it is) and answer True, or discard it and answer False. With
      ``verify=False`` it is kept under the name it was uploaded under, unhashed (a Collect
      photo, named before its bytes are known: ``sync.odk.submissions.file_key``).
    * ``open``: a binary file object of a complete file.
    """

    def has(self, sha256: str) -> bool: ...
    def progress(self, sha256: str, uploader: str) -> dict | None: ...
    def write(self, sha256: str, uploader: str, first: int, data: bytes, size: int,
              media_type: str | None) -> dict: ...
    def finish(self, sha256: str, uploader: str, verify: bool = True) -> bool: ...
    def open(self, sha256: str) -> BinaryIO: ...


def configured_storage(config) -> Storage:
    """The storage an app uses: the object in ``config["ATTACHMENT_STORAGE"]`` when one is
    given (``create_app({"ATTACHMENT_STORAGE": ...})``), an S3 bucket when
    ``ATTACHMENTS_S3_BUCKET`` is set (``sync.object_storage``), else files under
    ``ATTACHMENTS_DIR``."""
    if config.get("ATTACHMENT_STORAGE"):
        return config["ATTACHMENT_STORAGE"]
    if config.get("ATTACHMENTS_S3_BUCKET"):
        from sync import object_storage

        return object_storage.from_config(config)
    return FileStorage(config["ATTACHMENTS_DIR"])


class FileStorage:
    """Files on disk: complete ones at ``<root>/ab/<sha256>``, uploads in progress at
    ``<root>/partial/<uploader>-<sha256>`` with a ``.json`` beside it. One lock file keeps
    server workers from interleaving writes (a chunk write is short; a lock file per upload
    would pile up). Not ``durable``: the files are lost with this machine."""

    durable = False

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _partial(self, sha256: str, uploader: str) -> Path:
        return self.root / "partial" / f"{uploader}-{sha256}"

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    @contextlib.contextmanager
    def _locked(self, sha256: str, uploader: str):
        partial = self._partial(sha256, uploader)
        partial.parent.mkdir(parents=True, exist_ok=True)
        with open(partial.parent / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield partial

    def progress(self, sha256: str, uploader: str) -> dict | None:
        partial = self._partial(sha256, uploader)
        try:
            meta = json.loads(partial.with_suffix(".json").read_text())
            return {**meta, "received": partial.stat().st_size}
        except (OSError, ValueError):
            return None

    def write(self, sha256: str, uploader: str, first: int, data: bytes, size: int,
              media_type: str | None) -> dict:
        """Write ``data`` at ``first``; raises :class:`Conflict` when that leaves a gap or the
        size differs from the upload in progress. Returns the progress after the write."""
        with self._locked(sha256, uploader) as partial:
            current = self.progress(sha256, uploader)
            if first > 0 and (current is None or current["size"] != size or first > current["received"]):
                have = current["received"] if current and current["size"] == size else 0
                raise Conflict(f"The server has {have} bytes of this file; send from byte {have}.",
                               {"received": have})
            if first == 0:
                partial.with_suffix(".json").write_text(json.dumps({"size": size, "media_type": media_type}))
            with open(partial, "r+b" if partial.exists() else "wb") as out:
                out.truncate(first)
                out.seek(first)
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        return self.progress(sha256, uploader)

    def finish(self, sha256: str, uploader: str, verify: bool = True) -> bool:
        return self.seal(sha256, uploader, verify, self.path(sha256))

    def seal(self, sha256: str, uploader: str, verify: bool, destination: Path) -> bool:
        """End the upload: when its bytes hash to ``sha256`` (or ``verify`` is off), move them
        to ``destination`` and answer True; else discard them and answer False."""
        with self._locked(sha256, uploader) as partial:
            good = not verify or file_sha256(partial) == sha256
            if good:
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.replace(partial, destination)
            else:
                partial.unlink()
            partial.with_suffix(".json").unlink(missing_ok=True)
            return good

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path(sha256), "rb")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _held(db, sha256: str) -> dict | None:
    rows = list(db.query("SELECT * FROM attachments WHERE sha256 = ?", [sha256]))
    return rows[0] if rows else None


def owns(db, actor, sha256: str) -> bool:
    """Has ``actor`` sent this file's bytes (so holds the file)?"""
    return db.execute("SELECT 1 FROM attachment_owners WHERE sha256 = ? AND user_id = ?",
                      [sha256, actor.user_id]).fetchone() is not None


def _uploader(actor) -> str:
    return str(actor.user_id)


def status(db, storage: Storage, sha256: str, actor, replicated: bool = False) -> dict:
    """``{"sha256", "received", "size", "complete", "media_type", "durable"}``: what the server
    has of this file for ``actor`` — complete once it is held and they may read it
    (:func:`visible_to`), else their own upload in progress. It says nothing of files they
    may not read. ``durable``: the server can no longer lose the caller's copy, or for one who
    does not hold it, the file (see ``sync.durability``); until then the device keeps it."""
    check_sha(sha256)
    held = _held(db, sha256)
    if held and visible_to(db, actor, sha256):
        holder = actor.user_id if owns(db, actor, sha256) else None
        durable = durability.holding_durable(db, sha256, holder, replicated, getattr(storage, "durable", False))
        return {"sha256": sha256, "received": held["size"], "size": held["size"], "complete": True,
                "media_type": held["media_type"], "durable": durable}
    progress = storage.progress(sha256, _uploader(actor)) or {"received": 0, "size": None, "media_type": None}
    return {"sha256": sha256, "received": progress["received"], "size": progress["size"],
            "complete": False, "media_type": progress["media_type"], "durable": False}


def receive(db, storage: Storage, sha256: str, actor, content_range: str | None, data: bytes, max_bytes: int,
            digest_header: str | None = None) -> dict:
    """Take one chunk of ``actor``'s upload; returns the progress after it. Touches only
    storage (no write lock held while bytes arrive): when the answer says ``complete``, the
    caller lists the file with :func:`record`, which answers the full :func:`status`."""
    check_sha(sha256)
    if owns(db, actor, sha256):
        return {"sha256": sha256, "complete": True}  # theirs already: a second upload changes nothing
    uploader = _uploader(actor)
    first, size = parse_range(content_range, len(data))
    if size > max_bytes:
        raise TooLarge(f"The file is {size} bytes; files may be at most {max_bytes} bytes.",
                       {"max_attachment_bytes": max_bytes, "size": size})
    expected = chunk_digest(digest_header)
    if expected is not None and hashlib.sha256(data).digest() != expected:
        have = (storage.progress(sha256, uploader) or {"received": 0})["received"]
        raise HashMismatch("The chunk does not match its Content-Digest (corrupted on the way); "
                           "nothing of it was kept. Send it again.", {"received": min(have, first)})
    media_type = None
    if first == 0:
        if len(data) < min(SNIFF_BYTES, size):
            # Otherwise a WebP cut after 8 bytes would be refused as "not a photo".
            raise Invalid({"Content-Range": [f"The first chunk must carry at least {SNIFF_BYTES} bytes "
                                             "(or the whole file) so that its type can be checked."]})
        media_type = sniff(data[:SNIFF_BYTES])
        if media_type is None:
            raise UnsupportedType("Only photos (JPEG, PNG, GIF, WebP, HEIC) and PDF files are accepted; "
                                  "this file is none of them.", {"allowed": list(MEDIA_TYPES)})
    progress = storage.write(sha256, uploader, first, data, size, media_type)
    if progress["received"] < size:
        return {"sha256": sha256, **progress, "complete": False}
    if not storage.finish(sha256, uploader):
        raise HashMismatch("The file's SHA-256 differs from the name it was uploaded under; the "
                           "upload was discarded. Start again from byte 0.", {"received": 0})
    return {"sha256": sha256, "complete": True}


def store_unhashed(storage: Storage, actor, name: str, data: bytes) -> str | None:
    """Keep a whole file under ``name`` without hashing it against the name (a Collect photo,
    see ``sync.odk.submissions``); returns the SHA-256 of its content, or None when it is no
    photo or PDF. List it with :func:`record` (giving that hash) in the transaction that
    refers to it."""
    media_type = sniff(data[:SNIFF_BYTES])
    if media_type is None:
        return None
    uploader = _uploader(actor)
    storage.write(name, uploader, 0, data, len(data), media_type)
    storage.finish(name, uploader, verify=False)
    return hashlib.sha256(data).hexdigest()


def record(tx: Tx, storage: Storage, sha256: str, content_sha256: str | None = None,
           replicated: bool = False) -> dict:
    """List a verified file as held, and its uploader (``tx.actor``) as one who holds it
    (idempotent); audited. ``content_sha256``: the hash of a file kept under another name
    (:func:`store_unhashed`); a verified file's content hashes to its name."""
    if not _held(tx.db, sha256):
        with storage.open(sha256) as source:
            head = source.read(SNIFF_BYTES)
            source.seek(0, os.SEEK_END)
            size = source.tell()
        tx.execute("INSERT INTO attachments (sha256, size, media_type, completed_at, uploaded_by, device_id,"
                   " content_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (sha256, size, sniff(head), tx.at, tx.actor.user_id, tx.actor.device_id,
                    content_sha256 or sha256))
        tx.audit("attachment.store", "attachment", sha256, size=size)
    if not owns(tx.db, tx.actor, sha256):
        tx.execute("INSERT INTO attachment_owners (sha256, user_id, device_id, at, written) VALUES (?, ?, ?, ?, ?)",
                   (sha256, tx.actor.user_id, tx.actor.device_id, tx.at, durability.write_number(tx)))
        tx.audit("attachment.hold", "attachment", sha256)
    return status(tx.db, storage, sha256, tx.actor, replicated)


# Visits whose engineer holds the file: only they lend it to those who may see the visit.
_VOUCHED = ("visit_attachments va JOIN visits v ON v.no = va.visit_no"
            " JOIN attachment_owners o ON o.sha256 = va.sha256 AND o.user_id = v.engineer_id")


def visible_to(db, actor, sha256: str) -> bool:
    """Who may read a file: whoever holds it (sent its bytes), an admin, and whoever may see
    a visit that refers to it *and* whose engineer holds it. Naming another's hash in one's
    own visit lends nothing: that visit's engineer does not hold the file."""
    if actor.sees_all or owns(db, actor, sha256):
        return True
    if actor.role == "engineer":
        return False  # an engineer sees only their own visits, whose files they would hold
    rows = db.execute(f"SELECT DISTINCT v.province_id FROM {_VOUCHED} WHERE va.sha256 = ?", [sha256]).fetchall()
    return any(actor.can_see_province(province) for (province,) in rows)


def missing(db, actor, province_id=None, visit_id=None, unit_id=None, limit=100, offset=0) -> dict:
    """Files that visits (their current version) refer to and that their engineer has not
    sent yet, in the actor's provinces; oldest visit first. Items: sha256, visit, unit, engineer."""
    clauses, params = ["o.sha256 IS NULL"], []
    if not actor.sees_all:
        provinces = sorted(actor.provinces)
        clauses.append(f"v.province_id IN ({','.join('?' * len(provinces))})")
        params.extend(provinces)
    for column, value in (("v.province_id", province_id), ("v.id", visit_id), ("v.unit_id", unit_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    sql = (" FROM visit_attachments va JOIN visits v ON v.no = va.visit_no AND v.version = va.version"
           " LEFT JOIN attachment_owners o ON o.sha256 = va.sha256 AND o.user_id = v.engineer_id"
           " WHERE " + " AND ".join(clauses))
    total = db.execute("SELECT count(*)" + sql, params).fetchone()[0]
    rows = db.query("SELECT va.sha256, v.id AS visit_id, v.unit_id, v.province_id, v.engineer_id,"
                    " v.observed_at, v.received_at" + sql + " ORDER BY v.received_at, va.sha256"
                    " LIMIT ? OFFSET ?", [*params, limit, offset])
    return {"items": list(rows), "total": total}
