"""Photos: a gallery across the visits of the supervisor's provinces, filtered like the review
queue and by photo question, each photo captioned with its question; an enlarged view; and a
ZIP of the filtered set (with a list of what is in it).

Files are read only through the Storage interface and only where the visit's engineer holds
them (``console_queries.photo_rows``, the same rule as every download).
"""

import csv
import io
import re
import zipfile

from flask import Response, abort, flash, g, redirect, request, url_for

from server.api.attachments import storage
from server.auth import STAFF
from server.console import filters, jalali, labels, visit_view
from server.console.pages_review import queue_choices
from server.console.web import _, bp, console_access, lang, page, safe_next
from server.db import get_db, now
from sync import attachments, console_queries

MAX_ZIP_FILES = 2000
_UNSAFE_NAME = re.compile(r"[\\/:*?\"<>|\x00-\x1f]+")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif",
              "image/heic": "heic"}


def photo_filter(args):
    """The queue's filters, plus the photo question (its key)."""
    parsed = filters.visit_filter(args)
    question = (args.get("question") or "").strip()
    if question and not console_queries.QUESTION_KEY.match(question):
        parsed.errors.append("question")
        question = ""
    parsed.raw["question"] = question
    return parsed, question or None


def _definitions(db, rows) -> dict:
    found = {}
    for row in rows:
        ref = (row["template_code"], row["template_version"])
        if ref not in found:
            found[ref] = labels.template_definition(db, *ref)
    return found


def captioned(db, rows: list[dict]) -> list[dict]:
    """Each photo with the label of the question it answers (or "other file")."""
    definitions = _definitions(db, rows)
    for row in rows:
        definition = definitions[(row["template_code"], row["template_version"])]
        question = next((e["question"] for e in visit_view.photo_entries(definition, row["answers"],
                                                                         row["attachments"])
                         if e["sha256"] == row["sha256"]), None)
        row["question"] = question
        row["caption"] = (visit_view.question_labels(definition, lang()).get(question, question) if question
                          else _("photos.other_file"))
    return rows


def question_choices(db) -> list[tuple[str, str]]:
    """Photo questions of the templates the caller's visits were filled with."""
    definitions = [labels.template_definition(db, r["code"], r["version"])
                   for r in console_queries.template_codes(db, g.actor)]
    return [(key, labels.pick(label, lang(), key)) for key, label in visit_view.photo_questions(definitions)]


@bp.route("/photos")
@console_access(*STAFF)
def photos():
    db = get_db()
    parsed, question = photo_filter(request.args)
    found = console_queries.photo_rows(db, g.actor, parsed.filter, question, parsed.per_page, parsed.offset)
    return page("console/photos.html", photos=captioned(db, found["items"]), total=found["total"], parsed=parsed,
                questions=question_choices(db), max_zip=MAX_ZIP_FILES, **queue_choices(db))


@bp.route("/photos/<sha256>")
@console_access(*STAFF)
def photo(sha256):
    """One photo, large, with its caption, unit and visit."""
    db = get_db()
    if not attachments.SHA256_RE.match(sha256):
        abort(404)
    rows = console_queries.photo_rows(db, g.actor, console_queries.VisitFilter(), limit=1, sha256=sha256,
                                      visit_id=(request.args.get("visit") or "")[:64] or None)["items"]
    if not rows:
        abort(404)
    back = request.args.get("from")
    return page("console/photo.html", photo=captioned(db, rows)[0], back=safe_next(back) if back else None)


def _file_name(row: dict, used: set) -> str:
    day = jalali.jalali_date(row["observed_at"], "en").replace("/", "-")
    parts = [day, row["unit_name"], row["caption"], row["sha256"][:8]]
    stem = _UNSAFE_NAME.sub("_", " - ".join(p for p in parts if p)).strip(" ._")[:150]
    name = f"{stem}.{EXTENSIONS.get(row['media_type'], 'bin')}"
    while name in used:
        name = "_" + name
    used.add(name)
    return name


class _Chunks(io.RawIOBase):
    """A write-only stream that hands what was written to the response, piece by piece."""

    def __init__(self):
        self.pending = []

    def writable(self):
        return True

    def write(self, data):
        self.pending.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.pending = b"".join(self.pending), []
        return data


def zip_stream(rows: list[dict], files) -> bytes:
    """The photos as one ZIP (stored, not compressed: photos do not shrink), with a
    ``photos.csv`` listing each file; produced as it is sent, never held whole in memory."""
    out = _Chunks()
    listing = io.StringIO()
    writer = csv.writer(listing)
    writer.writerow(["file", "unit", "question", "observed_at", "visit_id", "sha256"])
    used: set = set()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for row in rows:
            name = _file_name(row, used)
            with files.open(row["sha256"]) as source, archive.open(name, "w", force_zip64=True) as target:
                while chunk := source.read(1 << 20):
                    target.write(chunk)
                    yield out.take()
            writer.writerow([name, row["unit_name"], row["caption"], row["observed_at"], row["visit_id"],
                             row["sha256"]])
        archive.writestr("photos.csv", "\ufeff" + listing.getvalue())
    yield out.take()


@bp.route("/photos.zip")
@console_access(*STAFF)
def photos_zip():
    db = get_db()
    parsed, question = photo_filter(request.args)
    rows = console_queries.photo_rows(db, g.actor, parsed.filter, question, MAX_ZIP_FILES + 1)["items"]
    if len(rows) > MAX_ZIP_FILES:
        flash(_("photos.too_many", limit=MAX_ZIP_FILES), "error")
        return redirect(url_for("console.photos", **filters.query_args(parsed.raw)))
    files = storage()
    rows = [r for r in captioned(db, rows) if files.has(r["sha256"])]
    name = f"fieldsync-photos-{jalali.local(now()).date().isoformat()}.zip"
    return Response(zip_stream(rows, files), content_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})

