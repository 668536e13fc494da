"""Checklist templates and the obstacle taxonomy in the store, and checking a visit against them.

The document formats and their validation live in :mod:`sync.templates` and
:mod:`sync.taxonomy`; this module keeps the documents in the store and decides what a
device may use.

* A template version is ``draft`` → ``published`` → ``retired``. A draft may be replaced
  by uploading the same code and version again; a published or retired version never
  changes (visits name it). Only published and retired versions reach devices (scope
  ``g``, page key ``templates``); drafts stay on the server.
* A visit is checked against exactly the version it names. Retired versions are still
  accepted: a device may have been offline for weeks with a form it downloaded before
  the retirement, and refusing its visits would lose field work.
* The taxonomy is one document with a version; each load keeps the previous ones. A
  code (area, group, severity, responsible body) that recorded obstacles use cannot be
  removed, so past obstacles always keep a label and a place in the statistics.
"""

import json
from datetime import date, datetime
from functools import lru_cache

from sync import jsontext, obstacles
from sync.clock import parse_time
from sync.days import TEHRAN
from sync.errors import Conflict, Invalid, NotFound
from sync.migrations import UNIT_STATUSES
from sync.store import GLOBAL_SCOPE, Tx
from sync.taxonomy import codes_of, default_taxonomy, validate_obstacle, validate_taxonomy
from sync.templates import (
    Template,
    check_answers,
    compile_template,
    default_template,
    is_number,
    validate_definition,
)

TAXONOMY_ID = "obstacles"  # the taxonomy's one entity id in the change log


def _document_errors(problems: list[dict], prefix: str) -> dict:
    """Path/message problems as field errors: ``{"definition.sections[0].key": [...]}``."""
    fields: dict[str, list[str]] = {}
    for found in problems:
        key = f"{prefix}.{found['path']}" if found["path"] else prefix
        fields.setdefault(key, []).append(found["message"])
    return fields


# --- templates ----------------------------------------------------------------------------

_SUMMARY = "code, version, status, title, created_by, created_at, published_at, retired_at"


def _view(row: dict, with_definition: bool = True) -> dict:
    view = {k: row[k] for k in ("code", "version", "status", "title", "created_by", "created_at",
                                "published_at", "retired_at")}
    if with_definition:
        view["definition"] = json.loads(row["definition"])
    return view


def _row(db, code: str, version: int) -> dict | None:
    rows = list(db.query("SELECT * FROM templates WHERE code = ? AND version = ?", [code, version]))
    return rows[0] if rows else None


def save_template(tx: Tx, definition, publish: bool = False) -> dict:
    """Store a new draft version (or replace a draft); publish it at once when asked.

    Raises :class:`Invalid` with one entry per problem (``definition.<path>``), or
    :class:`Conflict` when the version is already published or not newer than the latest.
    """
    problems = validate_definition(definition)
    if problems:
        raise Invalid(_document_errors(problems, "definition"), "The template is not valid.")
    code, version = definition["code"], definition["version"]
    latest = tx.execute("SELECT max(version) FROM templates WHERE code = ? AND status != 'draft'",
                        (code,)).fetchone()[0]
    current = _row(tx.db, code, version)
    if current and current["status"] != "draft":
        raise Conflict(f"Template {code} version {version} is already {current['status']} and cannot "
                       "change; upload it as a new version.",
                       {"fields": {"definition.version": [f"Use a version above {latest}."]}})
    if latest is not None and version <= latest:
        raise Conflict(f"Template {code} already has version {latest} published; a new version "
                       "must be numbered above it.",
                       {"fields": {"definition.version": [f"Use a version above {latest}."]}})
    text = json.dumps(definition, ensure_ascii=False, sort_keys=True)
    title = definition["title"]["fa"]
    if current:
        tx.execute("UPDATE templates SET definition = ?, title = ?, created_by = ?, created_at = ?"
                   " WHERE id = ?", (text, title, tx.actor.user_id, tx.at, current["id"]))
    else:
        tx.execute("INSERT INTO templates (code, version, status, title, definition, created_by,"
                   " created_at) VALUES (?, ?, 'draft', ?, ?, ?, ?)",
                   (code, version, title, text, tx.actor.user_id, tx.at))
    tx.audit("template.replace_draft" if current else "template.create", "template",
             f"{code}:{version}")
    if publish:
        return publish_template(tx, code, version)
    return _view(_row(tx.db, code, version))


def _require(db, code: str, version: int) -> dict:
    row = _row(db, code, version)
    if row is None:
        raise NotFound(f"No template {code} version {version}.")
    return row


def _move(tx: Tx, code: str, version: int, source: str, target: str, stamp: str, action: str) -> dict:
    row = _require(tx.db, code, version)
    if row["status"] != source:
        raise Conflict(f"Template {code} version {version} is {row['status']}; only a {source} version "
                       f"can be {target}.")
    seq = tx.changed("template", row["id"], [GLOBAL_SCOPE])
    tx.execute(f"UPDATE templates SET status = ?, {stamp} = ?, seq = ? WHERE id = ?",
               (target, tx.at, seq, row["id"]))
    tx.audit(f"template.{action}", "template", f"{code}:{version}")
    return _view(_row(tx.db, code, version))


def publish_template(tx: Tx, code: str, version: int) -> dict:
    """Make a draft available to devices and to visits.

    A draft numbered below a version already published (uploaded before it, say) is
    refused: version numbers must keep the order of publication, since devices offer the
    highest published version and reports read a higher number as the newer form.
    """
    latest = tx.execute("SELECT max(version) FROM templates WHERE code = ? AND status != 'draft'",
                        (code,)).fetchone()[0]
    if latest is not None and version < latest and _require(tx.db, code, version)["status"] == "draft":
        raise Conflict(f"Template {code} already has version {latest} published; this draft is "
                       f"numbered below it. Upload it again as version {latest + 1} and publish that.",
                       {"fields": {"version": [f"Use a version above {latest}."]}})
    return _move(tx, code, version, "draft", "published", "published_at", "publish")


def retire_template(tx: Tx, code: str, version: int) -> dict:
    """Stop offering a published version for new visits; visits filled on it stay valid."""
    return _move(tx, code, version, "published", "retired", "retired_at", "retire")


def get_template(db, code: str, version: int | None = None, include_drafts: bool = False) -> dict:
    """One version with its definition; without ``version`` the latest published one."""
    if version is None:
        rows = list(db.query("SELECT * FROM templates WHERE code = ? AND status = 'published'"
                             " ORDER BY version DESC LIMIT 1", [code]))
        row = rows[0] if rows else None
    else:
        row = _row(db, code, version)
    if row is None or (row["status"] == "draft" and not include_drafts):
        raise NotFound(f"No published template {code}" + (f" version {version}." if version else "."))
    return _view(row)


def list_templates(db, statuses=("published",), code: str | None = None) -> list[dict]:
    """Template versions (without definitions), by code and version."""
    marks = ",".join("?" * len(statuses))
    params = list(statuses)
    where = f"status IN ({marks})"
    if code:
        where += " AND code = ?"
        params.append(code)
    rows = db.query(f"SELECT {_SUMMARY} FROM templates WHERE {where} ORDER BY code, version", params)
    return [_view(r, with_definition=False) for r in rows]


def template_entries(db, _actor, ids: list[str]) -> list[dict]:
    """Pull loader: published and retired versions, keyed ``code:version`` on the device."""
    marks = ",".join("?" * len(ids))
    rows = db.query(f"SELECT * FROM templates WHERE id IN ({marks})", [int(i) for i in ids])
    return [{"id": f"{r['code']}:{r['version']}", **_view(r), "seq": r["seq"]} for r in rows]


@lru_cache(maxsize=64)
def _compiled(definition_text: str) -> Template:
    # Keyed by the text, not (code, version): two stores may hold different documents
    # under the same name, and a draft may be replaced.
    return compile_template(json.loads(definition_text))


def template_for_visit(db, ref: dict | None) -> Template:
    """The compiled version a visit names, or :class:`Invalid` on ``template``."""
    if not ref:
        raise Invalid({"template": ["Name the template and version the visit was filled with, "
                                    'e.g. {"code": "diagnosis", "version": 1}.']})
    row = _row(db, ref["code"], ref["version"])
    if row is None or row["status"] == "draft":
        published = [t["version"] for t in list_templates(db, ("published",), ref["code"])]
        hint = f" Published versions: {published}." if published else ""
        raise Invalid({"template": [f"No published template {ref['code']} version "
                                    f"{ref['version']}.{hint}"]})
    return _compiled(row["definition"])


# --- the taxonomy -------------------------------------------------------------------------


def current_taxonomy(db) -> dict | None:
    """``{"version", "taxonomy", "codes", "loaded_at", "loaded_by"}`` of the taxonomy in force,
    or None. ``codes`` is ready for :func:`sync.taxonomy.validate_obstacle`. The document is
    shared (parsed once): read it, never change it."""
    rows = list(db.query("SELECT * FROM taxonomies ORDER BY version DESC LIMIT 1"))
    if not rows:
        return None
    row = rows[0]
    doc, codes = _parsed_taxonomy(row["document"])
    return {"version": row["version"], "taxonomy": doc, "codes": codes,
            "loaded_at": row["loaded_at"], "loaded_by": row["loaded_by"]}


@lru_cache(maxsize=16)
def _parsed_taxonomy(text: str):
    # Every obstacle of every pushed visit is checked against the taxonomy: parse it once.
    doc = json.loads(text)
    return doc, codes_of(doc)


_TAXONOMY_COLUMNS = {"areas": "area", "groups": "group_code", "severities": "severity",
                     "responsible_bodies": "responsible_body"}


def _codes(doc: dict) -> dict[str, set]:
    return {
        "areas": {a["code"] for a in doc["areas"]},
        "groups": {g["code"] for a in doc["areas"] for g in a["groups"]},
        "severities": {s["code"] for s in doc["severities"]},
        "responsible_bodies": {b["code"] for b in doc["responsible_bodies"]},
    }


def load_taxonomy(tx: Tx, doc) -> dict:
    """Replace the taxonomy in force by ``doc`` (validated; version above the current one).

    Loading the same document again changes nothing (``changed`` is False).
    """
    problems = validate_taxonomy(doc)
    if problems:
        raise Invalid(_document_errors(problems, "taxonomy"), "The taxonomy is not valid.")
    current = current_taxonomy(tx.db)
    if current and current["taxonomy"] == doc:
        return {**current, "changed": False}
    if current and doc["version"] <= current["version"]:
        raise Conflict(f"The taxonomy in force is version {current['version']}; number the new one "
                       "above it.",
                       {"fields": {"taxonomy.version": [f"Use a version above {current['version']}."]}})
    codes = _codes(doc)
    errors = {}
    for kind, column in _TAXONOMY_COLUMNS.items():
        used = {r[0] for r in tx.execute(
            f"SELECT DISTINCT {column} FROM visit_obstacles WHERE {column} IS NOT NULL")}
        removed = sorted(used - codes[kind])
        if removed:
            errors[f"taxonomy.{kind}"] = [f"{', '.join(removed)}: used by recorded obstacles, so it "
                                          "cannot be removed (change its label instead)."]
    if errors:
        raise Invalid(errors, "The new taxonomy drops codes that recorded obstacles use.")
    seq = tx.changed("taxonomy", TAXONOMY_ID, [GLOBAL_SCOPE])
    tx.execute("INSERT INTO taxonomies (version, document, loaded_by, loaded_at, seq) VALUES (?, ?, ?, ?, ?)",
               (doc["version"], json.dumps(doc, ensure_ascii=False), tx.actor.user_id, tx.at, seq))
    tx.audit("taxonomy.load", "taxonomy", doc["version"])
    return {**current_taxonomy(tx.db), "changed": True}


def taxonomy_entries(db, _actor, _ids: list[str]) -> list[dict]:
    """Pull loader: the taxonomy in force (one entry, id ``obstacles``)."""
    current = current_taxonomy(db)
    if current is None:
        return []
    return [{"id": TAXONOMY_ID, **{k: v for k, v in current.items() if k != "codes"}}]


def load_defaults(tx: Tx) -> list[str]:
    """Publish the shipped diagnosis template and load the starter taxonomy when the store
    has none; returns notes saying what was loaded."""
    notes = []
    template = default_template()
    if not tx.one("SELECT 1 AS x FROM templates WHERE code = ?", (template["code"],)):
        save_template(tx, template, publish=True)
        notes.append(f"Published the default template {template['code']} version {template['version']}.")
    if current_taxonomy(tx.db) is None:
        doc = default_taxonomy()
        load_taxonomy(tx, doc)
        notes.append(f"Loaded the starter obstacle taxonomy (version {doc['version']}).")
    return notes


# --- checking a visit ---------------------------------------------------------------------

# Template keys the timeline and statistics read (see docs/checklists.md, "Unit history").
STATUS_KEY, EMPLOYEES_KEY, CAPACITY_KEY = "unit_status", "employees_now", "capacity_utilisation"


def observations(answers: dict) -> dict:
    """What a visit observed about its unit, from the answers (None where not answered)."""
    status = answers.get(STATUS_KEY)
    employees = answers.get(EMPLOYEES_KEY)
    capacity = answers.get(CAPACITY_KEY)
    return {
        "status": status if status in UNIT_STATUSES else None,
        "employees": employees if isinstance(employees, int) and not isinstance(employees, bool) else None,
        "capacity": capacity if is_number(capacity) else None,
    }


FORM_KEY = "_form"  # where push keeps a form checked before the write lock (see check_form)


def visit_day(visit: dict) -> date | None:
    """The day the visit was made, in Tehran, as the device's clock had it: what "today"
    meant to the engineer filling the form, so what a ``visit_date`` bound compares with."""
    moment = visit.get("observed_at")
    if isinstance(moment, str):
        try:
            moment = parse_time(moment)
        except ValueError:
            return None
    return moment.astimezone(TEHRAN).date() if isinstance(moment, datetime) else None


def check_form(db, visit: dict, memo: dict | None = None) -> dict:
    """The checks that need only the visit itself, the template and the taxonomy: the
    answers against the template version, each obstacle against the taxonomy.

    Push runs this for every visit of a batch *before* taking the write lock, so that two
    devices' batches are validated in parallel; the result rides along in the loaded
    mutation under ``FORM_KEY`` and :func:`check_visit` finishes the job.
    Returns ``{"template", "errors", "cleaned", "photos"}`` (photos: hashes in photo answers).
    ``memo`` (a dict kept for one batch) saves looking the same template up for every visit.
    """
    errors: dict[str, list[str]] = {}
    answers = visit.get("answers") or {}
    memo = {} if memo is None else memo
    ref = visit.get("template")
    key = ("template", ref and ref.get("code"), ref and ref.get("version"))
    try:
        if key not in memo:
            memo[key] = template_for_visit(db, ref)
        template = memo[key]
    except Invalid as error:
        errors.update(error.fields)
        template = None
    checked = check_answers(template, answers, visit_day(visit)) if template is not None else None
    if checked is not None:
        for question, messages in checked.errors.items():
            errors[f"answers.{question}"] = messages
    records = visit.get("obstacles") or []
    if records:
        if "taxonomy" not in memo:
            memo["taxonomy"] = current_taxonomy(db)
        taxonomy = memo["taxonomy"]
        if taxonomy is None:
            errors["obstacles"] = ["The server has no obstacle taxonomy loaded; ask an administrator."]
        else:
            for i, record in enumerate(records):
                for field, messages in validate_obstacle(taxonomy["taxonomy"], record,
                                                         taxonomy["codes"]).items():
                    errors[f"obstacles[{i}].{field}"] = messages
    cleaned = checked.cleaned if checked is not None and not errors else None
    photos = checked.photos if cleaned is not None else []
    form = {"template": template, "errors": errors, "cleaned": cleaned, "photos": photos}
    if cleaned is not None and isinstance(visit.get("visit_id"), str):
        # The first version's content and its stored text, worked out here rather than while
        # the write lock is held (a new visit is version 1; a revision's number is known
        # only under the lock).
        form["first"] = _content(visit, template, cleaned, visit["visit_id"], 1)
    return form


def _content(visit: dict, template, cleaned: dict, visit_id: str, version: int) -> dict:
    content = {
        "template": {"code": template.code, "version": template.version},
        "location": visit.get("location"),
        "answers": cleaned,
        "obstacles": obstacles.with_ids(visit_id, version, visit.get("obstacles") or []),
        "attachments": list(visit.get("attachments") or []),
    }
    return {"visit_id": visit_id, "version": version, "content": content, "text": content_text(content)}


CONTENT_KEYS = ("template", "location", "answers", "obstacles", "attachments")


def content_text(content: dict) -> str:
    """Canonical text of what the engineer recorded, to recognise a resend of the same version."""
    return jsontext.dumps({k: content.get(k) for k in CONTENT_KEYS}, sort_keys=True)


def legacy_content_text(content: dict) -> str:
    """:func:`content_text` as the standard library wrote it, before orjson: the text of a
    version stored then, for recognising a resend of it."""
    return json.dumps({k: content.get(k) for k in CONTENT_KEYS}, sort_keys=True, ensure_ascii=False,
                      default=str)


def check_visit(db, visit: dict, unit_id: str, visit_id: str, version: int) -> dict:
    """Check a visit's content and return what to store, or raise :class:`Invalid` naming
    every bad field (``template``, ``answers.<question>``, ``obstacles[i].<field>``).

    Returns ``{"content", "photos", "observed", "looked_up"}``: ``content`` has the answers
    cleaned of hidden questions and every obstacle carrying its ``obstacle_id``; ``photos``
    are all attachment hashes the visit refers to; ``looked_up`` is (the obstacle ids the
    visit named, those of them the store holds), read while checking them.
    """
    form = visit.get(FORM_KEY) or check_form(db, visit)
    errors = dict(form["errors"])
    records = visit.get("obstacles") or []
    named = [r["obstacle_id"] for r in records if isinstance(r, dict) and r.get("obstacle_id") is not None]
    held: dict[str, str] = {}
    if records and "obstacles" not in errors:
        # Obstacle ids must belong to this unit: that needs the store as the write sees it.
        held = obstacles.units_of(db, named)
        errors.update(obstacles.reference_errors(db, unit_id, records, held))
    if errors:
        raise Invalid(errors, "The visit does not match its template or the obstacle taxonomy.")
    template, cleaned = form["template"], form["cleaned"]
    first = form.get("first")
    ready = first if first and (first["visit_id"], first["version"]) == (visit_id, version) else \
        _content(visit, template, cleaned, visit_id, version)
    photos = list(dict.fromkeys(ready["content"]["attachments"] + form["photos"]))
    return {"content": ready["content"], "text": ready["text"], "photos": photos, "observed": observations(cleaned),
            "looked_up": (set(named), set(held))}
