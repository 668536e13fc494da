"""Photos and files: resumable, content-addressed upload; download; what is still missing.

The protocol is described in sync/attachments.py and docs/checklists.md ("Attachments").
"""

from typing import BinaryIO

from flask import current_app, g, request
from werkzeug.wsgi import wrap_file

from schemas.checklists import (
    AttachmentStatusSchema,
    ChunkHeadersSchema,
    MissingPageSchema,
    MissingQuerySchema,
)
from server.auth import STAFF, access
from server.db import get_db, writing
from server.requests import Blueprint
from sync import attachments
from sync.errors import NotFound

bp = Blueprint("attachments", __name__, url_prefix="/api/v1", description="Photos and files.")


def storage() -> attachments.Storage:
    return attachments.configured_storage(current_app.config)


def replicated() -> bool:
    """Is the store replicated (so an acknowledgement is durable only once on the replica)?"""
    return bool(current_app.config["REPLICA_URL"])


@bp.route("/attachments/<sha>", methods=["PUT"])
@access()
@bp.arguments(ChunkHeadersSchema, location="headers")
@bp.doc(requestBody={"required": True, "description": "The chunk's bytes.", "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}})
@bp.response(200, AttachmentStatusSchema)
def put_chunk(headers, sha):
    """Send one chunk of a file named by its SHA-256 (body: the raw bytes).

    ``Content-Range: bytes <first>-<last>/<size>``; start at or before the byte count the
    server reports (409 with ``details.received`` otherwise). ``Content-Digest`` (optional)
    guards the chunk. The first chunk must be a JPEG, PNG, GIF, WebP, HEIC image or a PDF
    (415), the size at most MAX_ATTACHMENT_BYTES (413). On the last byte the file is
    verified against its hash (422 ``hash_mismatch`` discards it).
    """
    files = storage()
    progress = attachments.receive(get_db(), files, sha, g.actor, headers["content_range"],
                                   request.get_data(cache=False), current_app.config["MAX_ATTACHMENT_BYTES"],
                                   headers.get("content_digest"))
    if not progress["complete"]:
        return progress
    with writing() as tx:
        return attachments.record(tx, files, sha, replicated=replicated())


@bp.route("/attachments/<sha>/status", methods=["GET"])
@access()
@bp.response(200, AttachmentStatusSchema)
def chunk_status(sha):
    """How many bytes of this file the caller has sent (``received``), and whether the caller
    holds it complete; nothing about files other users hold."""
    return attachments.status(get_db(), storage(), sha, g.actor, replicated())


@bp.route("/attachments/<sha>", methods=["GET"])
@access()
@bp.response(200, description="The file, with its media type.")
def download(sha):
    """The file, to its uploader and to whoever may see a visit that refers to it."""
    found = held_file(sha)
    if found is None:
        raise NotFound(f"No file {sha}.")
    return file_response(sha, found, max_age=86400)


def held_file(sha: str) -> tuple[BinaryIO, str, int] | None:
    """The file (open), its media type and size, if it has arrived whole and the caller may
    see it; the API's download and the console's share this rule. Read through the Storage
    interface, not a path: the file need not be on this disk."""
    db = get_db()
    files = storage()
    held = db.execute("SELECT media_type, size FROM attachments WHERE sha256 = ?", [sha]).fetchone()
    if held is None or not attachments.visible_to(db, g.actor, sha) or not files.has(sha):
        return None
    return files.open(sha), held[0], held[1]


def file_response(sha: str, found: tuple[BinaryIO, str, int], max_age: int, as_attachment: bool = False):
    """The file with its length, ETag (its hash) and Range support: a browser or phone may
    ask for part of it, and storage reads only that part (ranged GETs from a bucket)."""
    file, media_type, size = found
    response = current_app.response_class(wrap_file(request.environ, file), mimetype=media_type,
                                          direct_passthrough=True)
    response.content_length = size
    response.set_etag(sha)
    response.cache_control.max_age = max_age
    response.cache_control.private = True
    response.headers["Content-Disposition"] = f"{'attachment' if as_attachment else 'inline'}; filename={sha}"
    return response.make_conditional(request.environ, accept_ranges=True, complete_length=size)


@bp.route("/attachments/missing", methods=["GET"])
@access(*STAFF)
@bp.arguments(MissingQuerySchema, location="query")
@bp.response(200, MissingPageSchema)
def missing(args):
    """Files that visits refer to and that have not arrived yet, in the caller's provinces."""
    return attachments.missing(get_db(), g.actor, **args)
