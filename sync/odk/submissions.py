"""A Collect submission turned into the mutations a device pushes, applied by the same code.

An instance XML of a form made by ``sync.odk.xlsform`` becomes, in order:

* ``create_unit`` when the engineer registered a new unit (the entity it creates; its id is
  the unit id), or ``update_unit`` with ``base_seq`` = the entity's ``baseVersion`` carrying
  only the fields the engineer changed on a unit picked from the list;
* ``create_visit`` (the visit id is the instance id), or ``revise_visit`` when the
  submission revises a visit sent back.

They go through ``sync.push.prepare`` and ``sync.push.apply`` inside one transaction with
the submission's own record (``odk_submissions``), so a submission is all or nothing and
exactly once by its instanceID: the same XML again changes nothing and is a success; other
XML under the same instanceID is a conflict; a submission refused is not kept, so that the
engineer can correct it in Collect and send it again.

Photos are named by file in the XML and arrive in the same POST or a later one. Each is
kept under a stand-in name derived from the instance and the file name (:func:`file_key`),
which is what the visit's answer holds; the visit lists a photo as missing until its bytes
arrive, whichever POST brings them.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from sync import attachments, ids, push
from sync.errors import Conflict, DomainError, Invalid
from sync.odk import xlsform
from sync.store import Tx, write

_NAMESPACE = uuid.UUID("9a3c3c53-1c3e-4e59-b3f4-5b8c2e0f3b6d")  # for ids derived from an instance


class Refused(Invalid):
    """A submission refused, nothing of it kept; ``text`` names each question in words, for
    the engineer reading it in Collect."""

    def __init__(self, message: str, fields: dict, text: str = "", code: str = Invalid.code):
        super().__init__(fields, message)
        self.text = text or message
        self.code = code  # what the push code answered: validation_failed, out_of_scope, not_found…


@dataclass
class Submission:
    instance_id: str
    form_id: str
    version: str
    xml: bytes
    root: object

    @property
    def visit_id(self) -> str:
        return self.instance_id.removeprefix("uuid:")

    @property
    def xml_sha256(self) -> str:
        return hashlib.sha256(self.xml).hexdigest()


def parse(xml: bytes) -> Submission:
    try:
        root = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as error:
        raise Invalid({"xml_submission_file": [f"Not a well-formed XML instance ({error})."]}) from error
    instance_id = (root.findtext("meta/instanceID") or "").strip()
    if not instance_id or len(instance_id) > 100:
        raise Invalid({"xml_submission_file": ["The instance has no meta/instanceID."]})
    if (root.findtext("meta/deprecatedID") or "").strip():
        raise Invalid({"xml_submission_file": [
            "Editing a form already sent is not supported: when a supervisor sends a visit back, revise it "
            "by choosing it in a new form."]})
    return Submission(instance_id, root.get("id") or "", root.get("version") or "", xml, root)


def file_key(instance_id: str, filename: str) -> str:
    """The stand-in hash a photo of a submission is named by (64 hex digits, like a SHA-256:
    the visit refers to it before its bytes arrive, and no real file can hash to it)."""
    return hashlib.sha256(f"odk-file:{instance_id}/{filename}".encode()).hexdigest()


def _text(node, path: str) -> str:
    found = node.find(path) if node is not None else None
    return (found.text or "").strip() if found is not None and found.text else ""


def _geopoint(text: str) -> dict:
    parts = text.split()
    point = {"lat": float(parts[0]), "lon": float(parts[1])}
    if len(parts) > 3:
        point["accuracy"] = float(parts[3])
    return point


def _answer(question: dict, text: str):
    """An answer as our types have it, from the instance's text (ValueError if it is none)."""
    qtype = question["type"]
    if qtype == "integer":
        return int(text)
    if qtype == "decimal":
        return float(text)
    if qtype == "yes_no":
        return {xlsform.YES: True, xlsform.NO: False}[text]
    if qtype == "select_multiple":
        return text.split()
    if qtype == "location":
        return _geopoint(text)
    return text


def photo_files(sub: Submission, definition: dict) -> dict[str, list[str]]:
    """Question key → the file names its photos carry in the instance."""
    found = {}
    for section in definition["sections"]:
        node = sub.root.find(section["key"])
        for q in section["questions"]:
            if q["type"] == "photo" and node is not None:
                names = [_text(r, f"_fs_{q['key']}_file") for r in node.findall(q["key"])]
                found[q["key"]] = [n for n in names if n]
    return found


def _answers(sub: Submission, definition: dict, errors: dict) -> tuple[dict, dict | None]:
    answers, location, photos = {}, None, photo_files(sub, definition)
    for section in definition["sections"]:
        node = sub.root.find(section["key"])
        for q in section["questions"]:
            if q["type"] == "note":
                continue
            if q["type"] == "photo":
                if photos.get(q["key"]):
                    answers[q["key"]] = [file_key(sub.instance_id, name) for name in photos[q["key"]]]
                continue
            text = _text(node, q["key"])
            if not text:
                continue
            try:
                answers[q["key"]] = _answer(q, text)
            except (ValueError, KeyError, IndexError):
                errors[f"answers.{q['key']}"] = [f"{text!r} is not a {q['type']} answer"]
            if q["type"] == "location" and location is None and q["key"] in answers:
                location = {k: answers[q["key"]][k] for k in ("lat", "lon")}
    return answers, location


def _obstacles(sub: Submission) -> list[dict]:
    found = []
    for i, node in enumerate(sub.root.findall(xlsform.OBSTACLES)):
        record = {"obstacle_id": ids.derived_id(_NAMESPACE, sub.instance_id, f"obstacle/{i}"),
                  "area": _text(node, "_fs_obstacle_area"), "group": _text(node, "_fs_obstacle_group"),
                  "severity": _text(node, "_fs_obstacle_severity"),
                  "description": _text(node, "_fs_obstacle_description")}
        for key, name in (("proposed_action", "_fs_obstacle_action"), ("responsible_body", "_fs_obstacle_body")):
            if _text(node, name):
                record[key] = _text(node, name)
        found.append(record)
    return found


def _unit_value(prop: str, text: str):
    if prop in ("province_id", "park_id", "employees"):
        return int(text)
    if prop == "location":
        return _geopoint(text)
    return text


def _unit_mutation(sub: Submission, observed_at: str, errors: dict) -> tuple[dict | None, str]:
    """(create_unit or update_unit or None, the id of the visit's unit)."""
    visit = sub.root.find(xlsform.VISIT_GROUP)
    entity = sub.root.find("meta/entity")
    new = _text(visit, "_fs_new_unit") == xlsform.YES
    fields = {}
    names = {**(xlsform.NEW_ONLY if new else {}), **xlsform.EDITABLE}
    for name, prop in names.items():
        text = _text(visit, name)
        if not text or (not new and text == _text(visit, f"_fs_was_{prop}")):
            continue  # only what the engineer typed, or changed on a unit from the list
        try:
            fields["name" if prop == "unit_name" else prop] = _unit_value(prop, text)
        except (ValueError, IndexError):
            errors[f"fields.{'name' if prop == 'unit_name' else prop}"] = [f"{text!r} is not a value of this field"]
    if new:
        unit_id = (entity.get("id") if entity is not None else "") or str(uuid.uuid5(_NAMESPACE, sub.instance_id))
        return {"type": "create_unit", "observed_at": observed_at, "unit_id": unit_id, "fields": fields}, unit_id
    unit_id = _text(visit, "_fs_unit")
    if not fields:
        return None, unit_id
    base = entity.get("baseVersion") if entity is not None else ""
    return {"type": "update_unit", "observed_at": observed_at, "unit_id": unit_id,
            "base_seq": int(base) if base and base.isdigit() else None, "fields": fields}, unit_id


def mutations(sub: Submission, definition: dict, received_at: str) -> list[dict]:
    """The mutations of a submission (``mutation_id`` 0: numbered when applied)."""
    errors: dict = {}
    observed_at = _text(sub.root, xlsform.START) or received_at
    template = {"code": definition["code"], "version": definition["version"]}
    answers, location = _answers(sub, definition, errors)
    content = {"template": template, "answers": answers, "obstacles": _obstacles(sub), "attachments": [],
               "location": location}
    visit = sub.root.find(xlsform.VISIT_GROUP)
    revise = _text(visit, "_fs_revise")
    found = []
    if revise:
        version = _text(visit, "_fs_revise_version")
        found.append({"type": "revise_visit", "observed_at": observed_at, "visit_id": revise,
                      "base_version": int(version) if version.isdigit() else 0,
                      "comment": _text(visit, "_fs_revision_comment") or None, **content})
    else:
        unit, unit_id = _unit_mutation(sub, observed_at, errors)
        if unit:
            found.append(unit)
        found.append({"type": "create_visit", "observed_at": observed_at, "visit_id": sub.visit_id,
                      "unit_id": unit_id, **content})
    if errors:
        raise Invalid(errors)
    return [{"mutation_id": 0, **m} for m in found]


def _template(db, sub: Submission) -> dict:
    try:
        version = int(sub.version.split(".")[0])
    except ValueError:
        version = 0
    row = db.execute("SELECT definition, status FROM templates WHERE code = ? AND version = ?",
                     [sub.form_id, version]).fetchone()
    if row is None or row[1] == "draft":
        raise Invalid({"xml_submission_file": [f"No published form {sub.form_id} version {sub.version}."]})
    return json.loads(row[0])


def _store_files(storage, actor, sub: Submission, files: dict[str, bytes], wanted: set[str],
                 max_bytes: int) -> list[tuple[str, str]]:
    """Keep the posted files the instance names; returns (key, content hash) of each."""
    kept = []
    for filename, data in files.items():
        if filename in wanted and len(data) <= max_bytes:
            key = file_key(sub.instance_id, filename)
            content = attachments.store_unhashed(storage, actor, key, data)
            if content:
                kept.append((key, content))
    return kept


def _record_files(tx: Tx, storage, kept: list[tuple[str, str]]) -> None:
    for key, content in kept:
        attachments.record(tx, storage, key, content)


def receive(db, storage, actor, xml: bytes, files: dict[str, bytes], now, skew_seconds: int,
            max_bytes: int) -> dict:
    """Take one OpenRosa POST: ``{"status": "applied"|"duplicate", "visit_id", "unit_id",
    "results"}``; raises :class:`Conflict` (other XML, same instanceID), :class:`Invalid`
    (no instance, no such form) or :class:`Refused` (nothing kept)."""
    sub = parse(xml)
    definition = _template(db, sub)
    try:
        return _receive(db, storage, actor, sub, definition, files, now, skew_seconds, max_bytes)
    except Invalid as error:  # Refused included
        raise Refused(error.message, error.fields, describe(error.fields, definition), error.code) from error


def _receive(db, storage, actor, sub: Submission, definition: dict, files, now, skew_seconds, max_bytes) -> dict:
    from sync.clock import iso

    wanted = {name for names in photo_files(sub, definition).values() for name in names}
    raw = mutations(sub, definition, iso(now))
    prepared = push.prepare(db, raw, now, skew_seconds)
    kept = _store_files(storage, actor, sub, files, wanted, max_bytes)
    with write(db, now, actor) as tx:
        prior = tx.one("SELECT * FROM odk_submissions WHERE instance_id = ?", (sub.instance_id,))
        if prior:
            if prior["xml_sha256"] != sub.xml_sha256 or prior["user_id"] != actor.user_id:
                raise Conflict("A submission with this instanceID was already received with other content.",
                               {"instance_id": sub.instance_id})
            _record_files(tx, storage, kept)  # photos of the same submission, sent later
            return {"status": "duplicate", **json.loads(prior["result"])}
        refused = next((p for p in prepared if isinstance(p, DomainError)), None)
        if refused is not None:
            raise Refused(refused.message, _named(refused), code=refused.code)
        first = push.last_mutation_id(tx) + 1
        for offset, mutation in enumerate(raw):
            mutation["mutation_id"] = first + offset
        # Refused here undoes the whole transaction: the dead letters and ledger rows too.
        results = push.apply(tx, raw, prepared)
        rejected = [r for r in results if r["status"] == "rejected"]
        if rejected:
            error = rejected[0]["error"]
            raise Refused(error["message"], error.get("details", {}).get("fields") or {}, code=error["code"])
        last = results[-1]
        outcome = {"visit_id": last.get("visit_id") or raw[-1]["visit_id"], "unit_id": last.get("unit_id"),
                   "results": results}
        tx.execute("INSERT INTO odk_submissions (instance_id, form_id, form_version, user_id, device_id, xml,"
                   " xml_sha256, visit_id, received_at, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (sub.instance_id, sub.form_id, sub.version, actor.user_id, actor.device_id,
                    sub.xml.decode("utf-8", "replace"), sub.xml_sha256, outcome["visit_id"], tx.at,
                    json.dumps(outcome, ensure_ascii=False)))
        _record_files(tx, storage, kept)
        tx.audit("odk.submission", "visit", outcome["visit_id"], instance_id=sub.instance_id, form=sub.form_id,
                 mutations=[m["mutation_id"] for m in raw], files=len(kept))
    return {"status": "applied", **outcome}


def _named(error: DomainError) -> dict:
    fields = error.details.get("fields") if isinstance(error.details, dict) else None
    return fields if isinstance(fields, dict) else {}


def missing_files(db, instance_id: str) -> list[str]:
    """File keys of a received submission whose bytes have not arrived (its visit's view)."""
    row = db.execute("SELECT visit_id FROM odk_submissions WHERE instance_id = ?", [instance_id]).fetchone()
    if row is None:
        return []
    from sync import visits

    version = db.execute("SELECT version FROM visits WHERE id = ?", [row[0]]).fetchone()
    return visits.missing_attachments(db, row[0], version[0]) if version else []


def describe(fields: dict, definition: dict) -> str:
    """Field errors in words, each naming its question as the engineer saw it."""
    labels = question_labels(definition)
    return " — ".join(f"«{labels.get(path) or labels.get(f'fields.{path}', path)}»: {'; '.join(map(str, messages))}"
                      for path, messages in fields.items()) or "The submission was refused."


def question_labels(definition: dict, lang: str = "fa") -> dict[str, str]:
    """Field path (as push errors name it) → the question's label, for Collect's error text."""
    labels = {f"answers.{q['key']}": (q.get("label") or {}).get(lang) or q["key"]
              for s in definition["sections"] for q in s["questions"]}
    labels.update({"fields.name": "نام واحد", "fields.province_id": "استان", "fields.park_id": "شهرک یا ناحیه",
                   "fields.national_id": "شناسه ملی", "fields.status": "وضعیت واحد",
                   "fields.employees": "تعداد کارکنان", "fields.phone": "تلفن", "fields.owner": "مالک"})
    return labels

